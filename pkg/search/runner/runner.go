package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/run"
	"github.com/nettrain/nettrain/pkg/search"
)

// MaxReruns is how many times a trial whose job was lost (Lost: its
// process killed from outside) is rerun before it is marked failed.
const MaxReruns = 2

// Search-folder layout.
const (
	ConfigFile = "search.yaml" // the resolved config the search started from
	StateFile  = "search.json"
	CSVFile    = "search.csv"
	BestFile   = "best.yaml"
	PlotFile   = "search.png"
	TrialsDir  = "trials"
	lockFile   = "search.lock"
)

// Options are the settings of one `nettrain search` invocation.
type Options struct {
	// Config is the resolved config with its search section, read from
	// ConfigPath (for messages); Resume reads the folder's search.yaml
	// instead.
	Config     *config.Config
	ConfigPath string
	// Dir is the search folder; empty means output.dir + "-search".
	Dir string
	// Resume continues the search in Dir; Overwrite replaces one there.
	Resume, Overwrite bool
	// Parallel is the number of trials trained at once (>= 1), each on
	// Threads threads (>= 1).
	Parallel, Threads int
	// Launcher runs the trials' jobs (Process in production).
	Launcher Launcher
	// Stdout receives one line per finished job and the leaderboard;
	// Progress, when set, a bar over the search. Nil discards.
	Stdout, Progress io.Writer
	// Interrupt, when closed, stops the running trials resumably and ends
	// the search with an *Interrupted.
	Interrupt <-chan struct{}
}

// Interrupted is returned by Run when its interrupt stopped the search.
type Interrupted struct{ Dir string }

func (e *Interrupted) Error() string {
	return fmt.Sprintf("search stopped; continue it with `nettrain search --resume %s`", e.Dir)
}

// Summary is what a finished search reports.
type Summary struct {
	Dir    string
	Best   *Trial
	Trials []*Trial
	// Epochs is the number of epochs the trials trained together.
	Epochs int
	// WallSeconds is this invocation's time; TrialSeconds the sum of the
	// trials' job times (over every invocation).
	WallSeconds, TrialSeconds float64
}

// searcher is one invocation's state.
type searcher struct {
	opt      Options
	dir      string
	yaml     []byte         // search.yaml
	cfg      *config.Config // its parse
	st       *State
	progress *progress
}

