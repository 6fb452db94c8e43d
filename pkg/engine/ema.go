package engine

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/nettrain/nettrain/pkg/lrsched"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// EMA is an exponential moving average (Polyak averaging) of a model's
// parameters and buffers (batch-norm running statistics), as timm's
// ModelEmaV2: after every optimizer step each averaged tensor moves toward
// the live one, ema ← ema − (1−d)·(ema − w), in float32.
type EMA struct {
	// Model holds the averaged weights; evaluate it like any model.
	Model *model.Model
	// Decay is d (ema.decay).
	Decay float64
	// Warmup selects torch-ema's schedule d_n = min(Decay, (1+n)/(10+n))
	// at the n-th update (ema.warmup).
	Warmup bool
	// Updates counts the updates so far.
	Updates int64

	src, dst []*tensor.Tensor // live and averaged tensors, in model order
}

// newEMA starts an average of m's current weights: a twin of m built from
// the plan, with m's values copied in.
func newEMA(p *Plan, m *model.Model) (*EMA, error) {
	twin, err := p.BuildModel("ema", m.InShape, m.Classes)
	if err != nil {
		return nil, err
	}
	e := &EMA{Model: twin, Decay: p.EMA.Decay, Warmup: p.EMA.Warmup}
	e.src, e.dst = modelTensors(m), modelTensors(twin)
	for i, s := range e.src {
		copy(e.dst[i].Data, s.Data)
	}
	return e, nil
}

// modelTensors lists m's parameter values then its buffers, in model order.
func modelTensors(m *model.Model) []*tensor.Tensor {
	var ts []*tensor.Tensor
	for _, p := range m.Params() {
		ts = append(ts, p.Value)
	}
	for _, b := range m.Buffers() {
		ts = append(ts, b.Value)
	}
	return ts
}

// decay returns the factor of the next update.
func (e *EMA) decay() float64 {
	if e.Warmup {
		n := float64(e.Updates + 1)
		return min(e.Decay, (1+n)/(10+n))
	}
	return e.Decay
}

// Update moves the average one step toward the live model's current
// values.
func (e *EMA) Update() {
	a := float32(1 - e.decay())
	e.Updates++
	for i, s := range e.src {
		d := e.dst[i].Data
		for j, v := range s.Data {
			d[j] -= a * (d[j] - v)
		}
	}
}

// emaHook updates the EMA after every optimizer step and scores it on the
// validation split at the end of every epoch. Its state is the EMA's
// weights and buffers (tensors "ema.<name>") and its update count.
type emaHook struct {
	BaseHook
	ema *EMA
}

func (h *emaHook) StepEnd(*Trainer, StepStats) { h.ema.Update() }

func (h *emaHook) EpochEnd(t *Trainer, m *EpochMetrics) error {
	if t.Val == nil {
		return nil
	}
	start := time.Now()
	v, err := t.evaluateVal(h.ema.Model)
	if err != nil {
		return err
	}
	m.HasEMA, m.EMAValLoss, m.EMAValAcc = true, v.Loss, v.Accuracy
	m.EpochSeconds += time.Since(start).Seconds()
	return ReadError(t.Val)
}

func (h *emaHook) StateKey() string { return "ema" }
func (h *emaHook) MarshalState() ([]byte, error) {
	return json.Marshal(emaState{Updates: h.ema.Updates})
}
func (h *emaHook) UnmarshalState(b []byte) error {
	var st emaState
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	h.ema.Updates = st.Updates
	return nil
}

// emaState is the EMA's JSON state.
type emaState struct {
	Updates int64 `json:"updates"`
}

// StateTensors lists the averaged parameters then buffers as
// "ema.<name>".
func (h *emaHook) StateTensors() []NamedTensor {
	return prefixed(EMAPrefix, h.ema.Model)
}

// MissingTensors starts the average from the restored weights: EMA was
// turned on for the resumed run (--force).
func (h *emaHook) MissingTensors() {
	for i, s := range h.ema.src {
		copy(h.ema.dst[i].Data, s.Data)
	}
}

// validationHook scores the validation split at the end of every epoch.
type validationHook struct{ BaseHook }

func (validationHook) EpochEnd(t *Trainer, m *EpochMetrics) error {
	if t.Val == nil {
		return nil
	}
	start := time.Now()
	v, err := t.evaluateVal(t.Model)
	if err != nil {
		return err
	}
	m.HasVal, m.ValLoss, m.ValAcc = true, v.Loss, v.Accuracy
	m.EpochSeconds += time.Since(start).Seconds()
	return ReadError(t.Val)
}

// plateauHook feeds the watched validation metric to reduce-on-plateau
// after every epoch; the trainer multiplies the schedule by its scale.
type plateauHook struct {
	BaseHook
	plateau *lrsched.Plateau
	metric  string
}

func (h *plateauHook) EpochEnd(_ *Trainer, m *EpochMetrics) error {
	if !m.HasVal {
		return fmt.Errorf("schedule.plateau watches %s but the run has no validation split (data.val_split is 0)", h.metric)
	}
	v := m.ValLoss
	if h.metric == "val_acc" {
		v = m.ValAcc
	}
	h.plateau.Observe(v)
	return nil
}

func (h *plateauHook) StateKey() string              { return "plateau" }
func (h *plateauHook) MarshalState() ([]byte, error) { return json.Marshal(h.plateau.State()) }
func (h *plateauHook) UnmarshalState(b []byte) error {
	var st lrsched.PlateauState
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	return h.plateau.SetState(st)
}
