package optim

import (
	"fmt"
	"math"

	"github.com/nettrain/nettrain/pkg/nn"
)

// GradNorm returns the global L2 norm of all the parameters' gradients,
// √(Σ g²) over every element of every gradient, accumulated in float64.
func GradNorm(params []*nn.Param) float64 {
	var sum float64
	for _, p := range params {
		for _, g := range p.Grad.Data {
			sum += float64(g) * float64(g)
		}
	}
	return math.Sqrt(sum)
}

// ClipGradNorm rescales the gradients so that their global L2 norm is at
// most maxNorm, as torch.nn.utils.clip_grad_norm_: with total norm n (of
// all gradients together), every gradient is multiplied by
// maxNorm/(n + 1e-6) when that factor is below 1. It returns n, the norm
// before clipping. A non-finite norm leaves the gradients unchanged (the
// caller sees it in the returned value). It panics unless maxNorm > 0.
func ClipGradNorm(params []*nn.Param, maxNorm float64) (totalNorm float64) {
	if !(maxNorm > 0) {
		panic(fmt.Sprintf("optim: ClipGradNorm: max norm must be > 0, got %g", maxNorm))
	}
	n := GradNorm(params)
	if math.IsNaN(n) || math.IsInf(n, 0) {
		return n
	}
	coef := maxNorm / (n + 1e-6)
	if coef >= 1 {
		return n
	}
	c := float32(coef)
	for _, p := range params {
		g := p.Grad.Data
		for j := range g {
			g[j] *= c
		}
	}
	return n
}

// ClipGradValue clamps every gradient element to [−clip, clip], as
// torch.nn.utils.clip_grad_value_ (NaN stays NaN). It panics unless
// clip >= 0.
func ClipGradValue(params []*nn.Param, clip float64) {
	if !(clip >= 0) {
		panic(fmt.Sprintf("optim: ClipGradValue: clip must be >= 0, got %g", clip))
	}
	hi := float32(clip)
	lo := -hi
	for _, p := range params {
		g := p.Grad.Data
		for j, v := range g {
			if v > hi {
				g[j] = hi
			} else if v < lo {
				g[j] = lo
			}
		}
	}
}
