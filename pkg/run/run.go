package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/dist"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// Options are the settings of one invocation that are not part of the
// experiment.
type Options struct {
	// ConfigPath is where the config came from, for messages.
	ConfigPath string
	// OutDir overrides output.dir when non-empty.
	OutDir string
	// Overwrite allows reusing a run directory that already holds a run.
	Overwrite bool
	// Resume continues the run in the run directory from its
	// checkpoints/last.ckpt instead of starting a new one.
	Resume bool
	// Force lets Resume continue with a config that differs from the one
	// the run was started with.
	Force bool
	// Interrupt, when it is closed, ends the invocation after the current
	// optimizer step as Pause does: checkpoints/last.ckpt is written with
	// the position inside the epoch and Train returns an *Interrupted.
	Interrupt <-chan struct{}
	// StopAfterEpochs > 0 ends the invocation, as an interrupt would, after
	// that many epochs (counted from where it started).
	StopAfterEpochs int
	// StopAtEpoch > 0 ends the invocation, as an interrupt would, once
	// epoch StopAtEpoch (1-based, counted from the run's start) is done; a
	// search's rungs use it.
	StopAtEpoch int
	// StopAfterSteps > 0 ends the invocation, as an interrupt would, after
	// that many optimizer steps (counted from where it started); it lets
	// tests interrupt a run at an exact step.
	StopAfterSteps int64
	// Stdout receives the model summary, one line per epoch and the final
	// result. Nil discards them.
	Stdout io.Writer
	// Progress receives the live progress bar; nil shows none.
	Progress io.Writer
	// Pool is the invocation's thread budget (see engine.NewPool): training,
	// validation and the test evaluation compute on it and the data loaders
	// use Pool.Threads() workers. Nil runs on the calling goroutine alone.
	// The caller owns it (and closes it); results do not depend on it.
	Pool *tensor.Pool
	// HParams are config keys recorded as TensorBoard hyperparameters
	// beside HParamKeys: a search passes the keys it varies.
	HParams []string
	// Comm is the data-parallel job this process is a rank of (see
	// dist.Open); nil or one rank trains alone. Every rank trains its
	// shard of each batch; only rank 0 writes the run folder and prints.
	Comm dist.Comm
	// Hooks are the caller's own hooks (a search's reporter, a test's
	// probe), added after the run's, each in its phase.
	Hooks []engine.Attached
}

func (o *Options) stdout() io.Writer {
	if o.Stdout == nil {
		return io.Discard
	}
	return o.Stdout
}

// Result is what a finished training run reports.
type Result struct {
	RunDir       string                `json:"run_dir"`
	Epochs       []engine.EpochMetrics `json:"epochs"`
	Best         engine.EpochMetrics   `json:"best"`
	BestMetric   string                `json:"best_metric"` // checkpoint.monitor: val_acc, val_loss, train_acc or train_loss
	StopReason   string                `json:"stop_reason,omitempty"`
	Test         engine.EvalMetrics    `json:"test"`
	TrainSeconds float64               `json:"train_seconds"` // of the last invocation when resumed
	TotalSeconds float64               `json:"total_seconds"`
	Parameters   int                   `json:"parameters"`
	// PeakMemoryBytes is the peak resident memory of the process.
	PeakMemoryBytes int64 `json:"peak_memory_bytes"`
	// Warnings are the monitor's warnings (update ratios out of the
	// healthy band), as printed; those of a resumed run's earlier
	// invocations are in their own output only.
	Warnings []string `json:"warnings,omitempty"`
	// ClassNames name the classes of Test.Confusion's rows, when the data
	// set names them.
	ClassNames []string `json:"class_names,omitempty"`
	// SWA is the test score of checkpoints/swa.ckpt, the stochastic weight
	// average (swa.enabled), and SWAVal its validation score.
	SWA    *engine.EvalMetrics `json:"swa,omitempty"`
	SWAVal *engine.EvalMetrics `json:"swa_val,omitempty"`
	// Distributed is the data-parallel line of the last invocation, as
	// printed (ranks, batch shares, the large-batch rules applied, batch
	// norm); empty in a single process.
	Distributed string `json:"distributed,omitempty"`
}

// SWACheckpoint is the file name of the stochastic weight average.
const SWACheckpoint = "swa.ckpt"

