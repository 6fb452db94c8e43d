package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/search/runner"
)

// mpiConfig is a small CNN with batch norm on the in-repo subset: global
// batch 32, so 16 per rank on 2 ranks, and ghost batch norm of 16, which
// makes one process normalize exactly as each of the 2 ranks does (on a
// rank the ghost size equals the local batch: one part). %q is data.dir.
const mpiConfig = `seed: 1
data:
  dir: %q
  val_split: 100
  train_limit: 600
model:
  arch: cnn
  widths: [4, 8]
  convs_per_stage: 1
  hidden: [16]
  batch_norm: true
  head_init_scale: 0.1
optimizer:
  lr: 0.05
  momentum: 0.9
train:
  epochs: 2
  batch_size: 32
  ghost_batch_size: 16
`

// mpiTolerance bounds the weight difference between 2 ranks and one
// process after mpiConfig's 32 steps. The two sum the same terms in a
// different order (each rank sums its 16 examples, then the all-reduce
// adds the two sums; one process adds all 32 in its own blocking), so
// they agree to float32 rounding, amplified by training: measured 7e-7
// here, optimizer state included, and at most 2.1e-6 in the in-process
// tests of pkg/engine. Without the small head init (model.head_init_scale)
// the first steps are chaotic enough to grow the same rounding to 1e-3 in
// the first conv's momentum.
const mpiTolerance = 2e-5

