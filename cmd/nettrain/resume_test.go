package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nettrain/nettrain/internal/testfix"

	"github.com/nettrain/nettrain/pkg/checkpoint"
)

// tensorPairs calls f with the name and data of each tensor of checkpoint
// a and its counterpart in b, which must hold the same names and lengths.
func tensorPairs(t *testing.T, a, b string, f func(name string, x, y []float32)) {
	t.Helper()
	fa, err := checkpoint.Load(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := checkpoint.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(fa.Tensors) != len(fb.Tensors) {
		t.Fatalf("%s: %d tensors, %s: %d", a, len(fa.Tensors), b, len(fb.Tensors))
	}
	for i, ta := range fa.Tensors {
		tb := fb.Tensors[i]
		if ta.Name != tb.Name || len(ta.Data) != len(tb.Data) {
			t.Fatalf("tensor %d: %s (%d) vs %s (%d)", i, ta.Name, len(ta.Data), tb.Name, len(tb.Data))
		}
		f(ta.Name, ta.Data, tb.Data)
	}
}

// sameTensors fails unless the two checkpoints hold bit-identical tensors.
func sameTensors(t *testing.T, a, b string) {
	t.Helper()
	tensorPairs(t, a, b, func(name string, x, y []float32) {
		for j := range x {
			if math.Float32bits(x[j]) != math.Float32bits(y[j]) {
				t.Fatalf("%s[%d]: %v vs %v", name, j, x[j], y[j])
			}
		}
	})
}

// TestResumeCLI: train 2 epochs in one go, or 1 epoch then --resume; the
// weights and metrics must be identical. A changed config is refused
// unless --force.
func TestResumeCLI(t *testing.T) {
	full, split := t.TempDir(), t.TempDir()
	if code, _, errs := nettrain(t, "train", "-c", quickstart, "--set", "train.epochs=2", "--out", full); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := nettrain(t, "train", "-c", quickstart, "--set", "train.epochs=2", "--stop-after-epochs", "1", "--out", split)
	if code != 0 || !strings.Contains(out, "--resume "+split) {
		t.Fatalf("--stop-after-epochs 1: exit %d\n%s%s", code, out, errs)
	}
	code, _, errs = nettrain(t, "train", "--resume", split, "--set", "train.epochs=3")
	if code != 2 || !strings.Contains(errs, "--force") {
		t.Fatalf("resume with a changed config: exit %d %q", code, errs)
	}
	if code, out, errs := nettrain(t, "train", "--resume", split); code != 0 || !strings.Contains(out, "resuming") {
		t.Fatalf("--resume: exit %d\n%s%s", code, out, errs)
	}
	sameTensors(t, filepath.Join(full, "checkpoints", "last.ckpt"), filepath.Join(split, "checkpoints", "last.ckpt"))
	sameTensors(t, filepath.Join(full, "checkpoints", "best.ckpt"), filepath.Join(split, "checkpoints", "best.ckpt"))
	if a, b := testfix.MetricsWithoutTimings(t, full), testfix.MetricsWithoutTimings(t, split); a != b {
		t.Fatalf("metrics.csv differ:\n%s\nvs\n%s", a, b)
	}

	// lr=100 from the end of epoch 1: stops at once with exit 3, and the
	// epoch-1 checkpoint stays intact and loadable.
	before, _ := os.ReadFile(filepath.Join(split, "checkpoints", "best.ckpt"))
	diverge := t.TempDir()
	nettrain(t, "train", "-c", quickstart, "--set", "train.epochs=2", "--stop-after-epochs", "1", "--out", diverge)
	code, _, errs = nettrain(t, "train", "--resume", diverge, "--force", "--set", "optimizer.lr=100")
	if code != exitDiverged || !strings.Contains(errs, "diverged") || !strings.Contains(errs, "epoch 2, step") {
		t.Fatalf("lr=100: exit %d %q", code, errs)
	}
	// train.max_loss_factor stops a run whose loss grows, before any NaN.
	code, _, errs = nettrain(t, "train", "-c", quickstart, "--set", "optimizer.lr=3", "--set", "train.max_loss_factor=1.5", "--out", t.TempDir())
	if code != exitDiverged || !strings.Contains(errs, "exceeds train.max_loss_factor 1.5") || strings.Count(errs, "\n") != 1 {
		t.Fatalf("max_loss_factor: exit %d %q", code, errs)
	}
	if code, _, errs := nettrain(t, "eval", filepath.Join(diverge, "checkpoints", "last.ckpt")); code != 0 {
		t.Fatalf("the checkpoint before the divergence does not evaluate: %s", errs)
	}
	if after, _ := os.ReadFile(filepath.Join(split, "checkpoints", "best.ckpt")); !bytes.Equal(before, after) {
		t.Error("best.ckpt changed")
	}

	// eval --ema needs EMA weights.
	code, _, errs = nettrain(t, "eval", filepath.Join(full, "checkpoints", "best.ckpt"), "--ema")
	if code != 2 || !strings.Contains(errs, "no EMA weights") {
		t.Errorf("eval --ema without EMA: exit %d %q", code, errs)
	}
	for _, args := range [][]string{{"train", "--resume", full, "--out", t.TempDir()}, {"train", "-c", quickstart, "--force"}, {"train", "--resume", t.TempDir()}} {
		if code, _, errs := nettrain(t, args...); code != 2 || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d %q, want 2 and one line", args, code, errs)
		}
	}
}

