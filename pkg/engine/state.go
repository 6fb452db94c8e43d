package engine

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/lrsched"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// Names the trainer's state takes in a checkpoint: metadata keys and
// tensor-name prefixes. Parameters and buffers keep their dotted model
// names ("features.0.weight"); the run folder adds its own metadata (config,
// preprocessing, shapes) beside these.
const (
	MetaEpoch      = "epoch"       // epochs completed
	MetaStep       = "step"        // optimizer steps completed
	MetaBatch      = "batch"       // mini-batches of epoch `epoch`+1 already done (0 at an epoch's end)
	MetaMetrics    = "metrics"     // EpochMetrics of the last finished epoch, JSON
	MetaTrainState = "train_state" // trainState, JSON: what an exact resume needs beyond the tensors
	OptimPrefix    = "optimizer."  // optimizer state tensors: "optimizer.<param>.<key>"
	EMAPrefix      = "ema."        // the EMA's parameters and buffers: "ema.<name>"
)

// NamedTensor is a tensor and the name it has in checkpoints.
type NamedTensor struct {
	Name   string
	Tensor *tensor.Tensor
}

// ModelTensors lists m's parameters then its buffers as checkpoint tensors
// under their own names, sharing storage with the model.
func ModelTensors(m *model.Model) []checkpoint.Tensor { return toCheckpoint(prefixed("", m)) }

// prefixed lists m's parameters then its buffers, named prefix+name.
func prefixed(prefix string, m *model.Model) []NamedTensor {
	var ts []NamedTensor
	for _, p := range m.Params() {
		ts = append(ts, NamedTensor{prefix + p.Name, p.Value})
	}
	for _, b := range m.Buffers() {
		ts = append(ts, NamedTensor{prefix + b.Name, b.Value})
	}
	return ts
}

// trainState is the metadata "train_state" of a checkpoint: the loop's
// position and every Resumable hook's state by key. The Legacy fields are
// read from checkpoints written before reduce-on-plateau and the EMA kept
// their state as hooks, and never written.
type trainState struct {
	Position   epochPos                   `json:"position"`    // inside the current epoch
	StopReason string                     `json:"stop_reason"` // why training ended early, or ""
	Hooks      map[string]json.RawMessage `json:"hooks"`       // Resumable states by StateKey

	LegacyPlateau    *lrsched.PlateauState `json:"plateau,omitempty"`
	LegacyEMAUpdates int64                 `json:"ema_updates,omitempty"`
}

// Snapshot is the trainer's state in checkpoint form: what Restore needs to
// continue bit for bit. A checkpoint file holds Model, then the run's own
// tensors, then Hooks and Optim (see the run folder's layout).
type Snapshot struct {
	Model    []checkpoint.Tensor // parameters then buffers, by dotted name
	Hooks    []checkpoint.Tensor // the TensorState hooks' tensors ("ema.*")
	Optim    []checkpoint.Tensor // "optimizer.*", sorted by name
	Metadata map[string]string   // MetaEpoch, MetaStep, MetaBatch, MetaMetrics, MetaTrainState
}

func toCheckpoint(ts []NamedTensor) []checkpoint.Tensor {
	out := make([]checkpoint.Tensor, len(ts))
	for i, t := range ts {
		out[i] = checkpoint.Tensor{Name: t.Name, Shape: t.Tensor.Shape, Data: t.Tensor.Data}
	}
	return out
}

// Snapshot captures the trainer's state now: at the end of an epoch, or
// inside one when the run is paused. The tensors alias the live ones, so
// write them before the next step.
func (t *Trainer) Snapshot() (*Snapshot, error) {
	ts := trainState{Position: t.pos, StopReason: t.StopReason, Hooks: map[string]json.RawMessage{}}
	s := &Snapshot{Model: toCheckpoint(prefixed("", t.Model))}
	for _, r := range t.resumables() {
		b, err := r.MarshalState()
		if err != nil {
			return nil, fmt.Errorf("checkpoint: state of %s: %w", r.StateKey(), err)
		}
		ts.Hooks[r.StateKey()] = b
		if tsr, ok := r.(TensorState); ok {
			s.Hooks = append(s.Hooks, toCheckpoint(tsr.StateTensors())...)
		}
	}
	opt := t.Opt.State()
	for _, name := range slices.Sorted(maps.Keys(opt)) {
		o := opt[name]
		s.Optim = append(s.Optim, checkpoint.Tensor{Name: OptimPrefix + name, Shape: o.Shape, Data: o.Data})
	}
	b, err := json.Marshal(ts)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: train state: %w", err)
	}
	var m EpochMetrics
	if t.last != nil {
		m = *t.last
	}
	mb, _ := json.Marshal(m)
	s.Metadata = map[string]string{
		MetaEpoch:      strconv.Itoa(t.Epoch),
		MetaStep:       strconv.FormatInt(t.Step, 10),
		MetaBatch:      strconv.Itoa(t.pos.Batch),
		MetaMetrics:    string(mb),
		MetaTrainState: string(b),
	}
	return s, nil
}

