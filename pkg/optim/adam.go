package optim

import (
	"fmt"
	"math"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// Adam is Adam (Kingma & Ba) or, decoupled, AdamW (Loshchilov & Hutter),
// exactly as torch.optim.Adam and torch.optim.AdamW. At step t with
// learning rate lr and weight decay λ:
//
//	θ ← θ·(1 − lr·λ)                            (AdamW only)
//	g ← g + λ·θ                                 (Adam only)
//	m ← β₁·m + (1−β₁)·g
//	v ← β₂·v + (1−β₂)·g²
//	v̂ ← max(v̂, v)                               (AMSGrad; v̂ used for v below)
//	θ ← θ − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
//
// Its state is "<param>.step", ".exp_avg", ".exp_avg_sq" and, with
// AMSGrad, ".max_exp_avg_sq".
type Adam struct {
	base
	beta1, beta2, eps  float64
	amsgrad, decoupled bool
	expAvg, expAvgSq   []*tensor.Tensor
	maxExpAvgSq        []*tensor.Tensor // AMSGrad only
	scratch            []float32
}

func newAdam(b *base, cfg Config) (*Adam, error) {
	a := &Adam{
		base:  *b,
		beta1: orDefault(cfg.Beta1, 0.9), beta2: orDefault(cfg.Beta2, 0.999), eps: orDefault(cfg.Eps, 1e-8),
		amsgrad: cfg.AMSGrad, decoupled: cfg.Type == "adamw",
	}
	if err := inUnit("beta1", a.beta1, false); err != nil {
		return nil, err
	}
	if err := inUnit("beta2", a.beta2, false); err != nil {
		return nil, err
	}
	if a.eps < 0 {
		return nil, fmt.Errorf("optim: eps must be >= 0, got %g", a.eps)
	}
	a.hasStep = true
	a.expAvg = a.addSlot("exp_avg", 0)
	a.expAvgSq = a.addSlot("exp_avg_sq", 0)
	if a.amsgrad {
		a.maxExpAvgSq = a.addSlot("max_exp_avg_sq", 0)
	}
	return a, nil
}

// Step applies one Adam (AdamW) update with base learning rate lr.
func (a *Adam) Step(lr float64) {
	b1, b2 := float32(a.beta1), float32(a.beta2)
	c1, c2 := float32(1-a.beta1), float32(1-a.beta2)
	eps := float32(a.eps)
	for i, p := range a.params {
		if p.Frozen {
			continue // no update, no state change (requires_grad=False)
		}
		a.steps[i]++
		t := float64(a.steps[i])
		lri := a.lr(i, lr)
		w := p.Value.Data
		var g []float32
		if a.decoupled {
			g = p.Grad.Data
			if wd := a.decay[i]; wd != 0 {
				f := float32(1 - lri*wd)
				for j := range w {
					w[j] *= f
				}
			}
		} else {
			g = a.gradWithDecay(i, &a.scratch)
		}
		w = w[:len(g)]
		m, v := a.expAvg[i].Data[:len(g)], a.expAvgSq[i].Data[:len(g)]
		stepSize := float32(-(lri / (1 - math.Pow(a.beta1, t))))
		bc2 := float32(math.Sqrt(1 - math.Pow(a.beta2, t)))
		var mx []float32
		if a.amsgrad {
			mx = a.maxExpAvgSq[i].Data[:len(g)]
		}
		for j, gj := range g {
			m[j] = fma32(c1, gj, m[j]*b1)
			v[j] = fma32(c2*gj, gj, v[j]*b2)
			vj := v[j]
			if mx != nil {
				if vj > mx[j] || vj != vj {
					mx[j] = vj
				}
				vj = mx[j]
			}
			denom := float32(math.Sqrt(float64(vj)))/bc2 + eps
			w[j] += stepSize * m[j] / denom
		}
	}
}
