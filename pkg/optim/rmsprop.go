package optim

import (
	"fmt"
	"math"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// RMSProp is RMSprop exactly as torch.optim.RMSprop. With learning rate lr,
// smoothing constant α, momentum μ and weight decay λ:
//
//	g ← g + λ·θ
//	s ← α·s + (1−α)·g²
//	ḡ ← α·ḡ + (1−α)·g,  a ← √(s − ḡ²) + ε   (centered)
//	a ← √s + ε                              (not centered)
//	b ← μ·b + g/a,  θ ← θ − lr·b            (μ > 0)
//	θ ← θ − lr·g/a                          (μ = 0)
//
// Its state is "<param>.step", ".square_avg", ".momentum_buffer" (μ > 0)
// and ".grad_avg" (centered).
type RMSProp struct {
	base
	alpha, eps, momentum float64
	centered             bool
	squareAvg, gradAvg   []*tensor.Tensor
	buf                  []*tensor.Tensor
	scratch              []float32
}

func newRMSProp(b *base, cfg Config) (*RMSProp, error) {
	r := &RMSProp{
		base:  *b,
		alpha: orDefault(cfg.Alpha, 0.99), eps: orDefault(cfg.Eps, 1e-8), momentum: cfg.Momentum,
		centered: cfg.Centered,
	}
	if err := inUnit("alpha", r.alpha, false); err != nil {
		return nil, err
	}
	if err := inUnit("momentum", r.momentum, false); err != nil {
		return nil, err
	}
	if r.eps < 0 {
		return nil, fmt.Errorf("optim: eps must be >= 0, got %g", r.eps)
	}
	r.hasStep = true
	r.squareAvg = r.addSlot("square_avg", 0)
	if r.momentum > 0 {
		r.buf = r.addSlot("momentum_buffer", 0)
	}
	if r.centered {
		r.gradAvg = r.addSlot("grad_avg", 0)
	}
	return r, nil
}

// Step applies one RMSprop update with base learning rate lr.
func (r *RMSProp) Step(lr float64) {
	al, c := float32(r.alpha), float32(1-r.alpha)
	eps, mu := float32(r.eps), float32(r.momentum)
	for i, p := range r.params {
		if p.Frozen {
			continue // no update, no state change (requires_grad=False)
		}
		r.steps[i]++
		nlr := float32(-r.lr(i, lr))
		g := r.gradWithDecay(i, &r.scratch)
		w := p.Value.Data[:len(g)]
		sq := r.squareAvg[i].Data[:len(g)]
		var ga, b []float32
		if r.centered {
			ga = r.gradAvg[i].Data[:len(g)]
		}
		if r.buf != nil {
			b = r.buf[i].Data[:len(g)]
		}
		for j, gj := range g {
			sq[j] = fma32(c*gj, gj, sq[j]*al)
			var avg float32
			if ga != nil {
				ga[j] = fma32(c, gj, ga[j]*al)
				avg = float32(math.Sqrt(float64(fma32(-ga[j], ga[j], sq[j]))))
			} else {
				avg = float32(math.Sqrt(float64(sq[j])))
			}
			avg += eps
			if b != nil {
				b[j] = float32(b[j]*mu) + gj/avg
				w[j] = fma32(nlr, b[j], w[j])
			} else {
				w[j] += nlr * gj / avg
			}
		}
	}
}
