package engine

import (
	"encoding/json"
	"fmt"
	"math"
)

// EarlyStopping decides when a monitored metric has stopped improving, as
// Keras's EarlyStopping: an observation improves on the best so far when
// it is lower (mode "min") or higher ("max") by more than MinDelta; after
// Patience observations in a row without improvement, Observe says stop.
// NaN never improves. The exported counters are its state, for
// checkpoints.
type EarlyStopping struct {
	Mode     string  `json:"-"` // "min" or "max"
	Patience int     `json:"-"` // >= 1
	MinDelta float64 `json:"-"` // >= 0

	Best      float64 `json:"best"`       // best value so far; meaningful when HasBest
	HasBest   bool    `json:"has_best"`   // false until the first finite observation
	BestEpoch int     `json:"best_epoch"` // the epoch passed with Best
	Bad       int     `json:"bad_epochs"` // observations since the last improvement
}

// improves reports whether v beats the best so far by more than MinDelta.
func (e *EarlyStopping) improves(v float64) bool {
	switch {
	case math.IsNaN(v):
		return false
	case !e.HasBest:
		return true
	case e.Mode == "max":
		return v-e.MinDelta > e.Best
	default:
		return v+e.MinDelta < e.Best
	}
}

// Observe records the metric v of epoch (1-based) and reports whether
// training should stop after it.
func (e *EarlyStopping) Observe(epoch int, v float64) (stop bool) {
	if e.improves(v) {
		e.Best, e.HasBest, e.BestEpoch, e.Bad = v, true, epoch, 0
		return false
	}
	e.Bad++
	return e.Bad >= e.Patience
}

// MetricValue returns the named metric (val_loss, val_acc, train_loss or
// train_acc) of m.
func MetricValue(m EpochMetrics, name string) float64 {
	switch name {
	case "val_loss":
		return m.ValLoss
	case "val_acc":
		return m.ValAcc
	case "train_loss":
		return m.TrainLoss
	default:
		return m.TrainAcc
	}
}

// earlyStopHook feeds train.early_stopping's metric to an EarlyStopping
// after every epoch and sets the trainer's StopReason when it says stop.
type earlyStopHook struct {
	BaseHook
	metric string
	es     EarlyStopping
}

func (h *earlyStopHook) EpochEnd(t *Trainer, m *EpochMetrics) error {
	if h.es.Observe(m.Epoch, MetricValue(*m, h.metric)) && m.Epoch < t.Plan.Epochs {
		t.StopReason = fmt.Sprintf("early stopping after epoch %d: %s has not improved by more than %g for %d epochs (best %.4f at epoch %d)",
			m.Epoch, h.metric, h.es.MinDelta, h.es.Bad, h.es.Best, h.es.BestEpoch)
	}
	return nil
}

func (h *earlyStopHook) StateKey() string              { return "early_stopping" }
func (h *earlyStopHook) MarshalState() ([]byte, error) { return json.Marshal(h.es) }
func (h *earlyStopHook) UnmarshalState(b []byte) error { return json.Unmarshal(b, &h.es) }

// divergenceHook stops the run when an epoch's training loss exceeds
// train.divergence_factor times the best earlier epoch's.
type divergenceHook struct {
	BaseHook
	factor float64
	st     struct {
		Best    float64 `json:"best_train_loss"`
		HasBest bool    `json:"has_best"`
	}
}

func (h *divergenceHook) EpochEnd(_ *Trainer, m *EpochMetrics) error {
	if h.st.HasBest && m.TrainLoss > h.factor*h.st.Best {
		return &Diverged{Msg: fmt.Sprintf("epoch %d: the train loss %.4g exceeds train.divergence_factor %g × the best epoch's %.4g: training diverged; the learning rate is probably too high (lower optimizer.lr); the checkpoints of earlier epochs are intact",
			m.Epoch, m.TrainLoss, h.factor, h.st.Best)}
	}
	if !h.st.HasBest || m.TrainLoss < h.st.Best {
		h.st.Best, h.st.HasBest = m.TrainLoss, true
	}
	return nil
}

func (h *divergenceHook) StateKey() string              { return "divergence" }
func (h *divergenceHook) MarshalState() ([]byte, error) { return json.Marshal(h.st) }
func (h *divergenceHook) UnmarshalState(b []byte) error { return json.Unmarshal(b, &h.st) }

// Diverged is the error of a run stopped because training diverged: a
// non-finite loss, gradient or weight, or a loss above
// train.divergence_factor or train.max_loss_factor. The command exits with
// its own status for it, so a search tells a diverged trial from a failed
// one.
type Diverged struct{ Msg string }

func (e *Diverged) Error() string { return e.Msg }

// lossLimitHook ends the run at the first optimizer step whose batch loss
// exceeds train.max_loss_factor times the first step's batch loss.
type lossLimitHook struct {
	BaseHook
	factor float64
	st     struct {
		First    float64 `json:"first_step_loss"`
		HasFirst bool    `json:"has_first"`
	}
}

func (h *lossLimitHook) StepEnd(t *Trainer, s StepStats) {
	if !h.st.HasFirst {
		h.st.First, h.st.HasFirst = s.Loss, true
		return
	}
	if s.Loss > h.factor*h.st.First {
		t.Abort(&Diverged{Msg: fmt.Sprintf("epoch %d, step %d: the batch loss %.4g exceeds train.max_loss_factor %g × the first step's %.4g: training diverged; the learning rate is probably too high (lower optimizer.lr); the checkpoints already written are intact",
			s.Epoch+1, t.Step, s.Loss, h.factor, h.st.First)})
	}
}

func (h *lossLimitHook) StateKey() string              { return "max_loss_factor" }
func (h *lossLimitHook) MarshalState() ([]byte, error) { return json.Marshal(h.st) }
func (h *lossLimitHook) UnmarshalState(b []byte) error { return json.Unmarshal(b, &h.st) }
