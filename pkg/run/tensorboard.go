package run

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/tboard"
)

// TensorBoardDir is the run folder's TensorBoard log directory
// (monitor.tensorboard): `tensorboard --logdir RUN/tb`, or the folder of
// many runs (a search) to compare them.
const TensorBoardDir = "tb"

// HParamKeys are the config keys every run records as TensorBoard
// hyperparameters (the HParams tab), beside the keys a search varies
// (Options.HParams): the ones most often tuned.
var HParamKeys = []string{
	"model.arch", "model.activation", "model.init", "model.dropout",
	"optimizer.type", "optimizer.lr", "optimizer.momentum", "optimizer.weight_decay",
	"regularization.l2", "schedule.type", "train.batch_size", "train.epochs",
	"train.label_smoothing", "seed",
}

// TensorBoard tags of what a run writes. Per epoch, at the step metrics.csv
// gives: epoch/COLUMN for every column of metrics.csv but step. Per step:
// step/loss, step/acc, step/lr, and every monitor.every steps
// step/grad_norm and update_ratio/TENSOR. Every monitor.histograms_every
// epochs: weights/TENSOR, grads/TENSOR, activations/LAYER. At the end:
// test/acc and test/loss, the HParams tab's metrics with epoch/val_acc,
// epoch/val_loss, epoch/train_acc and epoch/train_loss.
const (
	tagEpoch      = "epoch/"
	tagStepLoss   = "step/loss"
	tagStepAcc    = "step/acc"
	tagStepLR     = "step/lr"
	tagGradNorm   = "step/grad_norm"
	tagRatio      = "update_ratio/"
	tagTestAcc    = "test/acc"
	tagTestLoss   = "test/loss"
	tagWeights    = "weights/"
	tagGrads      = "grads/"
	tagActivation = "activations/"
)

// tbHook writes the run's TensorBoard event file into RUN/tb. A new run
// writes the HParams experiment and this run's hyperparameters first; a
// resumed run starts a new event file in the same folder with a session
// restart at the resumed step, on which TensorBoard drops the events of the
// earlier files from that step on (those written after the checkpoint the
// run resumed from). Events are flushed at every epoch end and before
// every checkpoint, like steps.csv. A write error is kept and returned by
// the next EpochEnd, which stops the run.
type tbHook struct {
	engine.BaseHook
	dir     string
	hparams []tboard.HParam
	w       *tboard.Writer
	vals    []tboard.TagValue // reused per step
	ratios  []string          // update_ratio/TENSOR of the monitored tensors
	err     error
}

// newTBHook returns the hook writing dir, recording the hyperparameters
// HParamKeys and extra of cfg.
func newTBHook(dir string, cfg *config.Config, extra []string) *tbHook {
	h := &tbHook{dir: dir}
	seen := map[string]bool{}
	for _, k := range append(slices.Clone(HParamKeys), extra...) {
		if v, ok := cfg.Value(k); ok && !seen[k] {
			seen[k] = true
			h.hparams = append(h.hparams, tboard.HParam{Name: k, Value: v})
		}
	}
	return h
}

// tbMetrics are the HParams tab's metrics, by tag.
var tbMetrics = []string{tagEpoch + "val_acc", tagEpoch + "val_loss", tagEpoch + "train_acc", tagEpoch + "train_loss", tagTestAcc, tagTestLoss}

func (h *tbHook) EpochStart(t *engine.Trainer, _ int) {
	if h.w != nil || h.err != nil {
		return
	}
	w, err := tboard.Create(h.dir, tboard.Options{})
	if err != nil {
		h.err = err
		return
	}
	h.w = w
	if t.Step > 0 {
		h.err = w.Restart(t.Step + 1)
		return
	}
	exp := tboard.Experiment{TimeCreated: tboard.Seconds(time.Now())}
	for _, hp := range h.hparams {
		exp.HParams = append(exp.HParams, tboard.HParamInfo{Name: hp.Name, Type: hparamType(hp.Value)})
	}
	for _, m := range tbMetrics {
		exp.Metrics = append(exp.Metrics, tboard.MetricInfo{Tag: m})
	}
	if err := w.HParamsExperiment(exp); err != nil {
		h.err = err
		return
	}
	h.err = w.HParams(h.hparams, "", tboard.Seconds(time.Now()))
}

