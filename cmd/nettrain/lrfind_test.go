package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLRFindCLI runs `nettrain lr-find` on the quickstart config: it writes
// its three files and ends with the --set line; bad flags exit 2 naming the
// flag.
func TestLRFindCLI(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := nettrain(t, "lr-find", "-c", quickstart, "--out", dir, "--check-steps", "20", "--rates", "0.1,0.001")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, name := range []string{lrFindCSV, lrFindPlot, lrCheckFile} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 || !strings.Contains(lines[len(lines)-2], "--set optimizer.lr=") {
		t.Errorf("output does not end with the --set line:\n%s", out)
	}
	check, _ := os.ReadFile(filepath.Join(dir, lrCheckFile))
	if rows := strings.Count(string(check), "\n"); rows != 3 {
		t.Errorf("lr_check.csv has %d lines, want a header and 2 rates:\n%s", rows, check)
	}
	for _, tc := range []struct{ args []string }{
		{[]string{"--rule", "best"}},
		{[]string{"--start", "0"}},
		{[]string{"--rates", "fast"}},
	} {
		args := append([]string{"lr-find", "-c", quickstart, "--out", dir}, tc.args...)
		if code, _, errs := nettrain(t, args...); code != 2 || !strings.Contains(errs, tc.args[0]) {
			t.Errorf("%v: exit %d, %q; want 2 naming %s", tc.args, code, errs, tc.args[0])
		}
	}
}