// buildBinary builds nettrain into a temp folder. It skips the test under
// -short, and where the binary cannot be built, except in CI (CI set),
// where that fails the test.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "nettrain")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("cannot build the binary: %v\n%s", err, out)
		}
		t.Skipf("cannot build the binary: %v\n%s", err, out)
	}
	return bin
}

// signalEpochs is the length of the runs signalRun interrupts: long enough
// (about 3 s) that the signal, sent right after the first checkpoint,
// always lands while the run is still training.
const signalEpochs = 40

// signalRun starts a signalEpochs-epoch quickstart run of bin into dir,
// waits until the run has written its epoch-1 checkpoint (a file, not a
// printed line), sends sig, and returns the exit error and stderr. A run
// that never writes the checkpoint, or finishes before the signal, fails
// the test.
func signalRun(t *testing.T, bin, dir string, sig os.Signal) (*exec.ExitError, string) {
	t.Helper()
	cmd := exec.Command(bin, "train", "-c", quickstart, "--set", fmt.Sprintf("train.epochs=%d", signalEpochs), "--out", dir, "-q")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	last := filepath.Join(dir, "checkpoints", "last.ckpt")
	var err error
wait:
	for {
		select {
		case err = <-exited:
			t.Fatalf("the run ended (%v) before writing %s:\n%s", err, last, stderr.String())
		case <-time.After(5 * time.Millisecond):
			if _, statErr := os.Stat(last); statErr == nil {
				cmd.Process.Signal(sig)
				err = <-exited
				break wait
			}
		}
	}
	var ee *exec.ExitError
	if err == nil {
		t.Fatalf("the run finished before %v arrived: make it longer than signalEpochs = %d", sig, signalEpochs)
	}
	if !errors.As(err, &ee) {
		t.Fatalf("after %v: %v", sig, err)
	}
	return ee, stderr.String()
}