// hparamType is the HParams data type of a value of config.Value.
func hparamType(v any) tboard.DataType {
	switch v.(type) {
	case float64:
		return tboard.TypeFloat64
	case bool:
		return tboard.TypeBool
	}
	return tboard.TypeString
}

func (h *tbHook) StepEnd(t *engine.Trainer, s engine.StepStats) {
	if h.w == nil || h.err != nil {
		return
	}
	v := append(h.vals[:0],
		tboard.TagValue{Tag: tagStepLoss, Value: s.Loss},
		tboard.TagValue{Tag: tagStepAcc, Value: float64(s.Correct) / float64(s.N)},
		tboard.TagValue{Tag: tagStepLR, Value: s.LR})
	if s.Monitored {
		if h.ratios == nil {
			for _, name := range t.MonitoredParams() {
				h.ratios = append(h.ratios, tagRatio+name)
			}
		}
		v = append(v, tboard.TagValue{Tag: tagGradNorm, Value: s.GradNorm})
		for i, tag := range h.ratios {
			v = append(v, tboard.TagValue{Tag: tag, Value: s.UpdateRatios[i]})
		}
	}
	h.vals = v
	h.err = h.w.Scalars(t.Step, v)
}

func (h *tbHook) EpochEnd(_ *engine.Trainer, m *engine.EpochMetrics) error {
	if h.w != nil && h.err == nil {
		var v []tboard.TagValue
		for _, c := range MetricsColumns {
			// The cell as metrics.csv has it, so the two agree exactly.
			if cell, ok := c.Cell(m); ok && c.Name != "step" {
				x, _ := strconv.ParseFloat(cell, 64)
				v = append(v, tboard.TagValue{Tag: tagEpoch + c.Name, Value: x})
			}
		}
		if h.err = h.w.Scalars(m.Step, v); h.err == nil {
			h.err = h.w.Flush()
		}
	}
	return h.failure()
}

// failure is the hook's first error, with the folder named.
func (h *tbHook) failure() error {
	if h.err != nil {
		return fmt.Errorf("TensorBoard %s: %w", h.dir, h.err)
	}
	return nil
}

// histogram writes one histogram at step (through the histogram hook).
func (h *tbHook) histogram(tag string, step int64, hist tboard.Histo) {
	if h.w != nil && h.err == nil {
		h.err = h.w.Histogram(tag, step, hist)
	}
}

// StateKey, MarshalState and UnmarshalState make the hook an
// engine.Resumable only to flush before a checkpoint; it has no state.
func (h *tbHook) StateKey() string { return "tensorboard" }

func (h *tbHook) MarshalState() ([]byte, error) {
	if h.w != nil && h.err == nil {
		h.err = h.w.Flush()
	}
	return []byte("{}"), h.failure()
}

func (h *tbHook) UnmarshalState([]byte) error { return nil }

// finish ends the event file (a nil hook: TensorBoard is off): with the test metrics at the last step and
// the session's status when the run ended (res non-nil: success; failed:
// diverged or another error), or just closed when it was interrupted.
func (h *tbHook) finish(step int64, res *Result, failed bool) error {
	if h == nil {
		return nil
	}
	if h.w == nil {
		return h.failure()
	}
	if h.err == nil && res != nil {
		h.err = h.w.Scalars(step, []tboard.TagValue{{Tag: tagTestAcc, Value: res.Test.Accuracy}, {Tag: tagTestLoss, Value: res.Test.Loss}})
	}
	if h.err == nil && (res != nil || failed) {
		status := tboard.StatusSuccess
		if failed {
			status = tboard.StatusFailure
		}
		h.err = h.w.HParamsEnd(status, tboard.Seconds(time.Now()))
	}
	if err := h.w.Close(); h.err == nil {
		h.err = err
	}
	h.w = nil
	return h.failure()
}

// removeTensorBoard deletes a run folder's TensorBoard files when a run
// starts over (--overwrite), so that TensorBoard does not mix two runs.
func removeTensorBoard(runDir string) error {
	dir := filepath.Join(runDir, TensorBoardDir)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing the old TensorBoard files: %w", err)
	}
	return nil
}
