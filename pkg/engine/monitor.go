package engine

import (
	"math"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// monitor measures, every Every optimizer steps, the gradient's global L2
// norm (before clipping) and the update-to-weight ratio ‖ΔW‖/‖W‖ of every
// weight tensor (the parameters with a weight penalty by default: linear
// and convolution weights) for the update just applied. The weights before
// the step are copied into buffers it owns, so a measured step costs one
// copy and three vectorized passes over the weights; the others cost
// nothing.
type monitor struct {
	every  int64
	params []*nn.Param // the weight tensors, in model order
	names  []string
	before [][]float32 // their values before the measured step
	ratios []float64   // the last measured step's ratios, reused
}

// newMonitor returns the monitor of the model's parameters, or nil when
// every is 0 (off).
func newMonitor(every int, params []*nn.Param) *monitor {
	if every <= 0 {
		return nil
	}
	m := &monitor{every: int64(every)}
	for _, p := range params {
		if p.Decay {
			m.params = append(m.params, p)
			m.names = append(m.names, p.Name)
			m.before = append(m.before, make([]float32, len(p.Value.Data)))
		}
	}
	m.ratios = make([]float64, len(m.params))
	return m
}

// due reports whether the step about to be taken (1-based: step) is
// measured.
func (m *monitor) due(step int64) bool { return m != nil && step%m.every == 0 }

// beforeStep records the gradient norm and the weights; call it after the
// gradients are complete and before clipping and the optimizer step.
func (m *monitor) beforeStep(params []*nn.Param) (gradNorm float64) {
	var ss float64
	for _, p := range params {
		_, sq := tensor.SumSquares(p.Grad.Data)
		ss += sq
	}
	for i, p := range m.params {
		copy(m.before[i], p.Value.Data)
	}
	return math.Sqrt(ss)
}

// afterStep computes the update ratios of the step just applied. The
// update ΔW = W − W_before is formed in float32 (exact for the small
// updates of training: the two values are within a factor 2) in the
// buffer of the old weights, and both norms accumulate in float64 with the
// vector kernels, so a measured MLP step costs about a third of a step.
func (m *monitor) afterStep() []float64 {
	for i, p := range m.params {
		d := m.before[i]
		tensor.LinComb2(d, p.Value.Data, d, 1, -1, 0)
		_, dd := tensor.SumSquares(d)
		_, ww := tensor.SumSquares(p.Value.Data)
		m.ratios[i] = math.Sqrt(dd) / math.Sqrt(ww)
		if ww == 0 {
			m.ratios[i] = math.Inf(1)
			if dd == 0 {
				m.ratios[i] = 0
			}
		}
	}
	return m.ratios
}

// MonitoredParams names the weight tensors whose update ratios
// StepStats.UpdateRatios holds, in that order; nil when monitoring is off
// (monitor.every 0).
func (t *Trainer) MonitoredParams() []string {
	if t.mon == nil {
		return nil
	}
	return t.mon.names
}

// MonitoredFrozen reports, per tensor of MonitoredParams, whether it is
// frozen now (train.freeze): its update ratio is 0 by design, not a sign
// of a too-low rate.
func (t *Trainer) MonitoredFrozen(i int) bool { return t.mon != nil && t.mon.params[i].Frozen }
