package engine

import (
	"time"

	"github.com/nettrain/nettrain/pkg/config"
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
// cfg, with m's values copied in.
func newEMA(cfg *config.Config, m *model.Model) (*EMA, error) {
	twin, err := BuildModel(cfg, "ema", m.InShape, m.Classes)
	if err != nil {
		return nil, err
	}
	e := &EMA{Model: twin, Decay: cfg.EMA.Decay, Warmup: cfg.EMA.Warmup}
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
// validation split at the end of every epoch.
type emaHook struct{ BaseHook }

func (emaHook) StepEnd(t *Trainer, _ StepStats) {
	if t.EMA != nil {
		t.EMA.Update()
	}
}

func (emaHook) EpochEnd(t *Trainer, m *EpochMetrics) error {
	if t.EMA == nil || t.Val == nil {
		return nil
	}
	start := time.Now()
	v := Evaluate(t.EMA.Model, t.Val, t.Cfg.Train.EvalBatchSize)
	m.HasEMA, m.EMAValLoss, m.EMAValAcc = true, v.Loss, v.Accuracy
	m.EpochSeconds += time.Since(start).Seconds()
	return nil
}
