package engine

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/nn"
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
	// Stdout receives the model summary, one line per epoch and the final
	// result. Nil discards them.
	Stdout io.Writer
	// Progress receives the live progress bar; nil shows none.
	Progress io.Writer
}

func (o *Options) stdout() io.Writer {
	if o.Stdout == nil {
		return io.Discard
	}
	return o.Stdout
}

// Result is what a finished training run reports.
type Result struct {
	RunDir       string         `json:"run_dir"`
	Epochs       []EpochMetrics `json:"epochs"`
	Best         EpochMetrics   `json:"best"`
	BestMetric   string         `json:"best_metric"` // "val_acc", or "train_acc" without a validation split
	Test         EvalMetrics    `json:"test"`
	TrainSeconds float64        `json:"train_seconds"`
	TotalSeconds float64        `json:"total_seconds"`
	Parameters   int            `json:"parameters"`
	// PeakMemoryBytes is the peak resident memory of the process.
	PeakMemoryBytes int64 `json:"peak_memory_bytes"`
}

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
// best checkpoint.
func Train(cfg *config.Config, opt Options) (*Result, error) {
	begin := time.Now()
	out := opt.stdout()
	splits, err := loadTrainSplits(cfg)
	if err != nil {
		return nil, err
	}
	test, err := loadSplit(cfg, cfg.Data.Dir, "test", splits.Prep)
	if err != nil {
		return nil, err
	}
	tr := splits.Train
	m, err := BuildModel(cfg, opt.ConfigPath, []int{tr.C, tr.H, tr.W}, tr.Classes)
	if err != nil {
		return nil, err
	}
	if err := checkCompatible(test, m.InShape, m.Classes, "test set"); err != nil {
		return nil, err
	}
	runDir := cfg.Output.Dir
	if opt.OutDir != "" {
		runDir = opt.OutDir
	}
	if err := prepareRunDir(runDir, opt.Overwrite); err != nil {
		return nil, err
	}
	cfgYAML, err := cfg.Marshal()
	if err != nil {
		return nil, err
	}
	if err := checkpoint.WriteFileAtomic(filepath.Join(runDir, ConfigFile), cfgYAML); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "run %s: %d train, %d val, %d test examples of shape (%d,%d,%d), %d classes\n",
		runDir, tr.N, nval(splits), test.N, tr.C, tr.H, tr.W, m.Classes)
	if err := m.Summary(out); err != nil {
		return nil, err
	}
	t, err := NewTrainer(cfg, m, splits)
	if err != nil {
		return nil, err
	}
	csvHook, err := newCSVHook(filepath.Join(runDir, MetricsFile))
	if err != nil {
		return nil, err
	}
	defer csvHook.close()
	ckpt := &checkpointHook{dir: filepath.Join(runDir, CheckpointDir)}
	res := &Result{RunDir: runDir, Parameters: nn.CountParams(m.Params())}
	t.AddHook(validationHook{})
	t.AddHook(plateauHook{metric: cfg.Schedule.Plateau.Metric})
	if opt.Progress != nil {
		t.AddHook(&progressHook{w: opt.Progress})
	}
	t.AddHook(csvHook)
	t.AddHook(ckpt)
	t.AddHook(&consoleHook{w: out, epochs: cfg.Train.Epochs, ckpt: ckpt, res: res})
	trainStart := time.Now()
	if err := t.Run(); err != nil {
		return nil, err
	}
	res.TrainSeconds = time.Since(trainStart).Seconds()
	res.Best, res.BestMetric = ckpt.best, ckpt.metric()

	// Score the best checkpoint exactly as `nettrain eval` does: reload it
	// from disk and evaluate the test set with the stored preprocessing.
	bestPath := filepath.Join(ckpt.dir, BestCheckpoint)
	loaded, err := LoadCheckpoint(bestPath)
	if err != nil {
		return nil, fmt.Errorf("reloading the best checkpoint: %w", err)
	}
	res.Test = Evaluate(loaded.Model, test, cfg.Train.EvalBatchSize)
	res.TotalSeconds = time.Since(begin).Seconds()
	res.PeakMemoryBytes = peakMemory()
	summary, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := checkpoint.WriteFileAtomic(filepath.Join(runDir, SummaryFile), append(summary, '\n')); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "best epoch %d (%s %.4f) → %s\n", res.Best.Epoch, res.BestMetric, bestValue(res.Best), bestPath)
	fmt.Fprintf(out, "test accuracy %.4f  loss %.4f  (n=%d)  trained in %.1fs, peak memory %.0f MiB\n", res.Test.Accuracy, res.Test.Loss, res.Test.N, res.TrainSeconds, float64(res.PeakMemoryBytes)/(1<<20))
	return res, nil
}

