//go:build linux

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/checkpoint"
)

// TestCheckpointNoSpace runs out of disk space while a checkpoint is
// written: the run folder is a small tmpfs, filled after epoch 1 to less
// than a checkpoint's size. The resumed run must stop with one line naming
// the file and the cause (exit 1), leave epoch 1's best.ckpt and last.ckpt
// byte for byte as they were, loadable, and no temporary file; once space is freed, --resume
// must end with the weights and metrics of an uninterrupted run.
//
// Mounting a tmpfs needs root (CAP_SYS_ADMIN); elsewhere the test skips.
func TestCheckpointNoSpace(t *testing.T) {
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=16m"); err != nil {
		t.Skipf("mounting a tmpfs at %s: %v (needs root)", mnt, err)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, 0) })
	quiet := []string{"--set", "train.epochs=3", "--set", "monitor.histograms_every=0", "--set", "monitor.tensorboard=false"}

	want := filepath.Join(t.TempDir(), "whole")
	if code, out, errs := nettrain(t, append([]string{"train", "-c", quickstart, "--out", want}, quiet...)...); code != 0 {
		t.Fatalf("uninterrupted run: exit %d\n%s%s", code, out, errs)
	}

	run := filepath.Join(mnt, "run")
	if code, out, errs := nettrain(t, append([]string{"train", "-c", quickstart, "--out", run, "--stop-after-epochs", "1"}, quiet...)...); code != 0 {
		t.Fatalf("epoch 1 on the tmpfs: exit %d\n%s%s", code, out, errs)
	}
	last := filepath.Join(run, "checkpoints", "last.ckpt")
	best := filepath.Join(run, "checkpoints", "best.ckpt")
	before, err := os.ReadFile(last)
	if err != nil {
		t.Fatal(err)
	}
	beforeBest, err := os.ReadFile(best)
	if err != nil {
		t.Fatal(err)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(mnt, &st); err != nil {
		t.Fatal(err)
	}
	const leave = 256 << 10 // less than the 1.9 MB checkpoint, more than the metrics lines
	free := int64(st.Bavail) * int64(st.Bsize)
	if free < int64(len(before))+leave {
		t.Fatalf("only %d bytes free on the tmpfs after epoch 1", free)
	}
	filler := filepath.Join(mnt, "filler")
	if err := os.WriteFile(filler, make([]byte, free-leave), 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, errs := nettrain(t, "train", "--resume", run)
	if code != 1 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "no space left on device") || !strings.Contains(errs, filepath.Join(run, "checkpoints")) {
		t.Fatalf("resume on a full disk: exit %d, stderr %q (want 1 and one line naming the checkpoint and the cause)\n%s", code, errs, out)
	}
	t.Logf("full disk: %s", strings.TrimSpace(errs))
	after, err := os.ReadFile(last)
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("last.ckpt changed by the failed write (err %v)", err)
	}
	if b, err := os.ReadFile(best); err != nil || !bytes.Equal(beforeBest, b) {
		t.Fatalf("best.ckpt changed by the failed write (err %v)", err)
	}
	for _, p := range []string{last, best} {
		if _, err := checkpoint.Load(p); err != nil {
			t.Fatalf("%s no longer loads: %v", p, err)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(run, "checkpoints"))
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := nettrain(t, "train", "--resume", run); code != 0 {
		t.Fatalf("resume with space again: exit %d\n%s%s", code, out, errs)
	}
	if a, b := testfix.TensorsHash(t, filepath.Join(want, "checkpoints", "last.ckpt")), testfix.TensorsHash(t, last); a != b {
		t.Errorf("final weights %s after the full disk, %s uninterrupted", b, a)
	}
	if a, b := testfix.MetricsWithoutTimings(t, want), testfix.MetricsWithoutTimings(t, run); a != b {
		t.Errorf("metrics differ:\n%s\nuninterrupted:\n%s", b, a)
	}
}
