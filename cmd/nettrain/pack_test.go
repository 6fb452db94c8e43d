package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestPackTrainsTheSame: the in-repo data set packed with `nettrain pack`
// trains (data.format packed) to the test accuracy and loss of the IDX
// files, to the digit; bad flags are one line, exit 2.
func TestPackTrainsTheSame(t *testing.T) {
	packed := filepath.Join(t.TempDir(), "packed")
	if code, out, errs := nettrain(t, "pack", "../../testdata/fashion-mnist-small", "--out", packed, "--shard", "300"); code != 0 || !strings.Contains(out, "train: 2000 examples") {
		t.Fatalf("pack: exit %d\n%s%s", code, out, errs)
	}
	last := func(out string) string {
		lines := strings.Split(strings.TrimSpace(out), "\n")
		l := lines[len(lines)-1]
		return l[:strings.Index(l, "trained in")]
	}
	_, a, errs := nettrain(t, "train", "-c", quickstart, "--out", filepath.Join(t.TempDir(), "idx"))
	if errs != "" {
		t.Fatal(errs)
	}
	_, b, errs := nettrain(t, "train", "-c", quickstart, "--out", filepath.Join(t.TempDir(), "packed"), "--set", "data.dir="+packed, "--set", "data.format=packed")
	if errs != "" {
		t.Fatal(errs)
	}
	if last(a) != last(b) || !strings.HasPrefix(last(a), "test accuracy") {
		t.Errorf("IDX: %q; packed: %q", last(a), last(b))
	}
	for _, args := range [][]string{{"pack", "x"}, {"pack", "x", "--out", t.TempDir(), "--format", "csv"}, {"pack", "x", "--out", t.TempDir(), "--shard", "0"}} {
		if code, _, errs := nettrain(t, args...); code != 2 || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d %q, want 2 and one line", args, code, errs)
		}
	}
}