// Run-directory layout.
const (
	ConfigFile     = "config.yaml"
	MetricsFile    = "metrics.csv"
	SummaryFile    = "summary.json"
	CheckpointDir  = "checkpoints"
	LastCheckpoint = "last.ckpt"
	BestCheckpoint = "best.ckpt"
)

// Train runs the experiment cfg end to end: data, model, training with
// per-epoch validation and checkpoints, and a final test evaluation of the
// best checkpoint. With opt.Resume it continues the run in the run
// directory exactly where its last.ckpt stopped. A run ended early by
// opt.Interrupt or opt.StopAfter* returns an *Interrupted error.
func Train(cfg *config.Config, opt Options) (*Result, error) {
	begin := time.Now()
	out := opt.stdout()
	writer := dist.Rank0(opt.Comm) // rank 0 writes and prints; the others only compute
	if !writer {
		out, opt.Progress, opt.Hooks = io.Discard, nil, nil
	}
	runDir := cfg.Output.Dir
	if opt.OutDir != "" {
		runDir = opt.OutDir
	}
	plan, err := engine.NewPlan(cfg)
	if err != nil {
		return nil, err
	}
	var resume *checkpoint.File
	if opt.Resume {
		if resume, err = openResume(runDir, cfg, opt.Force); err != nil {
			return nil, err
		}
	}
	splits, err := engine.LoadTrainSplits(cfg, opt.Pool.Threads())
	if err != nil {
		return nil, err
	}
	test, err := engine.LoadSplit(cfg, cfg.Data.Dir, "test", splits.Prep, opt.Pool.Threads())
	if err != nil {
		return nil, err
	}
	tr := splits.Train
	m, err := plan.BuildModel(opt.ConfigPath, splits.InShape(), tr.Classes)
	if err != nil {
		return nil, err
	}
	if err := engine.CheckCompatible(test, m.InShape, m.Classes, "test set"); err != nil {
		return nil, err
	}
	if err := engine.CheckFreeze(cfg.Train.Freeze, m); err != nil {
		return nil, err
	}
	var initRep *InitReport
	if resume == nil && cfg.Model.InitFrom != "" {
		if initRep, err = InitFrom(m, cfg.Model); err != nil {
			return nil, err
		}
	}
	if resume == nil && writer {
		if err := prepareRunDir(runDir, opt.Overwrite); err != nil {
			return nil, err
		}
	}
	cfgYAML, err := cfg.Marshal()
	if err != nil {
		return nil, err
	}
	// A resumed run's config.yaml is rewritten only once the checkpoint
	// has been restored into the model: a config (forced) that cannot take
	// the checkpoint must leave the run folder as it was.
	writeConfig := func() error {
		if !writer {
			return nil
		}
		return checkpoint.WriteFileAtomic(filepath.Join(runDir, ConfigFile), cfgYAML)
	}
	if resume == nil {
		if err := writeConfig(); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(out, "run %s: %d train, %d val, %d test examples of shape (%d,%d,%d), %d classes\n",
		runDir, tr.N, nval(splits), test.N, tr.C, tr.H, tr.W, m.Classes)
	if name := splits.Prep.Name(); name != "none" && name != "global" {
		st := splits.Prep.State().Header
		fmt.Fprintf(out, "preprocess %s: model input (%d,%d,%d)", name, st.OutShape[0], st.OutShape[1], st.OutShape[2])
		if st.Explained > 0 {
			fmt.Fprintf(out, ", %.4f of the training variance kept", st.Explained)
		}
		fmt.Fprintln(out)
	}
	if err := m.Summary(out); err != nil {
		return nil, err
	}
	if initRep != nil {
		initRep.Print(out)
	}
	t, err := engine.NewTrainer(plan, m, splits, opt.Pool)
	if err != nil {
		return nil, err
	}

	if !writer {
		return trainRank(t, resume, runDir, opt)
	}
	// The run folder's hooks (the trainer added the plan's own), each in its
	// phase; see engine.Phase for the order they run in.
	ck := cfg.Checkpoint
	ckpt := &checkpointHook{dir: filepath.Join(runDir, CheckpointDir), cfgYAML: cfgYAML, classNames: tr.ClassNames, monitor: ck.Monitor, mode: ck.Mode, keep: ck.KeepBest, every: ck.Every}
	res := &Result{RunDir: runDir, Parameters: nn.CountParams(m.Params()), BestMetric: ck.Monitor, ClassNames: tr.ClassNames}
	metricsPath := filepath.Join(runDir, MetricsFile)
	csv := &csvHook{}
	t.AddHook(engine.PhaseRecord, csv)
	t.AddHook(engine.PhaseRecord, newStepsHook(filepath.Join(runDir, StepsFile)))
	var tb *tbHook
	if cfg.Monitor.TensorBoard {
		tb = newTBHook(filepath.Join(runDir, TensorBoardDir), cfg, opt.HParams)
	}
	if k := cfg.Monitor.HistogramsEvery; k > 0 {
		t.AddHook(engine.PhaseRecord, &histHook{every: k, bins: cfg.Monitor.HistogramBins, x: fixedBatch(splits), pool: opt.Pool,
			path: filepath.Join(runDir, HistogramsFile), tb: tb})
	}
	if tb != nil {
		t.AddHook(engine.PhaseRecord, tb)
		defer func() { _ = tb.finish(t.Step, nil, false) }() // closes the file on the paths that did not
	}
	t.AddHook(engine.PhaseRecord, historyHook{res: res})
	t.AddHook(engine.PhaseRecord, ckpt)
	if opt.Progress != nil {
		t.AddHook(engine.PhaseReport, &progressHook{w: opt.Progress})
	}
	if h := newRatioWarnHook(out, cfg.Monitor, plan.BaseLR, t.MonitoredParams(), res); h != nil {
		t.AddHook(engine.PhaseReport, h)
	}
	t.AddHook(engine.PhaseReport, &consoleHook{w: out, epochs: plan.Epochs, ckpt: ckpt})
	for _, a := range opt.Hooks {
		t.AddHook(a.Phase, a.Hook)
	}
	if resume != nil {
		if err := t.Restore(resume, filepath.Join(runDir, CheckpointDir, LastCheckpoint)); err != nil {
			return nil, err
		}
		if err := writeConfig(); err != nil {
			return nil, err
		}
		if err := truncateMetrics(metricsPath, t.Epoch); err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "resuming %s at epoch %d, batch %d (step %d)\n", runDir, t.Epoch+1, t.Position(), t.Step)
	}
	if err := t.Distribute(opt.Comm); err != nil {
		return nil, err
	}
	if line := t.DistributedSummary(); line != "" {
		res.Distributed = line
		fmt.Fprintln(out, line)
	}
	for _, line := range []string{t.FreezeSummary(t.Epoch), t.FeatureCacheSummary(t.Epoch)} {
		if line != "" {
			fmt.Fprintln(out, line)
		}
	}
	if err := csv.open(metricsPath, resume != nil); err != nil {
		return nil, err
	}
	defer csv.close()
	t.Pause = pauseFor(t, opt)
	if opt.StopAtEpoch > 0 && t.Epoch >= opt.StopAtEpoch && t.Epoch < t.Plan.Epochs && t.Position() == 0 {
		// Resumed at or past the requested epoch: nothing to train.
		return nil, &Interrupted{RunDir: runDir, Epoch: t.Epoch, Batches: t.BatchesPerEpoch(), Step: t.Step}
	}
	trainStart := time.Now()
	if err := t.Run(); errors.Is(err, engine.ErrPaused) {
		if t.Position() > 0 { // inside an epoch: save the position
			if err := ckpt.saveLast(t); err != nil {
				return nil, err
			}
		}
		if err := tb.finish(t.Step, nil, false); err != nil {
			return nil, err
		}
		epoch := t.Epoch
		if t.Position() > 0 {
			epoch++
		}
		return nil, &Interrupted{RunDir: runDir, Epoch: epoch, Batch: t.Position(), Batches: t.BatchesPerEpoch(), Step: t.Step}
	} else if err != nil {
		_ = tb.finish(t.Step, nil, true) // the training error is the one to report
		return nil, err
	}
	res.TrainSeconds = time.Since(trainStart).Seconds()
	res.StopReason = t.StopReason
	if t.StopReason != "" {
		fmt.Fprintln(out, t.StopReason)
	}
	if len(ckpt.ranked) == 0 {
		return nil, fmt.Errorf("run %s: no epoch was trained, so there is no %s to test", runDir, BestCheckpoint)
	}
	res.Best = ckpt.ranked[0].Metrics

	// Score the best checkpoint exactly as `nettrain eval` does: reload it
	// from disk and evaluate the test set with the stored preprocessing.
	bestPath := filepath.Join(ckpt.dir, BestCheckpoint)
	loaded, err := LoadCheckpoint(bestPath)
	if err != nil {
		return nil, fmt.Errorf("reloading the best checkpoint: %w", err)
	}
	res.Test = engine.Evaluate(loaded.Model, test, plan.EvalBatchSize, opt.Pool)
	if err := engine.ReadError(test); err != nil {
		return nil, err
	}
	if t.SWA != nil && t.SWA.Updates > 0 {
		if err := finishSWA(cfg, t, splits, test, filepath.Join(ckpt.dir, SWACheckpoint), tr.ClassNames, res, out, opt.Pool); err != nil {
			return nil, err
		}
	}
	if err := tb.finish(t.Step, res, false); err != nil {
		return nil, err
	}
	res.TotalSeconds = time.Since(begin).Seconds()
	res.PeakMemoryBytes = peakMemory()
	summary, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := checkpoint.WriteFileAtomic(filepath.Join(runDir, SummaryFile), append(summary, '\n')); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "best epoch %d (%s %.4f) → %s\n", res.Best.Epoch, res.BestMetric, engine.MetricValue(res.Best, res.BestMetric), bestPath)
	fmt.Fprintf(out, "test accuracy %.4f  loss %.4f  (n=%d)  trained in %.1fs, peak memory %.0f MiB\n", res.Test.Accuracy, res.Test.Loss, res.Test.N, res.TrainSeconds, float64(res.PeakMemoryBytes)/(1<<20))
	return res, nil
}