// mpiBinary builds nettrain with -tags mpi and returns it with mpirun's
// path. Without OpenMPI (mpicc, mpirun) the test is skipped, except in CI,
// which installs it (.ci/run) and so fails instead.
func mpiBinary(t *testing.T) (bin, mpirun string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the MPI binary and starts mpirun")
	}
	missing := func(format string, args ...any) {
		t.Helper()
		if inCI() {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	mpirun, err := exec.LookPath("mpirun")
	if err != nil {
		missing("no mpirun (Debian: apt-get install openmpi-bin libopenmpi-dev): %v", err)
	}
	bin = filepath.Join(t.TempDir(), "nettrain-mpi")
	cmd := exec.Command("go", "build", "-tags", "mpi", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		missing("cannot build with -tags mpi (needs libopenmpi-dev and a C compiler): %v\n%s", err, out)
	}
	return bin, mpirun
}

// mpiRun runs bin under mpirun on n ranks of this machine (loopback) and
// returns its output; a failure fails the test.
func mpiRun(t *testing.T, mpirun, bin string, n int, args ...string) string {
	t.Helper()
	full := append([]string{"--allow-run-as-root", "--oversubscribe", "-np", fmt.Sprint(n), bin}, args...)
	out, err := exec.Command(mpirun, full...).CombinedOutput()
	if err != nil {
		t.Fatalf("mpirun -np %d %s: %v\n%s", n, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// maxWeightDiff is the largest absolute difference between the tensors of
// two checkpoints, which must hold the same names and shapes.
func maxWeightDiff(t *testing.T, a, b string) float64 {
	t.Helper()
	worst := 0.0
	tensorPairs(t, a, b, func(_ string, x, y []float32) {
		for j := range x {
			worst = math.Max(worst, math.Abs(float64(x[j])-float64(y[j])))
		}
	})
	return worst
}

// TestMPIDataParallel runs mpiConfig with `mpirun -np 2` on loopback
// against one process with the same global batch and ghost batch norm of
// the per-rank size: the final weights agree within mpiTolerance, a
// repeated 2-rank run is bit-identical (MPI's reduction order on 2 ranks is
// fixed), and a run split after epoch 1 resumes on the other number of
// ranks (2 → 1 and 1 → 2) to the same weights. With synchronized batch
// norm instead of ghost, 2 ranks match one process that normalizes the
// whole batch.
func TestMPIDataParallel(t *testing.T) {
	bin, mpirun := mpiBinary(t)
	dir := t.TempDir()
	cfg := writeFile(t, dir, "dp.yaml", fmt.Sprintf(mpiConfig, testfix.SmallData(t)))
	last := func(run string) string { return filepath.Join(run, "checkpoints", "last.ckpt") }
	runDir := func(name string) string { return filepath.Join(dir, name) }
	one := func(name string, args ...string) {
		t.Helper()
		if code, _, errs := nettrain(t, append([]string{"train", "-q", "--out", runDir(name)}, args...)...); code != 0 {
			t.Fatalf("one process %v: exit %d\n%s", args, code, errs)
		}
	}
	two := func(name string, args ...string) string {
		t.Helper()
		return mpiRun(t, mpirun, bin, 2, append([]string{"train", "-q", "--out", runDir(name)}, args...)...)
	}
	twoResume := func(name string) {
		t.Helper()
		mpiRun(t, mpirun, bin, 2, "train", "-q", "--resume", runDir(name))
	}

	one("one", "-c", cfg)
	out := two("two", "-c", cfg)
	if !strings.Contains(out, "data-parallel: 2 ranks × 16 examples = global batch 32") {
		t.Errorf("the 2-rank run does not print its data-parallel line:\n%s", out)
	}
	if n := strings.Count(out, "test accuracy"); n != 1 {
		t.Errorf("%d ranks reported the test score; only rank 0 reports:\n%s", n, out)
	}
	if d := maxWeightDiff(t, last(runDir("one")), last(runDir("two"))); d > mpiTolerance {
		t.Errorf("2 ranks vs one process: max weight difference %.3g > %g", d, mpiTolerance)
	} else {
		t.Logf("2 ranks vs one process: max weight difference %.3g", d)
	}
	two("two-again", "-c", cfg)
	sameTensors(t, last(runDir("two")), last(runDir("two-again")))

	// Split after epoch 1 and resumed on the other number of ranks.
	two("two-then-one", "-c", cfg, "--stop-after-epochs", "1")
	if code, _, errs := nettrain(t, "train", "-q", "--resume", runDir("two-then-one")); code != 0 {
		t.Fatalf("resuming the 2-rank run in one process: exit %d\n%s", code, errs)
	}
	one("one-then-two", "-c", cfg, "--stop-after-epochs", "1")
	twoResume("one-then-two")
	for _, name := range []string{"two-then-one", "one-then-two"} {
		if d := maxWeightDiff(t, last(runDir("one")), last(runDir(name))); d > mpiTolerance {
			t.Errorf("%s vs one process: max weight difference %.3g > %g", name, d, mpiTolerance)
		}
	}

	// Synchronized batch norm: 2 ranks normalize over the global batch.
	one("one-whole", "-c", cfg, "--set", "train.ghost_batch_size=0")
	two("two-sync", "-c", cfg, "--set", "train.ghost_batch_size=0", "--set", "distributed.sync_bn=true")
	if d := maxWeightDiff(t, last(runDir("one-whole")), last(runDir("two-sync"))); d > mpiTolerance {
		t.Errorf("2 ranks with sync_bn vs one process: max weight difference %.3g > %g", d, mpiTolerance)
	}
}

// process is a running process: its id, its parent's, its environment.
type process struct {
	pid, ppid int
	env       []string
}

// processes lists the running processes (Linux /proc).
func processes() []process {
	var out []process
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so count
		// from the last ')'.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		env, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		out = append(out, process{pid: pid, ppid: ppid, env: strings.Split(string(env), "\x00")})
	}
	return out
}

// rankPID is the process of MPI rank rank among the children of the
// mpirun process parent (a rank's environment holds OMPI_COMM_WORLD_RANK),
// or 0 while it is not running.
func rankPID(parent, rank int) int {
	want := fmt.Sprintf("OMPI_COMM_WORLD_RANK=%d", rank)
	for _, p := range processes() {
		if p.ppid == parent && slices.Contains(p.env, want) {
			return p.pid
		}
	}
	return 0
}

// childPID is a child process of parent, or 0 if it has none.
func childPID(parent int) int {
	for _, p := range processes() {
		if p.ppid == parent {
			return p.pid
		}
	}
	return 0
}

// TestMPIRankDies kills rank 1 of a 2-rank run (SIGKILL) once the run has
// written its first checkpoint: the job ends with a non-zero status and a
// message naming the rank, the last checkpoint is whole, and the run
// resumes from it in one process. Plain mpirun stops rank 0 itself; under
// `mpirun --enable-recovery` it lets rank 0 run, and rank 0, which would
// wait for rank 1 in the next all-reduce forever, learns of the death from
// the control connection and ends with a message (mpirun's status is then
// 0, as for any job under --enable-recovery).
func TestMPIRankDies(t *testing.T) {
	bin, mpirun := mpiBinary(t)
	for _, tc := range []struct {
		name     string
		mpiFlags []string
		want     [][]string // in the job's output: one of each group
	}{
		// Whoever is first says it: mpirun ("rank 1 … signal 9"), or
		// rank 0 reading the death from its control connection.
		{"mpirun", nil, [][]string{{"rank 1"}, {"signal 9", "nettrain: rank 1 is gone: its connection closed"}}},
		{"enable-recovery", []string{"--enable-recovery"}, [][]string{{"exit status is 0 whatever"}, {"nettrain: rank 1 is gone: its connection closed"}, {"cannot go on without it"}, {"--resume"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := writeFile(t, dir, "dp.yaml", fmt.Sprintf(mpiConfig, testfix.SmallData(t)))
			run := filepath.Join(dir, "run")
			last := filepath.Join(run, "checkpoints", "last.ckpt")
			flags := append([]string{"--allow-run-as-root", "--oversubscribe", "-np", "2"}, tc.mpiFlags...)
			cmd := exec.Command(mpirun, append(flags, bin, "train", "-q", "-c", cfg, "--out", run, "--set", "train.epochs=5000")...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			deadline := time.Now().Add(2 * time.Minute)
			victim := 0
			for victim == 0 {
				if _, err := os.Stat(last); err == nil {
					victim = rankPID(cmd.Process.Pid, 1)
				}
				select {
				case err := <-done:
					t.Fatalf("the run ended (%v) before rank 1 could be killed:\n%s", err, out.String())
				case <-time.After(50 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					t.Fatalf("no checkpoint or no rank 1 after 2 minutes:\n%s", out.String())
				}
			}
			if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(2 * time.Minute):
				_ = cmd.Process.Kill()
				t.Fatalf("the job did not end within 2 minutes of rank 1's death:\n%s", out.String())
			}
			// Under --enable-recovery OpenMPI's mpirun exits 0 whatever
			// its ranks did: the message is what tells.
			if err == nil && tc.mpiFlags == nil {
				t.Fatalf("the job succeeded although rank 1 was killed:\n%s", out.String())
			}
			for _, group := range tc.want {
				said := false
				for _, w := range group {
					said = said || strings.Contains(out.String(), w)
				}
				if !said {
					t.Errorf("the job's output says none of %q:\n%s", group, out.String())
				}
			}
			if _, err := checkpoint.Load(last); err != nil {
				t.Fatalf("the last checkpoint after rank 1's death: %v", err)
			}
			code, stdout, errs := nettrain(t, "train", "--resume", run, "--stop-after-epochs", "1")
			if code != 0 || !strings.Contains(stdout, "resuming") {
				t.Fatalf("resuming after rank 1's death: exit %d\n%s%s", code, stdout, errs)
			}
		})
	}
}

// searchJobs counts the jobs (trial process starts) in a search folder's
// trial logs, in all and on rank 1.
func searchJobs(t *testing.T, dir string) (all, onRank1 int) {
	t.Helper()
	logs, err := filepath.Glob(filepath.Join(dir, "trials", "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		all += strings.Count(string(b), " nettrain --threads")
		onRank1 += strings.Count(string(b), "[rank 1] nettrain --threads")
	}
	return all, onRank1
}

// TestMPISearch runs searchYAML's 3×3 grid (6 epochs per trial, 1 thread,
// one trial at a time per rank) in one process and with `mpirun -np 2`:
// the 2-rank search trains every trial exactly once, on both ranks, and
// ends with the same search.csv (timings aside). Then, in a second 2-rank
// search, a trial process of rank 1 is killed (SIGKILL) mid-trial: only
// that trial is rerun, from its last checkpoint, and the search.csv is
// still the same. Then rank 1 itself is killed: the job ends, and
// `mpirun -np 2 nettrain search --resume` finishes it, every trial done
// once, the same search.csv again. Last, rank 1 is killed under `mpirun
// --enable-recovery`: the search goes on without it, reruns the trial it
// was training, and ends with the same search.csv.
func TestMPISearch(t *testing.T) {
	bin, mpirun := mpiBinary(t)
	work := t.TempDir()
	cfg := writeFile(t, work, "grid.yaml", fmt.Sprintf(searchYAML, testfix.SmallData(t)))
	args := func(more ...string) []string {
		return append([]string{"--threads", "1", "search", "-q", "--parallel", "1"}, more...)
	}
	one := filepath.Join(work, "one")
	if out, err := exec.Command(bin, args("-c", cfg, "--out", one)...).CombinedOutput(); err != nil {
		t.Fatalf("one-process search: %v\n%s", err, out)
	}
	want := testfix.SearchCSVWithoutTimes(t, one)

	two := filepath.Join(work, "two")
	out := mpiRun(t, mpirun, bin, 2, args("-c", cfg, "--out", two)...)
	if !strings.Contains(out, "distributed search: 2 ranks × 1 trials at once") {
		t.Errorf("no distributed-search line:\n%s", out)
	}
	if n := finishedTrials(two); n != 9 {
		t.Fatalf("2 ranks: %d trials finished, want 9\n%s", n, out)
	}
	if all, r1 := searchJobs(t, two); all != 9 || r1 == 0 || r1 == 9 {
		t.Errorf("2 ranks: %d jobs, %d on rank 1; want 9, on both ranks", all, r1)
	}
	if got := testfix.SearchCSVWithoutTimes(t, two); got != want {
		t.Errorf("2-rank search.csv:\n%s\none process:\n%s", got, want)
	}

	// start runs a 2-rank search in the background and waits until a
	// trial process of rank 1 runs with at least one trial finished; it
	// returns the command, its output, its end, and that trial process.
	start := func(dir string, mpiFlags ...string) (*exec.Cmd, *bytes.Buffer, chan error, int, int) {
		t.Helper()
		flags := append([]string{"--allow-run-as-root", "--oversubscribe", "-np", "2"}, mpiFlags...)
		cmd := exec.Command(mpirun, append(append(flags, bin), args("-c", cfg, "--out", dir)...)...)
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			rank1 := rankPID(cmd.Process.Pid, 1)
			if trial := childPID(rank1); rank1 != 0 && trial != 0 && finishedTrials(dir) >= 1 {
				return cmd, &buf, done, rank1, trial
			}
			select {
			case err := <-done:
				t.Fatalf("the search ended (%v) before a trial of rank 1 could be killed:\n%s", err, buf.String())
			case <-time.After(10 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				t.Fatalf("no trial process on rank 1 after 2 minutes:\n%s", buf.String())
			}
		}
	}

	lost := filepath.Join(work, "lost")
	_, buf, done, _, trial := start(lost)
	if err := syscall.Kill(trial, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the search with a killed trial failed: %v\n%s", err, buf.String())
	}
	if !strings.Contains(buf.String(), "lost: its process was killed by signal 9 (killed); rerun 1 of 2 from its last checkpoint") {
		t.Errorf("the search does not report the lost trial:\n%s", buf.String())
	}
	if n := finishedTrials(lost); n != 9 {
		t.Fatalf("after a lost trial: %d trials finished, want 9\n%s", n, buf.String())
	}
	if all, _ := searchJobs(t, lost); all != 10 {
		t.Errorf("after a lost trial: %d jobs, want 9 and the rerun", all)
	}
	if got := testfix.SearchCSVWithoutTimes(t, lost); got != want {
		t.Errorf("search.csv after a lost trial:\n%s\none process:\n%s", got, want)
	}

	dead := filepath.Join(work, "dead")
	_, buf, done, rank1, _ := start(dead)
	before := finishedTrials(dead)
	if err := syscall.Kill(rank1, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("the job succeeded although rank 1 was killed:\n%s", buf.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("the job did not end within 2 minutes of rank 1's death:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "rank 1") {
		t.Errorf("the job's output does not name rank 1:\n%s", buf.String())
	}
	out = mpiRun(t, mpirun, bin, 2, "--threads", "1", "search", "-q", "--parallel", "1", "--resume", dead)
	if n := finishedTrials(dead); n != 9 {
		t.Fatalf("resumed after rank 1's death: %d trials finished, want 9\n%s", n, out)
	}
	if got := testfix.SearchCSVWithoutTimes(t, dead); got != want {
		t.Errorf("search.csv after rank 1's death and resume:\n%s\none process:\n%s", got, want)
	}
	t.Logf("rank 1 killed with %d of 9 trials finished; resumed to 9. The job's output at the death:\n%s", before, buf.String())

	// Under `mpirun --enable-recovery` the job outlives rank 1: its
	// running trial is lost and rerun on rank 0, and the search ends as
	// the others did.
	survived := filepath.Join(work, "survived")
	_, buf, done, rank1, _ = start(survived, "--enable-recovery")
	if err := syscall.Kill(rank1, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the search did not outlive rank 1 under --enable-recovery: %v\n%s", err, buf.String())
		}
	case <-time.After(3 * time.Minute):
		t.Fatalf("the search did not end within 3 minutes of rank 1's death:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "lost: rank 1 is gone: its connection closed") || !strings.Contains(buf.String(), "rerun 1 of 2") {
		t.Errorf("the search does not report rank 1's lost trial:\n%s", buf.String())
	}
	if n := finishedTrials(survived); n != 9 {
		t.Fatalf("after rank 1's death: %d trials finished, want 9\n%s", n, buf.String())
	}
	if all, _ := searchJobs(t, survived); all != 10 {
		t.Errorf("after rank 1's death: %d jobs, want 9 and the rerun\n%s", all, buf.String())
	}
	if got := testfix.SearchCSVWithoutTimes(t, survived); got != want {
		t.Errorf("search.csv after rank 1's death:\n%s\none process:\n%s", got, want)
	}
}

// TestMPIRankFailsAlone starts 2-rank jobs in which rank 0 fails on its
// own (the folder it would write holds a run or a search) while rank 1
// waits for it in the job's first collective: the job must end with rank
// 0's message and its exit status, not hang.
func TestMPIRankFailsAlone(t *testing.T) {
	bin, mpirun := mpiBinary(t)
	work := t.TempDir()
	data := testfix.SmallData(t)
	for _, tc := range []struct {
		name, yaml, taken string // taken: a file that marks the folder as used
		args              []string
		want              string
	}{
		{"train", fmt.Sprintf(mpiConfig, data), "metrics.csv", []string{"train", "-q"}, "already holds a run"},
		{"search", fmt.Sprintf(searchYAML, data), runner.StateFile, []string{"--threads", "1", "search", "-q", "--parallel", "1"}, "already holds a search"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := writeFile(t, work, tc.name+".yaml", tc.yaml)
			dir := filepath.Join(work, tc.name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			writeFile(t, dir, tc.taken, "")
			args := append([]string{"--allow-run-as-root", "--oversubscribe", "-np", "2", bin}, tc.args...)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, mpirun, append(args, "-c", cfg, "--out", dir)...)
			// On a hang, SIGTERM lets mpirun take its ranks down with it.
			cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
			cmd.WaitDelay = 10 * time.Second
			out, err := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("the job hung (killed after 2 minutes):\n%s", out)
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != exitUsage {
				t.Fatalf("exit %v, want status %d:\n%s", err, exitUsage, out)
			}
			if !strings.Contains(string(out), "nettrain: ") || !strings.Contains(string(out), tc.want) {
				t.Errorf("no %q message from rank 0:\n%s", tc.want, out)
			}
		})
	}
}
