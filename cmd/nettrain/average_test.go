package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAverageCommand: `nettrain average RUN_DIR` averages a run's kept
// checkpoints into one that eval scores, `eval RUN_DIR` scores them as a
// snapshot ensemble, and bad input gets one line and exit 2.
func TestAverageCommand(t *testing.T) {
	dir := t.TempDir()
	runDir, other := filepath.Join(dir, "run"), filepath.Join(dir, "other")
	if code, _, errs := nettrain(t, "train", "-c", quickstart, "--out", runDir, "--set", "train.epochs=3", "--set", "checkpoint.every=1"); code != 0 {
		t.Fatalf("train: %s", errs)
	}
	if code, _, errs := nettrain(t, "train", "-c", quickstart, "--out", other, "--set", "train.epochs=1", "--set", "model.hidden=[8]"); code != 0 {
		t.Fatalf("train: %s", errs)
	}
	avg := filepath.Join(dir, "avg.ckpt")
	code, out, errs := nettrain(t, "average", runDir, "--top-k", "2", "--out", avg)
	if code != 0 || !strings.Contains(out, "the average of 2 checkpoints") {
		t.Fatalf("average: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := nettrain(t, "eval", avg); code != 0 || !strings.Contains(out, "accuracy") {
		t.Fatalf("eval of the average: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := nettrain(t, "eval", runDir); code != 0 || !strings.Contains(out, "ensemble (mean of 3)") {
		t.Fatalf("eval of the run folder: exit %d\n%s%s", code, out, errs)
	}
	before, err := os.ReadFile(avg)
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(runDir, "checkpoints", "best.ckpt")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no --out", []string{"average", runDir}, "--out FILE is required"},
		{"unknown metric", []string{"average", runDir, "--metric", "acc", "--out", avg}, "allowed: val_loss, val_acc"},
		{"other architecture", []string{"average", ckpt, filepath.Join(other, "checkpoints", "best.ckpt"), "--out", avg}, "same architecture"},
		{"missing member", []string{"average", ckpt, filepath.Join(dir, "nope.ckpt"), "--out", avg}, "nope.ckpt"},
		{"empty folder", []string{"eval", t.TempDir()}, "no checkpoints"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := nettrain(t, c.args...)
			if code != exitUsage || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
				t.Errorf("exit %d, stderr %q; want exit %d and one line with %q", code, errs, exitUsage, c.want)
			}
		})
	}
	if after, err := os.ReadFile(avg); err != nil || string(after) != string(before) {
		t.Errorf("the failed commands changed %s (%v)", avg, err)
	}
}