// trainRank is Train on a rank other than 0 of a data-parallel job: the
// same training, restored from the same checkpoint when resuming, with no
// file written and nothing printed (rank 0 does both). It returns the
// run's position as Train does, without a test score.
func trainRank(t *engine.Trainer, resume *checkpoint.File, runDir string, opt Options) (*Result, error) {
	if resume != nil {
		if err := t.Restore(resume, filepath.Join(runDir, CheckpointDir, LastCheckpoint)); err != nil {
			return nil, err
		}
	}
	if err := t.Distribute(opt.Comm); err != nil {
		return nil, err
	}
	t.Pause = pauseFor(t, opt)
	if err := t.Run(); errors.Is(err, engine.ErrPaused) {
		epoch := t.Epoch
		if t.Position() > 0 {
			epoch++
		}
		return nil, &Interrupted{RunDir: runDir, Epoch: epoch, Batch: t.Position(), Batches: t.BatchesPerEpoch(), Step: t.Step}
	} else if err != nil {
		return nil, err
	}
	return &Result{RunDir: runDir, Epochs: nil, StopReason: t.StopReason}, nil
}

// pauseFor is the Pause of a trainer run with opt: an interrupt, or one of
// the --stop-after limits counted from where it starts.
func pauseFor(t *engine.Trainer, opt Options) func() bool {
	startEpoch, startStep := t.Epoch, t.Step
	return func() bool {
		select {
		case <-opt.Interrupt:
			return true
		default:
		}
		return (opt.StopAfterSteps > 0 && t.Step-startStep >= opt.StopAfterSteps) ||
			(opt.StopAfterEpochs > 0 && t.Epoch-startEpoch >= opt.StopAfterEpochs) ||
			(opt.StopAtEpoch > 0 && t.Epoch >= opt.StopAtEpoch)
	}
}