// TestSignalSubprocess interrupts a real training run of the built binary
// with SIGINT (a clean stop that checkpoints mid-epoch) and with SIGKILL (a
// crash: the last checkpoint is the end of epoch 1), resumes each, and
// compares with an uninterrupted run. Where the signal lands is up to
// timing; the result must not depend on it.
func TestSignalSubprocess(t *testing.T) {
	bin := buildBinary(t)
	full := t.TempDir()
	if code, _, errs := nettrain(t, "train", "-c", quickstart, "--set", fmt.Sprintf("train.epochs=%d", signalEpochs), "--out", full); code != 0 {
		t.Fatal(errs)
	}
	for _, tc := range []struct {
		sig  os.Signal
		exit int // -1: killed
	}{{syscall.SIGINT, 130}, {syscall.SIGKILL, -1}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			ee, stderr := signalRun(t, bin, dir, tc.sig)
			if ee.ExitCode() != tc.exit {
				t.Fatalf("after %v: exit %d, want %d\n%s", tc.sig, ee.ExitCode(), tc.exit, stderr)
			}
			if tc.sig == syscall.SIGINT && !strings.Contains(stderr, "--resume") {
				t.Errorf("stderr %q does not say how to resume", stderr)
			}
			if code, _, errs := nettrain(t, "train", "--resume", dir); code != 0 {
				t.Fatalf("--resume: %s", errs)
			}
			sameTensors(t, filepath.Join(full, "checkpoints", "last.ckpt"), filepath.Join(dir, "checkpoints", "last.ckpt"))
			if a, b := testfix.MetricsWithoutTimings(t, full), testfix.MetricsWithoutTimings(t, dir); a != b {
				t.Fatalf("metrics.csv differ:\n%s\nvs\n%s", a, b)
			}
		})
	}
}

// TestKillResumeLoop kills a real training run of the built binary with
// SIGKILL at 20 moments spread over its length (seeded, so a failure
// repeats), each time checks that the last checkpoint loads, and resumes
// (starting over when the kill came before the first checkpoint) until the
// run ends: its final weights and metrics must be those of an
// uninterrupted run, bit for bit, every time.
func TestKillResumeLoop(t *testing.T) {
	bin := buildBinary(t)
	const epochs = 6
	set := fmt.Sprintf("train.epochs=%d", epochs)
	full := filepath.Join(t.TempDir(), "full")
	start := time.Now()
	if out, err := exec.Command(bin, "train", "-c", quickstart, "--set", set, "--out", full, "-q").CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	span := time.Since(start)
	want := filepath.Join(full, "checkpoints", "last.ckpt")
	r := rand.New(rand.NewPCG(16, 20))
	resumed := 0 // kills that left a checkpoint to resume from
	for i := range 20 {
		delay := time.Duration((0.05 + 0.9*r.Float64()) * float64(span))
		dir := filepath.Join(t.TempDir(), "run")
		args := []string{"train", "-c", quickstart, "--set", set, "--out", dir, "-q"}
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Kill()
		err := cmd.Wait()
		killed := err != nil
		last := filepath.Join(dir, "checkpoints", "last.ckpt")
		if _, statErr := os.Stat(last); statErr == nil && killed {
			resumed++
		}
		for attempt := 0; ; attempt++ {
			if attempt > 3 {
				t.Fatalf("kill %d: the run does not finish after %d resumes", i, attempt)
			}
			if _, statErr := os.Stat(filepath.Join(dir, "summary.json")); statErr == nil {
				break // finished
			}
			var next []string
			if _, statErr := os.Stat(last); statErr == nil {
				if _, err := checkpoint.Load(last); err != nil {
					t.Fatalf("kill %d after %v: the last checkpoint does not load: %v", i, delay, err)
				}
				next = []string{"train", "--resume", dir, "-q"}
			} else {
				next = append(args, "--overwrite") // killed before the first checkpoint
			}
			if out, err := exec.Command(bin, next...).CombinedOutput(); err != nil {
				t.Fatalf("kill %d after %v: %v: %v\n%s", i, delay, next, err, out)
			}
		}
		sameTensors(t, want, last)
		if a, b := testfix.MetricsWithoutTimings(t, full), testfix.MetricsWithoutTimings(t, dir); a != b {
			t.Fatalf("kill %d after %v: metrics.csv differ:\n%s\nvs\n%s", i, delay, a, b)
		}
		t.Logf("kill %d after %v (killed: %v): resumed to the same weights", i, delay, killed)
	}
	if resumed < 10 {
		t.Errorf("only %d of 20 kills landed after the first checkpoint: the loop hardly tests resuming", resumed)
	}
	t.Logf("%d of 20 kills resumed from a checkpoint, the others started over", resumed)
}