// Restore puts the trainer at the position of checkpoint f (read from
// path): weights, buffers, optimizer state, epoch, step, the position
// inside the epoch, the stop reason and the state of every Resumable hook
// added so far (so add the hooks first). Problems are *InputError naming
// path.
func (t *Trainer) Restore(f *checkpoint.File, path string) error {
	bad := func(format string, a ...any) error {
		return InputErrorf("checkpoint %s: %s", path, fmt.Sprintf(format, a...))
	}
	if err := RestoreTensors(f, prefixed("", t.Model), bad); err != nil {
		return err
	}
	opt := map[string]*tensor.Tensor{}
	for _, ct := range f.Tensors {
		if name, ok := strings.CutPrefix(ct.Name, OptimPrefix); ok {
			opt[name] = tensor.FromData(ct.Data, ct.Shape...)
		}
	}
	if err := t.Opt.LoadState(opt); err != nil {
		return bad("optimizer state: %v", err)
	}
	var ts trainState
	if err := json.Unmarshal([]byte(f.Metadata[MetaTrainState]), &ts); err != nil {
		return bad("metadata %q: %v", MetaTrainState, err)
	}
	legacy := map[string]any{}
	if ts.LegacyPlateau != nil {
		legacy["plateau"] = ts.LegacyPlateau
	}
	if ts.LegacyEMAUpdates != 0 {
		legacy["ema"] = emaState{Updates: ts.LegacyEMAUpdates}
	}
	for key, v := range legacy {
		if _, ok := ts.Hooks[key]; !ok {
			if ts.Hooks == nil {
				ts.Hooks = map[string]json.RawMessage{}
			}
			ts.Hooks[key], _ = json.Marshal(v)
		}
	}
	var err error
	if t.Epoch, err = strconv.Atoi(f.Metadata[MetaEpoch]); err != nil || t.Epoch < 0 {
		return bad("metadata %q is not a count of epochs", MetaEpoch)
	}
	if t.Step, err = strconv.ParseInt(f.Metadata[MetaStep], 10, 64); err != nil || t.Step < 0 {
		return bad("metadata %q is not a count of steps", MetaStep)
	}
	nb := t.loader.NumBatches()
	if p := ts.Position; p.Batch < 0 || p.Batch >= nb || p.Batch%t.Plan.Accumulate != 0 {
		return bad("the position inside the epoch (batch %d) does not fit this config's %d batches per epoch and train.accumulate %d", p.Batch, nb, t.Plan.Accumulate)
	}
	t.pos = ts.Position
	t.StopReason = ts.StopReason
	if t.Epoch > 0 {
		var m EpochMetrics
		if err := json.Unmarshal([]byte(f.Metadata[MetaMetrics]), &m); err == nil {
			t.last = &m
		}
	}
	for _, r := range t.resumables() {
		if tsr, ok := r.(TensorState); ok {
			if want := tsr.StateTensors(); len(want) > 0 {
				if _, ok := f.Tensor(want[0].Name); ok {
					if err := RestoreTensors(f, want, bad); err != nil {
						return err
					}
				} else {
					tsr.MissingTensors()
				}
			}
		}
		b, ok := ts.Hooks[r.StateKey()]
		if !ok {
			continue // a feature turned on for the resumed run starts fresh
		}
		if err := r.UnmarshalState(b); err != nil {
			return bad("state of %s: %v", r.StateKey(), err)
		}
	}
	return nil
}

// RestoreTensors copies the tensors of f named as in dst into dst's
// tensors; bad formats the error for a missing tensor or a shape that
// differs.
func RestoreTensors(f *checkpoint.File, dst []NamedTensor, bad func(string, ...any) error) error {
	for _, d := range dst {
		t, ok := f.Tensor(d.Name)
		if !ok {
			return bad("tensor %q is missing", d.Name)
		}
		if !d.Tensor.SameShape(t.Shape) {
			return bad("tensor %q has shape %v, the model needs %v", d.Name, t.Shape, d.Tensor.Shape)
		}
		copy(d.Tensor.Data, t.Data)
	}
	return nil
}

// RestoreModel copies the tensors prefix+name of f into m's parameters and
// buffers.
func RestoreModel(f *checkpoint.File, m *model.Model, prefix string, bad func(string, ...any) error) error {
	return RestoreTensors(f, prefixed(prefix, m), bad)
}