func nval(s *engine.Splits) int {
	if s.Val == nil {
		return 0
	}
	return s.Val.N
}

// prepareRunDir creates dir, refusing one that already holds a run unless
// overwrite is set, so no earlier results are lost by accident.
func prepareRunDir(dir string, overwrite bool) error {
	if !overwrite {
		for _, name := range []string{MetricsFile, ConfigFile, CheckpointDir, SummaryFile} {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				return engine.InputErrorf("run directory %s already holds a run (%s): choose another with --out, or pass --overwrite to replace it", dir, name)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return engine.InputErrorf("run directory %s: %w", dir, err)
			}
		}
	}
	if overwrite {
		// Remove the earlier run's results so a failed new run cannot leave
		// them mixed with its own.
		names := []string{SummaryFile, MetricsFile, ConfigFile, HistogramsFile}
		ckpts, _ := filepath.Glob(filepath.Join(dir, CheckpointDir, "*.ckpt"))
		for _, c := range ckpts {
			names = append(names, filepath.Join(CheckpointDir, filepath.Base(c)))
		}
		for _, name := range names {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return engine.InputErrorf("run directory %s: %w", dir, err)
			}
		}
		if err := removeTensorBoard(dir); err != nil {
			return engine.InputErrorf("run directory %s: %w", dir, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, CheckpointDir), 0o755); err != nil {
		return engine.InputErrorf("run directory: %w", err)
	}
	return nil
}

