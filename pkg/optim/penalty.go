package optim

import (
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/spec"
)

// AddL2 adds the L2 penalty λ·Σw² over the parameters with Decay set
// (weights, not biases) to the loss: it accumulates its gradient 2λw into
// each such parameter's gradient and returns the penalty's value. λ = 0 is a
// no-op returning 0. It is AddPenalty with Penalty{L2: λ}.
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

// Penalty is a weight penalty added to the loss: the elastic net
// (Zou & Hastie 2005, "Regularization and variable selection via the
// elastic net")
//
//	L1·Σ|w| + L2·Σw²
//
// over the selected parameters, which is the lasso penalty (Tibshirani 1996,
// "Regression Shrinkage and Selection via the Lasso") when L2 is 0 and
// ridge / weight decay (AddL2) when L1 is 0.
//
// Parameters are selected by name. With Include empty, the parameters with
// Decay set (weights, not biases) are selected; otherwise those whose name
// matches at least one Include pattern, whatever their Decay. A parameter
// whose name matches an Exclude pattern is then dropped. Patterns are
// path.Match globs on the whole dotted name: "*" matches any run of
// characters including dots ("*.bias", "stage1.*", "fc?.weight"), as names
// contain no "/".
//
// A Penalty is also the config's "regularization" section.
type Penalty struct {
	// L2 is the L2 penalty coefficient λ (key "regularization.l2"): the
	// training loss becomes loss + λ·Σw² summed over the selected
	// parameters (by default the weights, not biases). Note that PyTorch's
	// weight_decay wd adds wd·w to the gradient, which is λ = wd/2. Must be
	// >= 0 and finite. Default 0.
	L2 float64 `yaml:"l2" range:">=0"`
	// L1 is the L1 (lasso) penalty coefficient (key "regularization.l1"):
	// the loss gains L1·Σ|w| over the same parameters as L2, with the
	// subgradient sign(w). Must be >= 0 and finite. Default 0.
	L1 float64 `yaml:"l1" range:">=0"`
	// Include selects the parameters both penalties cover by glob on their
	// dotted names (key "regularization.include"), e.g. ["*.weight"];
	// empty (default) means every weight (not biases, batch-norm or PReLU
	// parameters).
	Include []string `yaml:"include"`
	// Exclude drops the parameters matching any of these globs from the
	// penalties (key "regularization.exclude"), e.g. ["classifier.*"].
	Exclude []string `yaml:"exclude"`
}

// Applies reports whether the penalty covers parameter q (see Penalty for
// the rules). A malformed pattern matches nothing (Validate reports it).
func (p Penalty) Applies(q *nn.Param) bool {
	in := q.Decay
	if len(p.Include) > 0 {
		in = spec.MatchAny(p.Include, q.Name)
	}
	return in && !spec.MatchAny(p.Exclude, q.Name)
}

// AddPenalty adds the penalty to the loss: it accumulates its gradient
// L1·sign(w) + 2·L2·w (with sign(0) = 0, the subgradient PyTorch's
// torch.sign gives) into the gradient of every selected parameter and
// returns the penalty's value L1·Σ|w| + L2·Σw². A zero penalty is a no-op
// returning 0. It does not allocate.
func AddPenalty(params []*nn.Param, p Penalty) float64 {
	if p.L1 == 0 && p.L2 == 0 {
		return 0
	}
	var abs, sq float64
	l1, k2 := float32(p.L1), float32(2*p.L2)
	for _, q := range params {
		if !p.Applies(q) {
			continue
		}
		g := q.Grad.Data
		for j, w := range q.Value.Data {
			abs += math32Abs(w)
			sq += float64(w) * float64(w)
			g[j] += l1*sign(w) + k2*w
		}
	}
	return p.L1*abs + p.L2*sq
}

// PenaltyValue returns L1·Σ|w| + L2·Σw² over the selected parameters,
// without touching gradients.
func PenaltyValue(params []*nn.Param, p Penalty) float64 {
	if p.L1 == 0 && p.L2 == 0 {
		return 0
	}
	var abs, sq float64
	for _, q := range params {
		if !p.Applies(q) {
			continue
		}
		for _, w := range q.Value.Data {
			abs += math32Abs(w)
			sq += float64(w) * float64(w)
		}
	}
	return p.L1*abs + p.L2*sq
}

func math32Abs(w float32) float64 {
	if w < 0 {
		return -float64(w)
	}
	return float64(w)
}

// sign returns −1, 0 or 1 (0 for 0 and NaN).
func sign(w float32) float32 {
	switch {
	case w > 0:
		return 1
	case w < 0:
		return -1
	}
	return 0
}
