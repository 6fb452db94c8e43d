package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nettrain/nettrain/internal/testfix"
)

// searchYAML is a 3×3 grid on the in-repo subset whose trials take a few
// tenths of a second each, so a kill lands mid-search. %q is data.dir.
const searchYAML = `name: grid
seed: 1
data: {dir: %q, val_split: 200, train_limit: 1200}
model: {hidden: [128], head_init_scale: 0.1}
optimizer: {lr: 0.05, momentum: 0.9}
train: {epochs: 6, batch_size: 32}
search:
  method: grid
  space:
    - {key: optimizer.lr, values: [0.1, 0.03, 0.01]}
    - {key: regularization.l2, values: [0, 1.0e-4, 1.0e-3]}
`

// finishedTrials counts the finished trials in a search folder's state.
func finishedTrials(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "search.json"))
	if err != nil {
		return 0
	}
	var st struct {
		Stages []struct {
			Trials []struct{ Status string } `json:"trials"`
		} `json:"stages"`
	}
	if json.Unmarshal(b, &st) != nil {
		return 0
	}
	n := 0
	for _, s := range st.Stages {
		for _, t := range s.Trials {
			switch t.Status {
			case "done", "stopped", "diverged", "failed":
				n++
			}
		}
	}
	return n
}

// processesIn lists the running processes whose command line names dir.
func processesIn(dir string) []string {
	var found []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), dir) {
			found = append(found, strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return found
}

// TestSearchKillResume runs a 3×3 grid search with the built binary
// (trials as processes, two at once), SIGKILLs a second one once two
// trials have finished, checks that no trial process outlives it, resumes
// it and compares: exactly 9 trials, no finished trial rerun, the same
// search.csv as the uninterrupted search (timings aside).
func TestSearchKillResume(t *testing.T) {
	bin := buildBinary(t)
	work := t.TempDir()
	cfgPath := filepath.Join(work, "grid.yaml")
	if err := os.WriteFile(cfgPath, fmt.Appendf(nil, searchYAML, testfix.SmallData(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	search := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, append([]string{"--threads", "2", "search", "-q"}, args...)...)
		cmd.Dir = work
		return cmd
	}
	full := filepath.Join(work, "full")
	if out, err := search("-c", cfgPath, "--out", full).CombinedOutput(); err != nil {
		t.Fatalf("search: %v\n%s", err, out)
	}
	if n := finishedTrials(full); n != 9 {
		t.Fatalf("%d trials finished, want 9", n)
	}

	killed := filepath.Join(work, "killed")
	cmd := search("-c", cfgPath, "--out", killed)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for finishedTrials(killed) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	before := finishedTrials(killed)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	if before < 2 || before >= 9 {
		t.Fatalf("killed with %d of 9 trials finished; the test needs 2..8 (are the trials too fast?)", before)
	}
	time.Sleep(300 * time.Millisecond) // the kernel kills the trials with their parent
	if left := processesIn(killed); len(left) > 0 {
		t.Fatalf("trial processes outlived the killed search: %q", left)
	}
	if out, err := search("--resume", killed).CombinedOutput(); err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	if a, b := testfix.SearchCSVWithoutTimes(t, full), testfix.SearchCSVWithoutTimes(t, killed); a != b {
		t.Errorf("search.csv after kill and resume:\n%s\nuninterrupted:\n%s", b, a)
	}
	logs, _ := filepath.Glob(filepath.Join(killed, "trials", "*.log"))
	jobs := 0
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		jobs += strings.Count(string(b), " nettrain --threads")
	}
	if len(logs) != 9 || jobs > 9+2 { // at most the 2 interrupted trials run twice
		t.Errorf("%d trial logs with %d jobs; want 9 logs and at most 11 jobs", len(logs), jobs)
	}
}

// TestSearchBadInput: usage and config errors are one line, exit 2.
func TestSearchBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"search", "-c", quickstart, "--out", dir},
		{"search"},
		{"search", "--resume", dir},
		{"search", "--resume", dir, "-c", quickstart},
		{"search", "-c", quickstart, "--parallel", "-1"},
		{"search", "-c", quickstart, "--set", "search.space=[{key: optimizer.lr, min: 1, max: 0.1}]"},
	} {
		code, _, errs := nettrain(t, args...)
		if code != 2 || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d %q, want 2 and one line", args, code, errs)
		}
	}
}