// rankedEpoch is one of the best epochs by checkpoint.monitor.
type rankedEpoch struct {
	Epoch   int                 `json:"epoch"`
	Value   float64             `json:"value"`
	Metrics engine.EpochMetrics `json:"metrics"`
}

// checkpointHook writes the checkpoints of every epoch: best.ckpt when
// checkpoint.monitor improves (first on ties), best-1.ckpt … best-k.ckpt
// (k = checkpoint.keep_best > 1, best first), epoch-N.ckpt every
// checkpoint.every epochs, and last.ckpt, in that order, so last.ckpt's
// bookkeeping never runs ahead of the files.
type checkpointHook struct {
	engine.BaseHook
	dir     string
	cfgYAML []byte // the resolved config every checkpoint carries
	// classNames name the classes in every checkpoint (nil: unnamed).
	classNames []string
	monitor    string
	mode       string
	keep       int
	every      int
	ranked     []rankedEpoch // the best epochs, best first, at most keep
	improved   bool          // the last epoch became the best
}

// better reports whether a beats b under the hook's mode; NaN never does.
func (h *checkpointHook) better(a, b float64) bool {
	if h.mode == "min" {
		return a < b
	}
	return a > b
}

func bestName(i int) string  { return fmt.Sprintf("best-%d.ckpt", i) }
func epochName(e int) string { return fmt.Sprintf("epoch-%d.ckpt", e) }

func (h *checkpointHook) EpochEnd(t *engine.Trainer, m *engine.EpochMetrics) error {
	v := engine.MetricValue(*m, h.monitor)
	rank := len(h.ranked)
	for i, r := range h.ranked {
		if h.better(v, r.Value) {
			rank = i
			break
		}
	}
	had := len(h.ranked)
	if rank < h.keep {
		h.ranked = slices.Insert(h.ranked, rank, rankedEpoch{Epoch: m.Epoch, Value: v, Metrics: *m})
		h.ranked = h.ranked[:min(len(h.ranked), h.keep)]
	}
	h.improved = rank == 0
	save := func(name string) error { return saveCheckpoint(filepath.Join(h.dir, name), h.cfgYAML, h.classNames, t) }
	if rank < h.keep && h.keep > 1 {
		// Shift best-(rank+1)… down one place, dropping best-keep.
		for i := min(had, h.keep-1); i > rank; i-- {
			if err := os.Rename(filepath.Join(h.dir, bestName(i)), filepath.Join(h.dir, bestName(i+1))); err != nil {
				return fmt.Errorf("checkpoint: %w", err)
			}
		}
		if err := save(bestName(rank + 1)); err != nil {
			return err
		}
	}
	if h.improved {
		if err := save(BestCheckpoint); err != nil {
			return err
		}
	}
	if h.every > 0 && m.Epoch%h.every == 0 {
		if err := save(epochName(m.Epoch)); err != nil {
			return err
		}
	}
	return save(LastCheckpoint)
}

// saveLast writes last.ckpt with the trainer's current state.
func (h *checkpointHook) saveLast(t *engine.Trainer) error {
	return saveCheckpoint(filepath.Join(h.dir, LastCheckpoint), h.cfgYAML, h.classNames, t)
}

func (h *checkpointHook) StateKey() string              { return "checkpoint" }
func (h *checkpointHook) MarshalState() ([]byte, error) { return json.Marshal(h.ranked) }
func (h *checkpointHook) UnmarshalState(b []byte) error { return json.Unmarshal(b, &h.ranked) }

// historyHook keeps every epoch's metrics for summary.json, across
// resumes.
type historyHook struct {
	engine.BaseHook
	res *Result
}