// Run runs (or with Resume continues) the search of opt and writes its
// folder: search.yaml, search.json (the state, after every change),
// search.csv, trials/, and at the end best.yaml and search.png.
func Run(opt Options) (*Summary, error) {
	begin := time.Now()
	s := &searcher{opt: opt}
	if opt.Stdout == nil {
		s.opt.Stdout = io.Discard
	}
	var err error
	if opt.Resume {
		err = s.openResume()
	} else {
		err = s.start()
	}
	if err != nil {
		return nil, err
	}
	unlock, err := lock(s.dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	spec := s.cfg.Search
	total := 1 + len(spec.Stages)
	s.progress = newProgress(opt.Progress)
	defer s.progress.finish()
	for i := range total {
		if i == len(s.st.Stages) {
			if err := s.newStage(i); err != nil {
				return nil, err
			}
		}
		stage := s.st.Stages[i]
		if stage.Done {
			continue
		}
		fmt.Fprintf(s.opt.Stdout, "stage %d/%d: %d trials of up to %d epochs, %s\n", i+1, total, len(stage.Trials), stage.Epochs, describeSpace(stage.Space))
		if err := s.runStage(stage); err != nil {
			return nil, err
		}
		for _, t := range stage.Trials {
			if t.Status == StatusPaused || t.Status == StatusPending {
				t.Status = StatusStopped
			}
		}
		stage.Done = true
		if err := s.save(); err != nil {
			return nil, err
		}
	}
	return s.finish(time.Since(begin).Seconds())
}

// start prepares a new search folder.
func (s *searcher) start() error {
	cfg := s.opt.Config
	if len(cfg.Search.Space) == 0 {
		return engine.InputErrorf("config %s has no search section: add one, e.g. search: {space: [{key: optimizer.lr, min: 1.0e-4, max: 1, log: true}]}", s.opt.ConfigPath)
	}
	dir := s.opt.Dir
	if dir == "" {
		dir = cfg.Output.Dir + "-search"
	}
	var err error
	if s.dir, err = filepath.Abs(dir); err != nil {
		return engine.InputErrorf("search folder %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(s.dir, StateFile)); err == nil {
		if !s.opt.Overwrite {
			return engine.InputErrorf("search folder %s already holds a search (%s): continue it with --resume %s, choose another with --out, or pass --overwrite to replace it", dir, StateFile, dir)
		}
		for _, name := range []string{StateFile, CSVFile, BestFile, PlotFile, ConfigFile, TrialsDir} {
			if err := os.RemoveAll(filepath.Join(s.dir, name)); err != nil {
				return fmt.Errorf("search folder %s: %w", dir, err)
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(s.dir, TrialsDir), 0o755); err != nil {
		return engine.InputErrorf("search folder: %w", err)
	}
	if s.yaml, err = cfg.Marshal(); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(s.dir, ConfigFile), s.yaml); err != nil {
		return err
	}
	s.cfg = cfg
	s.st = &State{Version: stateVersion, ConfigHash: hash(s.yaml)}
	fmt.Fprintf(s.opt.Stdout, "search %s: %d at once, %d threads each\n", dir, s.opt.Parallel, s.opt.Threads)
	return s.save()
}

// openResume loads the search in opt.Dir.
func (s *searcher) openResume() error {
	if s.opt.Dir == "" {
		return engine.InputErrorf("--resume: needs the search folder")
	}
	var err error
	if s.dir, err = filepath.Abs(s.opt.Dir); err != nil {
		return engine.InputErrorf("search folder %s: %w", s.opt.Dir, err)
	}
	st, err := loadState(filepath.Join(s.dir, StateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return engine.InputErrorf("--resume %s: no %s: not a search folder", s.opt.Dir, StateFile)
	} else if err != nil {
		return &engine.InputError{Err: err}
	}
	path := filepath.Join(s.dir, ConfigFile)
	if s.yaml, err = os.ReadFile(path); err != nil {
		return engine.InputErrorf("--resume %s: %w", s.opt.Dir, err)
	}
	if hash(s.yaml) != st.ConfigHash {
		return engine.InputErrorf("--resume %s: %s changed since the search started; restore it, or start a new search", s.opt.Dir, path)
	}
	if s.cfg, err = config.Parse(s.yaml, path, nil); err != nil {
		return err
	}
	s.st = st
	done := 0
	for _, t := range st.trials() {
		if t.finished() {
			done++
		}
	}
	fmt.Fprintf(s.opt.Stdout, "resuming search %s: %d trials finished, %d at once, %d threads each\n", s.opt.Dir, done, s.opt.Parallel, s.opt.Threads)
	return nil
}

// newStage creates stage i: its space (narrowed around the previous
// stage's best after the first), its trials and their configs.
func (s *searcher) newStage(i int) error {
	spec := s.cfg.Search
	stage := &StageState{Index: i, Epochs: spec.Epochs, Space: spec.Space}
	var points []search.Point
	if i == 0 {
		if spec.Method == "grid" {
			points = search.Grid(spec.Space)
		} else {
			points = search.Sample(spec.Space, spec.Seed, 0, spec.Trials)
		}
	} else {
		sp := spec.Stages[i-1]
		prev := s.st.Stages[i-1]
		best := ranked(prev.Trials, spec.Mode == "max")
		best = best[:min(sp.TopK, len(best))]
		if len(best) == 0 {
			return fmt.Errorf("stage %d: no trial of stage %d has a metric to narrow the space around (all diverged or failed)", i+1, i)
		}
		var top []search.Point
		for _, t := range best {
			top = append(top, t.Values)
		}
		stage.Space = search.Narrow(spec.Space, top)
		stage.Epochs = sp.Epochs
		if search.AllLists(stage.Space) {
			points = search.Grid(stage.Space)
		} else {
			points = search.Sample(stage.Space, spec.Seed, i, sp.Trials)
		}
	}
	if spec.Scheduler.Type == "asha" {
		sc := spec.Scheduler
		stage.ASHA = search.NewASHA(sc.GracePeriod, sc.ReductionFactor, stage.Epochs, spec.Mode == "max")
	}
	next := len(s.st.trials()) + 1
	for j, pt := range points {
		t := &Trial{ID: next + j, Stage: i, Values: pt, Status: StatusPending}
		if err := s.writeTrialConfig(t, stage.Epochs); err != nil {
			return err
		}
		stage.Trials = append(stage.Trials, t)
	}
	s.st.Stages = append(s.st.Stages, stage)
	return s.save()
}

// trialName is the name of trial t's files under trials/.
func trialName(t *Trial) string { return fmt.Sprintf("%03d", t.ID) }

func (s *searcher) trialPath(t *Trial, ext string) string {
	return filepath.Join(s.dir, TrialsDir, trialName(t)+ext)
}

// trialConfig resolves trial t's config: search.yaml with its values and
// the stage's epochs set, without the search section, training in its
// own folder with the search's loss limit.
func (s *searcher) trialConfig(t *Trial, epochs int) (*config.Config, error) {
	spec := s.cfg.Search
	var sets []string
	for j, p := range s.st.spaceOf(t, spec.Space) {
		sets = append(sets, p.Key+"="+t.Values[j])
	}
	sets = append(sets, fmt.Sprintf("train.epochs=%d", epochs))
	cfg, err := config.Parse(s.yaml, filepath.Join(s.dir, ConfigFile), sets)
	if err != nil {
		return nil, fmt.Errorf("trial %d (%s): %w", t.ID, strings.Join(sets, " "), err)
	}
	cfg.Search = search.Spec{}
	cfg.Name = s.cfg.Name + "-" + trialName(t)
	cfg.Output.Dir = s.trialPath(t, "")
	cfg.Train.MaxLossFactor = spec.MaxLossFactor
	return cfg, nil
}

func (s *searcher) writeTrialConfig(t *Trial, epochs int) error {
	cfg, err := s.trialConfig(t, epochs)
	if err != nil {
		return err
	}
	b, err := cfg.Marshal()
	if err != nil {
		return err
	}
	return writeFile(s.trialPath(t, ".yaml"), b)
}

// spaceOf returns the space of the stage of t (the keys are the same in
// every stage).
func (st *State) spaceOf(t *Trial, first []search.Param) []search.Param {
	if t.Stage < len(st.Stages) {
		return st.Stages[t.Stage].Space
	}
	return first
}

// runStage trains the stage's trials, opt.Parallel at once, until none is
// left to start or promote.
func (s *searcher) runStage(stage *StageState) error {
	type done struct {
		t    *Trial
		res  JobResult
		secs float64
	}
	finished := make(chan done)
	active := map[int]bool{}
	// The launchers get the interrupt as it came; the loop stops watching
	// its own copy once it fired (a nil channel never receives).
	interrupt, watch := s.opt.Interrupt, s.opt.Interrupt
	s.progress.update(s.st, s.cfg.Search)
	stopping := false
	for {
		for !stopping && len(active) < s.opt.Parallel {
			t, job, ok := s.next(stage, active)
			if !ok {
				break
			}
			active[t.ID] = true
			t.Status = StatusRunning
			if err := s.save(); err != nil {
				return err
			}
			go func() {
				start := time.Now()
				res := s.opt.Launcher.Launch(job, interrupt)
				finished <- done{t, res, time.Since(start).Seconds()}
			}()
		}
		if len(active) == 0 {
			break
		}
		select {
		case d := <-finished:
			delete(active, d.t.ID)
			if d.res.Outcome == Stopped {
				d.t.Seconds += d.secs
				stopping = true
				if err := s.save(); err != nil {
					return err
				}
				continue
			}
			if d.res.Outcome == Lost && d.t.Reruns < MaxReruns {
				// Still running as far as the state goes: next() starts
				// it again, from its last checkpoint.
				d.t.Seconds += d.secs
				d.t.Reruns++
				fmt.Fprintf(s.progress.out(s.opt.Stdout), "trial %d lost: %s; rerun %d of %d from its last checkpoint\n", d.t.ID, d.res.Err, d.t.Reruns, MaxReruns)
				if err := s.save(); err != nil {
					return err
				}
				continue
			}
			if err := s.record(stage, d.t, d.res, d.secs); err != nil {
				return err
			}
		case <-watch:
			stopping = true
			watch = nil // the launchers forward it; wait for them
		}
	}
	if stopping {
		return &Interrupted{Dir: s.dir}
	}
	return nil
}

// next picks the next job of the stage, in this order: a trial that was
// running when the search stopped, an ASHA promotion, a new trial.
func (s *searcher) next(stage *StageState, active map[int]bool) (*Trial, Job, bool) {
	for _, t := range stage.Trials {
		if t.Status == StatusRunning && !active[t.ID] {
			return t, s.job(stage, t), true
		}
	}
	if a := stage.ASHA; a != nil {
		if id, rung, ok := a.Promote(); ok {
			t := stage.trial(id)
			t.Target = a.Rungs[rung].Epochs
			fmt.Fprintf(s.progress.out(s.opt.Stdout), "trial %d promoted to %d epochs\n", t.ID, t.Target)
			return t, s.job(stage, t), true
		}
	}
	for _, t := range stage.Trials {
		if t.Status == StatusPending {
			t.Target = stage.Epochs
			if a := stage.ASHA; a != nil {
				t.Target = a.Rungs[0].Epochs
			}
			return t, s.job(stage, t), true
		}
	}
	return nil, Job{}, false
}

func (st *StageState) trial(id int) *Trial {
	for _, t := range st.Trials {
		if t.ID == id {
			return t
		}
	}
	panic(fmt.Sprintf("runner: stage %d has no trial %d", st.Index, id))
}

// job is the invocation that trains t to t.Target.
// searchedKeys are the config keys the search varies.
func (s *searcher) searchedKeys() []string {
	keys := make([]string, len(s.cfg.Search.Space))
	for i, p := range s.cfg.Search.Space {
		keys[i] = p.Key
	}
	return keys
}

func (s *searcher) job(stage *StageState, t *Trial) Job {
	dir := s.trialPath(t, "")
	_, err := os.Stat(filepath.Join(dir, run.CheckpointDir, run.LastCheckpoint))
	return Job{
		Trial: t.ID, Config: s.trialPath(t, ".yaml"), RunDir: dir, Log: s.trialPath(t, ".log"),
		Until: t.Target, Final: t.Target >= stage.Epochs, Resume: err == nil, Threads: s.opt.Threads,
		HParams: s.searchedKeys(),
	}
}

// record takes in a finished job: the trial's epochs and metric from its
// metrics.csv, its status, the ASHA rung; then saves the state and
// search.csv and prints the trial's line.
func (s *searcher) record(stage *StageState, t *Trial, res JobResult, secs float64) error {
	t.Seconds += secs
	dir := s.trialPath(t, "")
	epochs, v, err := readMetric(filepath.Join(dir, run.MetricsFile), s.cfg.Search.Metric)
	if err != nil && res.Outcome == Trained {
		res = JobResult{Outcome: Failed, Err: err.Error()}
	}
	t.Epochs = epochs
	t.Metric, t.HasMetric = v, !math.IsNaN(v)
	if !t.HasMetric {
		t.Metric = 0 // JSON has no NaN
	}
	switch res.Outcome {
	case Trained:
		_, serr := os.Stat(filepath.Join(dir, run.SummaryFile))
		if t.Epochs >= stage.Epochs || serr == nil { // the budget, or stopped early by the trial's own rules
			t.Status = StatusDone
		} else {
			t.Status = StatusPaused
		}
	case Diverged:
		t.Status, t.Error, t.Metric, t.HasMetric = StatusDiverged, res.Err, 0, false
	default:
		t.Status, t.Error, t.Metric, t.HasMetric = StatusFailed, res.Err, 0, false
	}
	if a := stage.ASHA; a != nil {
		k := a.RungOf(t.Epochs)
		if k < 0 || !t.HasMetric {
			k = a.RungOf(t.Target)
		}
		a.Record(k, t.ID, t.value())
	}
	if err := s.save(); err != nil {
		return err
	}
	if err := s.writeCSV(); err != nil {
		return err
	}
	s.progress.update(s.st, s.cfg.Search)
	fmt.Fprintln(s.progress.out(s.opt.Stdout), s.trialLine(stage, t))
	return nil
}

// trialLine is the line printed when one of t's jobs ends.
func (s *searcher) trialLine(stage *StageState, t *Trial) string {
	spec := s.cfg.Search
	var b strings.Builder
	fmt.Fprintf(&b, "trial %d %-8s", t.ID, t.Status)
	for j, p := range stage.Space {
		fmt.Fprintf(&b, " %s=%s", p.Key, t.Values[j])
	}
	if t.HasMetric {
		fmt.Fprintf(&b, "  %s %.4f", spec.Metric, t.Metric)
	}
	fmt.Fprintf(&b, "  %d epoch%s  %.1f s", t.Epochs, plural(t.Epochs), t.Seconds)
	if t.Error != "" {
		fmt.Fprintf(&b, "\n    %s (log: %s)", t.Error, s.trialPath(t, ".log"))
	}
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (s *searcher) save() error { return s.st.save(filepath.Join(s.dir, StateFile)) }

// ranked returns the trials with a metric, best first (ties: lower id).
func ranked(trials []*Trial, max bool) []*Trial {
	var out []*Trial
	for _, t := range trials {
		if t.HasMetric {
			out = append(out, t)
		}
	}
	slices.SortStableFunc(out, func(a, b *Trial) int { return search.Compare(a.Metric, b.Metric, max) })
	return out
}

// describeSpace writes a stage's space in one line.
func describeSpace(space []search.Param) string {
	parts := make([]string, len(space))
	for i, p := range space {
		if p.IsRange() {
			lo, hi := search.Bounds(p)
			scale := ""
			if p.Log {
				scale = " log"
			}
			parts[i] = fmt.Sprintf("%s in [%s, %s]%s", p.Key, lo, hi, scale)
			continue
		}
		vals := make([]string, len(p.Values))
		for j, v := range p.Values {
			vals[j] = string(v)
		}
		parts[i] = fmt.Sprintf("%s in {%s}", p.Key, strings.Join(vals, ", "))
	}
	return strings.Join(parts, ", ")
}

func hash(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
