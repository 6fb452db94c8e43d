package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/run"
	"github.com/nettrain/nettrain/pkg/tboard"
)

// inProcess runs jobs with run.Train in the test's process, as `nettrain
// train` would; afterJob, when set, is called after every job.
type inProcess struct {
	mu       sync.Mutex
	jobs     []Job
	afterJob func(n int)
}

func (l *inProcess) Launch(j Job, interrupt <-chan struct{}) JobResult {
	path := j.Config
	if j.Resume {
		path = filepath.Join(j.RunDir, run.ConfigFile)
	}
	cfg, err := config.Load(path, nil)
	if err != nil {
		return JobResult{Outcome: Failed, Err: err.Error()}
	}
	opt := run.Options{ConfigPath: path, OutDir: j.RunDir, Overwrite: !j.Resume, Resume: j.Resume, Interrupt: interrupt, HParams: j.HParams}
	if !j.Final {
		opt.StopAtEpoch = j.Until
	}
	_, err = run.Train(cfg, opt)
	res := JobResult{Outcome: Trained}
	var in *run.Interrupted
	var dv *engine.Diverged
	switch {
	case errors.As(err, &in):
		select {
		case <-interrupt:
			res = JobResult{Outcome: Stopped}
		default:
		}
	case errors.As(err, &dv):
		res = JobResult{Outcome: Diverged, Err: err.Error()}
	case err != nil:
		res = JobResult{Outcome: Failed, Err: err.Error()}
	}
	l.mu.Lock()
	l.jobs = append(l.jobs, j)
	n := len(l.jobs)
	l.mu.Unlock()
	if l.afterJob != nil {
		l.afterJob(n)
	}
	return res
}

// searchConfig is the test fixture with a search section.
func searchConfig(t *testing.T, sets ...string) *config.Config {
	return testfix.Config(t, sets...)
}

const gridSpace = "search.space=[{key: optimizer.lr, values: [0.1, 0.03, 0.01]}, {key: regularization.l2, values: [0, 1.0e-4, 1.0e-3]}]"

const randomSpace = "search.space=[{key: optimizer.lr, min: 1.0e-3, max: 0.3, log: true}, {key: regularization.l2, min: 1.0e-6, max: 1.0e-2, log: true}]"

