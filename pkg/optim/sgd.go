package optim

import (
	"fmt"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// SGDConfig holds the settings of stochastic gradient descent, with the
// meaning and defaults of torch.optim.SGD.
type SGDConfig struct {
	Momentum  float64 // μ in [0, 1); 0 disables momentum
	Dampening float64 // τ in [0, 1): momentum buffer update b = μb + (1−τ)g
	Nesterov  bool    // use g + μb instead of b; needs μ > 0 and τ = 0
}

// SGD is stochastic gradient descent with optional (Nesterov) momentum,
// exactly as torch.optim.SGD:
//
//	b ← g (first step),  b ← μ·b + (1−τ)·g (later steps)
//	d ← g + μ·b (Nesterov) or b (classical) or g (no momentum)
//	θ ← θ − lr·d
type SGD struct {
	cfg    SGDConfig
	params []*nn.Param
	bufs   []*tensor.Tensor // momentum buffers, one per parameter (nil without momentum)
	steps  int64
}

// NewSGD returns an SGD optimizer over params. It returns an error for
// settings PyTorch also rejects.
func NewSGD(params []*nn.Param, cfg SGDConfig) (*SGD, error) {
	if cfg.Momentum < 0 || cfg.Momentum >= 1 {
		return nil, fmt.Errorf("sgd: momentum must be in [0, 1), got %g", cfg.Momentum)
	}
	if cfg.Nesterov && (cfg.Momentum <= 0 || cfg.Dampening != 0) {
		return nil, fmt.Errorf("sgd: nesterov requires momentum > 0 and dampening 0")
	}
	s := &SGD{cfg: cfg, params: params}
	if cfg.Momentum > 0 {
		for _, p := range params {
			s.bufs = append(s.bufs, tensor.New(p.Value.Shape...))
		}
	}
	return s, nil
}

// Step applies one update with learning rate lr to every parameter, from its
// accumulated gradient.
func (s *SGD) Step(lr float64) {
	mu, damp := float32(s.cfg.Momentum), float32(1-s.cfg.Dampening)
	eta := float32(lr)
	for i, p := range s.params {
		w, g := p.Value.Data, p.Grad.Data
		if mu == 0 {
			for j, gj := range g {
				w[j] -= eta * gj
			}
			continue
		}
		b := s.bufs[i].Data
		first := s.steps == 0
		for j, gj := range g {
			if first {
				b[j] = gj
			} else {
				b[j] = mu*b[j] + damp*gj
			}
			d := b[j]
			if s.cfg.Nesterov {
				d = gj + mu*b[j]
			}
			w[j] -= eta * d
		}
	}
	s.steps++
}

// State returns the optimizer's tensors by name: one momentum buffer per
// parameter ("<param>.momentum_buffer"), empty without momentum.
func (s *SGD) State() map[string]*tensor.Tensor {
	m := make(map[string]*tensor.Tensor, len(s.bufs))
	for i, b := range s.bufs {
		m[s.params[i].Name+".momentum_buffer"] = b
	}
	return m
}
