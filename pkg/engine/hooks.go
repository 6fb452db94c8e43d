package engine

import (
	"slices"
)

// Hook observes the training loop. The loop calls, in this order:
//
//	EpochStart(t, epoch)      before the first step of an epoch (also a resumed one)
//	StepEnd(t, stats)         after every optimizer step (t.Step counts it)
//	EpochEnd(t, metrics)      after the epoch's last step; an error stops training
//
// At each event the hooks run by Phase, then in the order they were added;
// so a hook may read what the hooks of earlier phases did at the same
// event (the metrics they filled in, the stop reason they set), and must
// not rely on anything later.
type Hook interface {
	EpochStart(t *Trainer, epoch int)
	StepEnd(t *Trainer, s StepStats)
	EpochEnd(t *Trainer, m *EpochMetrics) error
}

// Phase orders hooks at every event. The built-in hooks of a run use:
//
//	PhaseMeasure  validation, the EMA (updated after every step, scored at every epoch end)
//	PhaseControl  reduce-on-plateau, early stopping: act on the metrics
//	PhaseRecord   metrics.csv, steps.csv, the divergence factor (after the
//	              epoch's rows are on file, before any checkpoint holds the
//	              diverged weights), the history, the checkpoints
//	PhaseReport   the progress bar and the console line
type Phase int

// The phases, in the order they run.
const (
	PhaseMeasure Phase = iota
	PhaseControl
	PhaseRecord
	PhaseReport
)

// Attached is a hook and the phase it runs in.
type Attached struct {
	Phase Phase
	Hook  Hook
}

// BaseHook implements Hook with no-ops, for embedding.
type BaseHook struct{}

// EpochStart does nothing.
func (BaseHook) EpochStart(*Trainer, int) {}

// StepEnd does nothing.
func (BaseHook) StepEnd(*Trainer, StepStats) {}

// EpochEnd does nothing.
func (BaseHook) EpochEnd(*Trainer, *EpochMetrics) error { return nil }

// Resumable is state an exact resume needs. It is the one mechanism for
// such state: the trainer stores the state of every added hook that
// implements it in each checkpoint (metadata "train_state", under
// StateKey) and gives it back on Restore; the loop's own position is kept
// the same way. A hook whose state was not in the checkpoint (a feature
// turned on for the resumed run) is not called and starts fresh.
type Resumable interface {
	// StateKey names the state; unique among the hooks of a run.
	StateKey() string
	// MarshalState returns the state as JSON. It is called whenever a
	// checkpoint is written, so it is also the moment to flush.
	MarshalState() ([]byte, error)
	// UnmarshalState restores a state MarshalState returned.
	UnmarshalState([]byte) error
}

// TensorState is a Resumable whose state includes tensors (the EMA's
// weights): they are stored in checkpoints under their own names beside
// the model's and restored in place.
type TensorState interface {
	Resumable
	// StateTensors lists the tensors by checkpoint name; Restore copies the
	// stored values into them.
	StateTensors() []NamedTensor
	// MissingTensors is called on Restore instead when the checkpoint holds
	// none of them (the feature was off when it was written).
	MissingTensors()
}

// AddHook adds h to run in phase p, after the hooks already added to p.
func (t *Trainer) AddHook(p Phase, h Hook) {
	i := len(t.hooks)
	for i > 0 && t.hooks[i-1].Phase > p {
		i--
	}
	t.hooks = slices.Insert(t.hooks, i, Attached{Phase: p, Hook: h})
}

// resumables lists the added hooks that implement Resumable, in run order.
func (t *Trainer) resumables() []Resumable {
	var rs []Resumable
	for _, a := range t.hooks {
		if r, ok := a.Hook.(Resumable); ok {
			rs = append(rs, r)
		}
	}
	return rs
}
