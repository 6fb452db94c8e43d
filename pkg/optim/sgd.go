package optim

import (
	"fmt"
	"math"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// SGDConfig holds the settings of stochastic gradient descent, with the
// meaning and defaults of torch.optim.SGD.
type SGDConfig struct {
	Momentum    float64 // μ in [0, 1); 0 disables momentum
	Dampening   float64 // τ in [0, 1): momentum buffer update b = μb + (1−τ)g
	Nesterov    bool    // use g + μb instead of b; needs μ > 0 and τ = 0
	WeightDecay float64 // λ >= 0: g ← g + λθ for parameters with Decay set
}

// SGD is stochastic gradient descent with optional (Nesterov) momentum,
// exactly as torch.optim.SGD:
//
//	g ← g + λ·θ (weight decay λ)
//	b ← g (first step),  b ← μ·b + (1−τ)·g (later steps)
//	d ← g + μ·b (Nesterov) or b (classical) or g (no momentum)
//	θ ← θ − lr·d
//
// Its state is "<param>.momentum_buffer" and "<param>.step" with momentum,
// nothing without.
type SGD struct {
	base
	cfg     SGDConfig
	bufs    []*tensor.Tensor // momentum buffers, one per parameter (nil without momentum)
	scratch []float32
	update  sgdUpdate // the momentum update of the parameter being stepped
}

// sgdChunk is how many elements one task of the parallel momentum update
// covers. Every element's arithmetic is the same whatever the split, so the
// result bits do not depend on the thread count.
const sgdChunk = 1 << 14

// sgdUpdate applies the momentum update to the elements of one chunk of a
// parameter: on the first step b ← g and w ← w − η·(g + μb) (Nesterov) or
// w − η·b, where g already holds the weight decay; later steps run
// tensor.SGDMomentum on the raw gradient with the decay wd fused in.
type sgdUpdate struct {
	w, g, b           []float32
	wd, eta, mu, damp float32
	first, nesterov   bool
}

// Run updates chunk i.
func (u *sgdUpdate) Run(_, i int) {
	lo, hi := i*sgdChunk, min((i+1)*sgdChunk, len(u.g))
	w, g, b := u.w[lo:hi], u.g[lo:hi], u.b[lo:hi]
	eta, mu := u.eta, u.mu
	switch {
	case !u.first:
		tensor.SGDMomentum(w, g, b, u.wd, eta, mu, u.damp, u.nesterov)
	case u.nesterov:
		for j, gj := range g {
			b[j] = gj
			w[j] = fma32(-eta, fma32(mu, gj, gj), w[j])
		}
	default:
		copy(b, g)
		tensor.FMA(w, g, -eta, w)
	}
}

// NewSGD returns an SGD optimizer over params, in a single default group
// (weight decay for the parameters with Decay set), whose Step splits the
// momentum update over pool (nil: on the caller; the bits are the same). It
// returns an error for settings PyTorch also rejects.
func NewSGD(params []*nn.Param, cfg SGDConfig, pool *tensor.Pool) (*SGD, error) {
	if math.IsNaN(cfg.WeightDecay) || math.IsInf(cfg.WeightDecay, 0) || cfg.WeightDecay < 0 {
		return nil, fmt.Errorf("optim: sgd: weight_decay must be finite and >= 0, got %g", cfg.WeightDecay)
	}
	b, err := newBase(params, cfg.WeightDecay, nil)
	if err != nil {
		return nil, err
	}
	b.pool = pool
	return newSGD(b, cfg)
}

func newSGD(b *base, cfg SGDConfig) (*SGD, error) {
	if !(cfg.Momentum >= 0 && cfg.Momentum < 1) {
		return nil, fmt.Errorf("optim: sgd: momentum must be in [0, 1), got %g", cfg.Momentum)
	}
	if !(cfg.Dampening >= 0 && cfg.Dampening < 1) {
		return nil, fmt.Errorf("optim: sgd: dampening must be in [0, 1), got %g", cfg.Dampening)
	}
	if cfg.Nesterov && (cfg.Momentum <= 0 || cfg.Dampening != 0) {
		return nil, fmt.Errorf("optim: sgd: nesterov requires momentum > 0 and dampening 0")
	}
	s := &SGD{base: *b, cfg: cfg}
	if cfg.Momentum > 0 {
		s.hasStep = true
		s.bufs = s.addSlot("momentum_buffer", 0)
	}
	return s, nil
}

// Step applies one update with learning rate lr (times the parameter's
// group scale) to every parameter, from its accumulated gradient.
func (s *SGD) Step(lr float64) {
	mu, damp := float32(s.cfg.Momentum), float32(1-s.cfg.Dampening)
	for i, p := range s.params {
		if p.Frozen {
			continue // no update, no state change (requires_grad=False)
		}
		eta := float32(s.lr(i, lr))
		first := s.steps[i] == 0
		if mu == 0 || first {
			// the decay in a separate pass: g ← g + λθ
			g := s.gradWithDecay(i, &s.scratch)
			w := p.Value.Data[:len(g)]
			if mu == 0 {
				tensor.FMA(w, g, -eta, w)
				continue
			}
			s.update = sgdUpdate{w: w, g: g, b: s.bufs[i].Data[:len(g)], eta: eta, mu: mu,
				damp: damp, first: true, nesterov: s.cfg.Nesterov}
		} else {
			// the decay fused into the update
			g := p.Grad.Data
			s.update = sgdUpdate{w: p.Value.Data[:len(g)], g: g, b: s.bufs[i].Data[:len(g)],
				wd: float32(s.decay[i]), eta: eta, mu: mu, damp: damp, nesterov: s.cfg.Nesterov}
		}
		u := &s.update
		g := u.g
		s.pool.ParallelFor((len(g)+sgdChunk-1)/sgdChunk, u)
		s.steps[i]++
	}
}
