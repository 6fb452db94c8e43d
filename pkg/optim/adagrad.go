package optim

import (
	"fmt"
	"math"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// Adagrad is Adagrad exactly as torch.optim.Adagrad. At step t with
// learning rate lr, learning-rate decay δ and weight decay λ:
//
//	g ← g + λ·θ
//	s ← s + g²                (s starts at the initial accumulator value)
//	θ ← θ − lr/(1 + (t−1)·δ) · g/(√s + ε)
//
// Its state is "<param>.step" and "<param>.sum".
type Adagrad struct {
	base
	lrDecay, eps float64
	sum          []*tensor.Tensor
	scratch      []float32
}

func newAdagrad(b *base, cfg Config) (*Adagrad, error) {
	a := &Adagrad{base: *b, lrDecay: cfg.LRDecay, eps: orDefault(cfg.Eps, 1e-10)}
	if a.lrDecay < 0 {
		return nil, fmt.Errorf("optim: lr_decay must be >= 0, got %g", a.lrDecay)
	}
	if cfg.InitialAccumulator < 0 {
		return nil, fmt.Errorf("optim: initial_accumulator must be >= 0, got %g", cfg.InitialAccumulator)
	}
	if a.eps < 0 {
		return nil, fmt.Errorf("optim: eps must be >= 0, got %g", a.eps)
	}
	a.hasStep = true
	a.sum = a.addSlot("sum", float32(cfg.InitialAccumulator))
	return a, nil
}

// Step applies one Adagrad update with base learning rate lr.
func (a *Adagrad) Step(lr float64) {
	eps := float32(a.eps)
	for i, p := range a.params {
		if p.Frozen {
			continue // no update, no state change (requires_grad=False)
		}
		a.steps[i]++
		t := float64(a.steps[i])
		nclr := float32(-(a.lr(i, lr) / (1 + (t-1)*a.lrDecay)))
		g := a.gradWithDecay(i, &a.scratch)
		w := p.Value.Data[:len(g)]
		s := a.sum[i].Data[:len(g)]
		for j, gj := range g {
			s[j] = fma32(gj, gj, s[j])
			std := float32(math.Sqrt(float64(s[j]))) + eps
			w[j] += nclr * gj / std
		}
	}
}
