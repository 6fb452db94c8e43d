package optim

import "github.com/nettrain/nettrain/pkg/nn"

// AddL2 adds the L2 penalty λ·Σw² over the parameters with Decay set
// (weights, not biases) to the loss: it accumulates its gradient 2λw into
// each such parameter's gradient and returns the penalty's value. λ = 0 is a
// no-op returning 0.
//
// Note: PyTorch's weight_decay=wd adds wd·w to the gradient, which is this
// penalty with λ = wd/2.
func AddL2(params []*nn.Param, lambda float64) float64 {
	if lambda == 0 {
		return 0
	}
	var sum float64
	k := float32(2 * lambda)
	for _, p := range params {
		if !p.Decay {
			continue
		}
		g := p.Grad.Data
		for j, w := range p.Value.Data {
			sum += float64(w) * float64(w)
			g[j] += k * w
		}
	}
	return lambda * sum
}

// L2 returns λ·Σw² over the parameters with Decay set, without touching
// gradients.
func L2(params []*nn.Param, lambda float64) float64 {
	if lambda == 0 {
		return 0
	}
	var sum float64
	for _, p := range params {
		if p.Decay {
			for _, w := range p.Value.Data {
				sum += float64(w) * float64(w)
			}
		}
	}
	return lambda * sum
}
