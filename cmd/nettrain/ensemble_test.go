package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalEnsembleBadInput checks the one-line errors of `nettrain eval`
// with several checkpoints.
func TestEvalEnsembleBadInput(t *testing.T) {
	dir := t.TempDir()
	runDir := filepath.Join(dir, "run")
	if code, _, errs := nettrain(t, "train", "-c", quickstart, "--out", runDir, "--set", "train.epochs=1"); code != 0 {
		t.Fatalf("train: %s", errs)
	}
	ckpt := filepath.Join(runDir, "checkpoints", "best.ckpt")
	code, out, errs := nettrain(t, "eval", ckpt, ckpt)
	if code != 0 || !strings.Contains(out, "ensemble (mean of 2)") {
		t.Fatalf("eval of two: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = nettrain(t, "eval", ckpt, ckpt, "--tta", "flip")
	if code != 0 || !strings.Contains(out, "each member's with flip test-time augmentation") {
		t.Fatalf("eval of two with --tta flip: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = nettrain(t, "eval", ckpt, "--tta", "flip")
	if code != 0 || !strings.Contains(out, "flip test-time augmentation), test split") {
		t.Fatalf("eval --tta flip: exit %d\n%s%s", code, out, errs)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown method", []string{"eval", ckpt, ckpt, "--ensemble", "median"}, "allowed: [mean vote]"},
		{"missing member", []string{"eval", ckpt, filepath.Join(dir, "nope.ckpt")}, "nope.ckpt"},
		{"bad split", []string{"eval", ckpt, ckpt, "--split", "dev"}, "unknown split"},
		{"bad tta", []string{"eval", ckpt, "--tta", "crop"}, `--tta "crop": allowed: flip`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := nettrain(t, c.args...)
			if code != exitUsage || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
				t.Errorf("exit %d, stderr %q; want exit %d and one line with %q", code, errs, exitUsage, c.want)
			}
		})
	}
}