func (h historyHook) EpochEnd(_ *engine.Trainer, m *engine.EpochMetrics) error {
	h.res.Epochs = append(h.res.Epochs, *m)
	return nil
}

func (h historyHook) StateKey() string              { return "history" }
func (h historyHook) MarshalState() ([]byte, error) { return json.Marshal(h.res.Epochs) }
func (h historyHook) UnmarshalState(b []byte) error { return json.Unmarshal(b, &h.res.Epochs) }

// consoleHook prints one line per epoch.
type consoleHook struct {
	engine.BaseHook
	w      io.Writer
	epochs int
	ckpt   *checkpointHook
}

func (h *consoleHook) EpochEnd(_ *engine.Trainer, m *engine.EpochMetrics) error {
	line := fmt.Sprintf("epoch %*d/%d  train loss %.4f acc %.4f", len(strconv.Itoa(h.epochs)), m.Epoch, h.epochs, m.TrainLoss, m.TrainAcc)
	if m.HasVal {
		line += fmt.Sprintf("  val loss %.4f acc %.4f", m.ValLoss, m.ValAcc)
	}
	if m.HasEMA {
		line += fmt.Sprintf("  ema val loss %.4f acc %.4f", m.EMAValLoss, m.EMAValAcc)
	}
	line += fmt.Sprintf("  lr %.4g  %.1fs  %.0f img/s", m.LR, m.EpochSeconds, m.ImagesPerSecond)
	if h.ckpt.improved {
		line += "  *best"
	}
	fmt.Fprintln(h.w, line)
	return nil
}

// CheckConfig validates what config loading cannot: the data folder loads
// (on up to workers goroutines), the model builds for its shapes,
// train.freeze matches its parameters and model.init_from loads into it.
// It returns the built model.
func CheckConfig(cfg *config.Config, source string, workers int) (*model.Model, error) {
	s, err := engine.LoadTrainSplits(cfg, workers)
	if err != nil {
		return nil, err
	}
	m, err := engine.BuildModel(cfg, source, s.InShape(), s.Train.Classes)
	if err != nil {
		return nil, err
	}
	if err := engine.CheckFreeze(cfg.Train.Freeze, m); err != nil {
		return nil, err
	}
	if cfg.Model.InitFrom != "" {
		if _, err := InitFrom(m, cfg.Model); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// finishSWA re-estimates the batch-norm statistics of the trainer's weight
// average (unless swa.bn_update is off), writes it to path and scores it
// on the validation and test splits into res.
func finishSWA(cfg *config.Config, t *engine.Trainer, splits *engine.Splits, test *data.Dataset, path string, classNames []string, res *Result, out io.Writer, pool *tensor.Pool) error {
	m := t.SWA.Model
	note := "batch-norm statistics averaged"
	if cfg.SWA.BNUpdate && len(engine.BatchNormLayers(m)) > 0 {
		train, err := engine.LoadSplit(cfg, cfg.Data.Dir, "train", splits.Prep, pool.Threads())
		if err != nil {
			return err
		}
		engine.UpdateBatchNorm(m, train, cfg.Train.BatchSize, cfg.Seed, pool)
		if err := engine.ReadError(train); err != nil {
			return err
		}
		note = fmt.Sprintf("batch-norm statistics re-estimated on %d training examples", train.N)
	}
	l := &Loaded{Config: cfg, Model: m, Prep: splits.Prep, ClassNames: classNames, Epoch: t.Epoch}
	if err := SaveModel(path, l, map[string]string{"swa_epochs": fmt.Sprint(t.SWA.Updates), metaBNUpdate: fmt.Sprint(cfg.SWA.BNUpdate)}); err != nil {
		return err
	}
	r := engine.Evaluate(m, test, t.Plan.EvalBatchSize, pool)
	res.SWA = &r
	val := ""
	if splits.Val != nil {
		v := engine.Evaluate(m, splits.Val, t.Plan.EvalBatchSize, pool)
		res.SWAVal = &v
		val = fmt.Sprintf("val acc %.4f, ", v.Accuracy)
	}
	if err := engine.ReadError(test, splits.Val); err != nil {
		return err
	}
	fmt.Fprintf(out, "swa: average of epochs %d-%d (%s) → %s: %stest accuracy %.4f  loss %.4f\n",
		t.SWA.Start, t.Epoch, note, path, val, r.Accuracy, r.Loss)
	return nil
}
