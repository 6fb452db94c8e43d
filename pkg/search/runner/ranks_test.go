package runner

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/config"
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

// connectRanks connects n in-process ranks (dist.NewGroup) over their
// control network.
func connectRanks(t *testing.T, n int) []*dist.Control {
	t.Helper()
	comms := dist.NewGroup(n)
	ctls, err := dist.ConnectGroup(comms)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for r := range n {
			ctls[r].Close()
			comms[r].Close()
		}
	})
	return ctls
}

// distResult is what a distributed search in a test ended with.
type distResult struct {
	ranks   *Ranks
	sum     *Summary
	err     error   // the search's
	workers []error // each worker's Work, by rank
}

// distributed runs the search of cfg in dir over the ranks of ctls, one
// job at a time on each, rank r training with workers[r]; during runs
// beside the search.
func distributed(t *testing.T, ctls []*dist.Control, workers []Launcher, cfg *config.Config, dir string, during func(*Ranks)) distResult {
	t.Helper()
	errs := make([]error, len(ctls))
	var wg sync.WaitGroup
	for r := 1; r < len(ctls); r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[r] = Work(ctls[r], workers[r], nil)
		}()
	}
	ranks := NewRanks(ctls[0], workers[0], 1)
	if during != nil {
		go during(ranks)
	}
	sum, err := Run(Options{Config: cfg, Dir: dir, Launcher: ranks, Parallel: ranks.Slots(), Threads: 1})
	if cerr := ranks.Close(); err == nil {
		err = cerr
	}
	wg.Wait()
	return distResult{ranks, sum, err, errs}
}

// TestRanksInProcess runs the grid as a distributed search over 3
// in-process ranks, 1 job at a time on each: every trial is trained once,
// by all three ranks together, and search.csv is the one-process search's.
func TestRanksInProcess(t *testing.T) {
	cfg := searchConfig(t, "search.method=grid", gridSpace)
	one := t.TempDir()
	runSearch(t, Options{Config: cfg, Dir: one, Launcher: &inProcess{}})

	workers := []*inProcess{{}, {}, {}}
	dir := t.TempDir()
	res := distributed(t, connectRanks(t, 3), []Launcher{workers[0], workers[1], workers[2]}, cfg, dir, nil)
	if res.err != nil {
		t.Fatal(res.err)
	}
	total := 0
	for r, w := range workers {
		if res.workers[r] != nil {
			t.Fatalf("rank %d: %v", r, res.workers[r])
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

// stalling holds its first job until it is stopped, then reports it
// Stopped: a rank that falls silent mid-trial.
type stalling struct {
	inProcess
	started chan Job
	once    sync.Once
}

func (l *stalling) Launch(j Job, interrupt <-chan struct{}) JobResult {
	first := false
	l.once.Do(func() { first = true })
	if !first {
		return l.inProcess.Launch(j, interrupt)
	}
	l.started <- j
	<-interrupt
	return JobResult{Outcome: Stopped}
}

// TestRanksRankLost: a rank lost in the middle of a trial (taken for
// gone) loses only that trial's job, which is rerun on another rank; the
// search finishes every trial with one process's search.csv, trains
// nothing more on the lost rank, and tells it to stop.
func TestRanksRankLost(t *testing.T) {
	cfg := searchConfig(t, "search.method=grid", gridSpace)
	one := t.TempDir()
	runSearch(t, Options{Config: cfg, Dir: one, Launcher: &inProcess{}})

	lost := &stalling{started: make(chan Job, 1)}
	workers := []Launcher{&inProcess{}, &inProcess{}, lost}
	dir := t.TempDir()
	var lostJob Job
	res := distributed(t, connectRanks(t, 3), workers, cfg, dir, func(r *Ranks) {
		lostJob = <-lost.started
		r.lose(2, errors.New("rank 2 is gone: no word from it (test)"))
	})
	if res.err != nil {
		t.Fatal(res.err)
	}
	for r, e := range res.workers {
		if e != nil {
			t.Errorf("rank %d: %v", r, e)
		}
	}
	if gone := res.ranks.Lost(); gone[2] == nil || gone[1] != nil {
		t.Errorf("lost ranks %v, want rank 2 only", gone)
	}
	if n := len(lost.jobs); n != 0 {
		t.Errorf("the lost rank trained %d more jobs", n)
	}
	for _, tr := range res.sum.Trials {
		want := 0
		if tr.ID == lostJob.Trial {
			want = 1
		}
		if tr.Status != StatusDone || tr.Reruns != want {
			t.Errorf("trial %d: %s after %d reruns, want done after %d", tr.ID, tr.Status, tr.Reruns, want)
		}
	}
	if a, b := testfix.SearchCSVWithoutTimes(t, one), testfix.SearchCSVWithoutTimes(t, dir); a != b {
		t.Errorf("search.csv with a lost rank:\n%s\none process:\n%s", b, a)
	}
}