func runSearch(t *testing.T, opt Options) *Summary {
	t.Helper()
	if opt.Parallel == 0 {
		opt.Parallel = 2
	}
	opt.Threads = 1
	s, err := Run(opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGridInterruptResume: a 3×3 grid runs exactly 9 trials; stopped after
// its fourth job and resumed, it reruns no finished trial and ends with the
// same search.csv as an uninterrupted search (timings aside).
func TestGridInterruptResume(t *testing.T) {
	cfg := searchConfig(t, "search.method=grid", gridSpace)
	full := t.TempDir()
	l := &inProcess{}
	sum := runSearch(t, Options{Config: cfg, Dir: full, Launcher: l})
	if len(l.jobs) != 9 || len(sum.Trials) != 9 || sum.Epochs != 18 {
		t.Fatalf("%d jobs, %d trials, %d epochs; want 9, 9, 18", len(l.jobs), len(sum.Trials), sum.Epochs)
	}
	for _, name := range []string{BestFile, PlotFile, StateFile, ConfigFile} {
		if _, err := os.Stat(filepath.Join(full, name)); err != nil {
			t.Error(err)
		}
	}
	best, err := config.Load(filepath.Join(full, BestFile), nil)
	if err != nil {
		t.Fatalf("best.yaml does not load: %v", err)
	}
	if best.Output.Dir != cfg.Output.Dir || !reflect.ValueOf(best.Search).IsZero() {
		t.Errorf("best.yaml: output.dir %q (want %q), search section %+v", best.Output.Dir, cfg.Output.Dir, best.Search)
	}
	// Each trial is one TensorBoard HParams session with the searched keys.
	lrs := map[float64]bool{}
	for id := 1; id <= 9; id++ {
		files, _ := filepath.Glob(filepath.Join(full, TrialsDir, fmt.Sprintf("%03d", id), run.TensorBoardDir, "events.out.tfevents.*"))
		var start *tboard.SessionStart
		for _, f := range files {
			evs, err := tboard.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				for _, v := range e.Values {
					if d, err := tboard.DecodeHParams(v.PluginContent); v.PluginName == tboard.HParamsPlugin && err == nil && d.Start != nil {
						start = d.Start
					}
				}
			}
		}
		if start == nil {
			t.Fatalf("trial %d: no HParams session in %v", id, files)
		}
		lr, ok := start.HParams["optimizer.lr"].(float64)
		if _, ok2 := start.HParams["regularization.l2"]; !ok || !ok2 {
			t.Errorf("trial %d: hparams %v lack the searched keys", id, start.HParams)
		}
		lrs[lr] = true
	}
	if len(lrs) != 3 {
		t.Errorf("the trials' optimizer.lr hparams take %v, want the grid's 3 values", lrs)
	}

	dir := t.TempDir()
	stop := make(chan struct{})
	var once sync.Once
	first := &inProcess{afterJob: func(n int) {
		if n == 4 {
			once.Do(func() { close(stop) })
		}
	}}
	_, err = Run(Options{Config: cfg, Dir: dir, Launcher: first, Parallel: 2, Threads: 1, Interrupt: stop})
	var in *Interrupted
	if !errors.As(err, &in) {
		t.Fatalf("interrupted search: %v", err)
	}
	st, err := loadState(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	finished := map[int]bool{}
	for _, tr := range st.trials() {
		if tr.finished() {
			finished[tr.ID] = true
		}
	}
	if len(finished) < 3 || len(finished) > 6 {
		t.Fatalf("%d trials finished before the interrupt, want 3..6", len(finished))
	}
	second := &inProcess{}
	runSearch(t, Options{Resume: true, Dir: dir, Launcher: second})
	for _, j := range second.jobs {
		if finished[j.Trial] {
			t.Errorf("resume reran finished trial %d", j.Trial)
		}
	}
	if len(first.jobs)+len(second.jobs) < 9 {
		t.Errorf("%d + %d jobs for 9 trials", len(first.jobs), len(second.jobs))
	}
	if a, b := testfix.SearchCSVWithoutTimes(t, full), testfix.SearchCSVWithoutTimes(t, dir); a != b {
		t.Errorf("search.csv after resume differs:\n%s\nuninterrupted:\n%s", b, a)
	}
}

// TestASHA: promoted trials continue from their checkpoints, so a trial
// that reached the top rung has the metrics.csv of a straight run of its
// config; fewer epochs are spent than without the scheduler; and a search
// interrupted and resumed (one trial at a time, so the order is fixed)
// ends with the same rungs, promotions and search.csv.
func TestASHA(t *testing.T) {
	cfg := searchConfig(t, randomSpace, "search.trials=9", "search.epochs=4", "search.scheduler={type: asha, grace_period: 1, reduction_factor: 2}")
	full := t.TempDir()
	l := &inProcess{}
	sum := runSearch(t, Options{Config: cfg, Dir: full, Launcher: l, Parallel: 1})
	if sum.Epochs >= 9*4 {
		t.Errorf("ASHA spent %d epochs, no fewer than the %d of every trial to 4", sum.Epochs, 9*4)
	}
	var top *Trial
	resumed := 0
	for _, tr := range sum.Trials {
		if tr.Status == StatusDone && tr.Epochs == 4 {
			top = tr
		}
	}
	for _, j := range l.jobs {
		if j.Resume {
			resumed++
		}
	}
	if top == nil || resumed == 0 {
		t.Fatalf("no trial reached the top rung by promotions (%d resumed jobs)", resumed)
	}
	straight := t.TempDir()
	tcfg, err := config.Load(filepath.Join(full, TrialsDir, trialName(top)+".yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.Train(tcfg, run.Options{OutDir: straight}); err != nil {
		t.Fatal(err)
	}
	if a, b := testfix.MetricsWithoutTimings(t, filepath.Join(full, TrialsDir, trialName(top))), testfix.MetricsWithoutTimings(t, straight); a != b {
		t.Errorf("promoted trial %d's metrics.csv:\n%s\nstraight run:\n%s", top.ID, a, b)
	}

	dir := t.TempDir()
	stop := make(chan struct{})
	var once sync.Once
	first := &inProcess{afterJob: func(n int) {
		if n == 7 {
			once.Do(func() { close(stop) })
		}
	}}
	if _, err := Run(Options{Config: cfg, Dir: dir, Launcher: first, Parallel: 1, Threads: 1, Interrupt: stop}); err == nil {
		t.Fatal("the interrupted search did not stop")
	}
	runSearch(t, Options{Resume: true, Dir: dir, Launcher: &inProcess{}, Parallel: 1})
	if a, b := testfix.SearchCSVWithoutTimes(t, full), testfix.SearchCSVWithoutTimes(t, dir); a != b {
		t.Errorf("search.csv after resume differs:\n%s\nuninterrupted:\n%s", b, a)
	}
	a, b := ashaState(t, full), ashaState(t, dir)
	if a != b {
		t.Errorf("rungs after resume:\n%s\nuninterrupted:\n%s", b, a)
	}
}

func ashaState(t *testing.T, dir string) string {
	st, err := loadState(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(st.Stages[0].ASHA)
	return string(b)
}

// TestStages: a second stage samples the space narrowed around the first
// stage's best and trains its trials longer; a diverging trial is marked
// diverged and the search goes on.
func TestStages(t *testing.T) {
	cfg := searchConfig(t, "search.space=[{key: optimizer.lr, min: 1.0e-3, max: 100, log: true}]", "search.trials=6", "search.epochs=1",
		"search.stages=[{top_k: 2, trials: 3, epochs: 2}]")
	dir := t.TempDir()
	sum := runSearch(t, Options{Config: cfg, Dir: dir, Launcher: &inProcess{}})
	if len(sum.Trials) != 9 {
		t.Fatalf("%d trials, want 6 + 3", len(sum.Trials))
	}
	st, err := loadState(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	lr := st.Stages[1].Space[0]
	if *lr.Min <= 1e-3 && *lr.Max >= 100 {
		t.Errorf("stage 2 range [%g, %g] was not narrowed", *lr.Min, *lr.Max)
	}
	diverged := 0
	for _, tr := range sum.Trials {
		switch {
		case tr.Status == StatusDiverged:
			diverged++
		case tr.Status != StatusDone:
			t.Errorf("trial %d: status %s (%s)", tr.ID, tr.Status, tr.Error)
		case tr.Stage == 1 && tr.Epochs != 2:
			t.Errorf("stage-2 trial %d trained %d epochs, want 2", tr.ID, tr.Epochs)
		}
	}
	if diverged == 0 {
		t.Errorf("no trial of lr up to 100 diverged: %+v", sum.Trials)
	}
}

// TestBadStarts: a config without a search section, and a folder that
// already holds a search, are input errors naming what to do.
func TestBadStarts(t *testing.T) {
	dir := t.TempDir()
	_, err := Run(Options{Config: testfix.Config(t), ConfigPath: "c.yaml", Dir: dir, Launcher: &inProcess{}, Parallel: 1, Threads: 1})
	if !engine.IsInputError(err) || !strings.Contains(err.Error(), "no search section") {
		t.Errorf("no search section: %v", err)
	}
	cfg := searchConfig(t, "search.method=grid", "search.space=[{key: optimizer.lr, values: [0.05]}]", "search.epochs=1")
	runSearch(t, Options{Config: cfg, Dir: dir, Launcher: &inProcess{}})
	_, err = Run(Options{Config: cfg, Dir: dir, Launcher: &inProcess{}, Parallel: 1, Threads: 1})
	if !engine.IsInputError(err) || !strings.Contains(err.Error(), "already holds a search") {
		t.Errorf("second search in one folder: %v", err)
	}
	if _, err := Run(Options{Resume: true, Dir: t.TempDir(), Launcher: &inProcess{}, Parallel: 1, Threads: 1}); !engine.IsInputError(err) {
		t.Errorf("resume of an empty folder: %v", err)
	}
}