func nval(s *Splits) int {
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
				return inputErrorf("run directory %s already holds a run (%s): choose another with --out, or pass --overwrite to replace it", dir, name)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return inputErrorf("run directory %s: %w", dir, err)
			}
		}
	}
	if overwrite {
		// Remove the earlier run's results so a failed new run cannot leave
		// them mixed with its own.
		for _, name := range []string{SummaryFile, MetricsFile, ConfigFile, filepath.Join(CheckpointDir, LastCheckpoint), filepath.Join(CheckpointDir, BestCheckpoint)} {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return inputErrorf("run directory %s: %w", dir, err)
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, CheckpointDir), 0o755); err != nil {
		return inputErrorf("run directory: %w", err)
	}
	return nil
}

// validationHook scores the validation split at the end of every epoch.
type validationHook struct{ BaseHook }

func (validationHook) EpochEnd(t *Trainer, m *EpochMetrics) error {
	if t.Val == nil {
		return nil
	}
	start := time.Now()
	v := Evaluate(t.Model, t.Val, t.Cfg.Train.EvalBatchSize)
	m.HasVal, m.ValLoss, m.ValAcc = true, v.Loss, v.Accuracy
	m.EpochSeconds += time.Since(start).Seconds()
	return nil
}

// csvHeader is the first row of metrics.csv.
const csvHeader = "epoch,step,lr,train_loss,train_acc,val_loss,val_acc,epoch_seconds,images_per_second\n"

// csvHook appends one synced row to metrics.csv per epoch.
type csvHook struct {
	BaseHook
	f *os.File
}

func newCSVHook(path string) (*csvHook, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(csvHeader); err != nil {
		f.Close()
		return nil, err
	}
	return &csvHook{f: f}, nil
}

func (h *csvHook) EpochEnd(_ *Trainer, m *EpochMetrics) error {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	val := func(v float64) string {
		if !m.HasVal {
			return ""
		}
		return g(v)
	}
	row := fmt.Sprintf("%d,%d,%s,%s,%s,%s,%s,%s,%s\n", m.Epoch, m.Step, g(m.LR), g(m.TrainLoss), g(m.TrainAcc),
		val(m.ValLoss), val(m.ValAcc), strconv.FormatFloat(m.EpochSeconds, 'f', 3, 64), strconv.FormatFloat(m.ImagesPerSecond, 'f', 1, 64))
	w := bufio.NewWriter(h.f)
	if _, err := w.WriteString(row); err != nil {
		return fmt.Errorf("%s: %w", h.f.Name(), err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("%s: %w", h.f.Name(), err)
	}
	return h.f.Sync()
}

func (h *csvHook) close() { h.f.Close() }

// checkpointHook writes last.ckpt every epoch and best.ckpt when the
// validation accuracy (training accuracy without a validation split)
// improves.
type checkpointHook struct {
	BaseHook
	dir      string
	best     EpochMetrics
	haveBest bool
	improved bool
}

func (h *checkpointHook) metric() string {
	if h.best.HasVal {
		return "val_acc"
	}
	return "train_acc"
}

func bestValue(m EpochMetrics) float64 {
	if m.HasVal {
		return m.ValAcc
	}
	return m.TrainAcc
}

func (h *checkpointHook) EpochEnd(t *Trainer, m *EpochMetrics) error {
	st := t.state(*m)
	if err := saveCheckpoint(filepath.Join(h.dir, LastCheckpoint), st); err != nil {
		return err
	}
	h.improved = !h.haveBest || bestValue(*m) > bestValue(h.best)
	if h.improved {
		if err := saveCheckpoint(filepath.Join(h.dir, BestCheckpoint), st); err != nil {
			return err
		}
		h.best, h.haveBest = *m, true
	}
	return nil
}

// consoleHook prints one line per epoch.
type consoleHook struct {
	BaseHook
	w      io.Writer
	epochs int
	ckpt   *checkpointHook
	res    *Result
}

func (h *consoleHook) EpochEnd(_ *Trainer, m *EpochMetrics) error {
	h.res.Epochs = append(h.res.Epochs, *m)
	line := fmt.Sprintf("epoch %*d/%d  train loss %.4f acc %.4f", len(strconv.Itoa(h.epochs)), m.Epoch, h.epochs, m.TrainLoss, m.TrainAcc)
	if m.HasVal {
		line += fmt.Sprintf("  val loss %.4f acc %.4f", m.ValLoss, m.ValAcc)
	}
	line += fmt.Sprintf("  lr %.4g  %.1fs  %.0f img/s", m.LR, m.EpochSeconds, m.ImagesPerSecond)
	if h.ckpt.improved {
		line += "  *best"
	}
	fmt.Fprintln(h.w, line)
	return nil
}

// CheckConfig validates what config loading cannot: the data folder loads
// and the model builds for its shapes. It returns the built model.
func CheckConfig(cfg *config.Config, source string) (*model.Model, error) {
	s, err := loadTrainSplits(cfg)
	if err != nil {
		return nil, err
	}
	return BuildModel(cfg, source, []int{s.Train.C, s.Train.H, s.Train.W}, s.Train.Classes)
}
