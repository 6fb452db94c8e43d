package runner

import (
	"strings"
	"sync"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/dist"
)

// losing fails the jobs of some trials as Lost (their process killed)
// a number of times, then trains them with inProcess.
type losing struct {
	inProcess
	mu   sync.Mutex
	lose map[int]int // trial → jobs still to lose
}

func (l *losing) Launch(j Job, interrupt <-chan struct{}) JobResult {
	l.mu.Lock()
	if l.lose[j.Trial] > 0 {
		l.lose[j.Trial]--
		l.mu.Unlock()
		return JobResult{Outcome: Lost, Err: "its process was killed by signal 9 (killed)"}
	}
	l.mu.Unlock()
	return l.inProcess.Launch(j, interrupt)
}

// TestLostJobsRerun: a trial whose job is lost once is rerun and ends as
// an untouched search's; one lost more than MaxReruns times fails with the
// reason.
func TestLostJobsRerun(t *testing.T) {
	cfg := searchConfig(t, "search.method=grid", gridSpace)
	clean := t.TempDir()
	runSearch(t, Options{Config: cfg, Dir: clean, Launcher: &inProcess{}})
	dir := t.TempDir()
	l := &losing{lose: map[int]int{3: 1, 7: MaxReruns + 1}}
	sum := runSearch(t, Options{Config: cfg, Dir: dir, Launcher: l})
	for _, tr := range sum.Trials {
		switch tr.ID {
		case 3:
			if tr.Status != StatusDone || tr.Reruns != 1 {
				t.Errorf("trial 3: %s after %d reruns, want done after 1", tr.Status, tr.Reruns)
			}
		case 7:
			if tr.Status != StatusFailed || tr.Reruns != MaxReruns || tr.Error == "" {
				t.Errorf("trial 7: %s after %d reruns (%q), want failed after %d", tr.Status, tr.Reruns, tr.Error, MaxReruns)
			}
		default:
			if tr.Status != StatusDone || tr.Reruns != 0 {
				t.Errorf("trial %d: %s after %d reruns", tr.ID, tr.Status, tr.Reruns)
			}
		}
	}
	a, b := testfix.SearchCSVWithoutTimes(t, clean), testfix.SearchCSVWithoutTimes(t, dir)
	if strings.Count(a, "\n") != strings.Count(b, "\n") {
		t.Fatalf("search.csv:\n%s\nuntouched:\n%s", b, a)
	}
	for i, line := range strings.Split(a, "\n") {
		if got := strings.Split(b, "\n")[i]; got != line && !strings.HasPrefix(got, "7,") {
			t.Errorf("search.csv line %d: %q, untouched %q", i, got, line)
		}
	}
}

// TestRanksInProcess runs the grid as a distributed search over 3
// in-process ranks (dist.NewGroup), 1 job at a time on each: every trial
// is trained once, by all three ranks together, and search.csv is the
// one-process search's.
func TestRanksInProcess(t *testing.T) {
	cfg := searchConfig(t, "search.method=grid", gridSpace)
	one := t.TempDir()
	runSearch(t, Options{Config: cfg, Dir: one, Launcher: &inProcess{}})

	comms := dist.NewGroup(3)
	workers := make([]*inProcess, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for r := 1; r < 3; r++ {
		workers[r] = &inProcess{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer comms[r].Close()
			errs[r] = Work(comms[r], workers[r], nil)
		}()
	}
	workers[0] = &inProcess{}
	ranks := NewRanks(comms[0], workers[0], 1)
	dir := t.TempDir()
	_, err := Run(Options{Config: cfg, Dir: dir, Launcher: ranks, Parallel: ranks.Slots(), Threads: 1})
	if cerr := ranks.Close(); err == nil {
		err = cerr
	}
	comms[0].Close()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for r, w := range workers {
		if errs[r] != nil {
			t.Fatalf("rank %d: %v", r, errs[r])
		}
		if len(w.jobs) == 0 {
			t.Errorf("rank %d trained no trial", r)
		}
		for _, j := range w.jobs {
			if j.Rank != r {
				t.Errorf("rank %d trained a job for rank %d", r, j.Rank)
			}
		}
		total += len(w.jobs)
	}
	if total != 9 {
		t.Errorf("%d jobs over the ranks, want 9", total)
	}
	if a, b := testfix.SearchCSVWithoutTimes(t, one), testfix.SearchCSVWithoutTimes(t, dir); a != b {
		t.Errorf("distributed search.csv:\n%s\none process:\n%s", b, a)
	}
}
