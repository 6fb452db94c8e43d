package nn

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// Activation is an elementwise nonlinearity y = f(x) with derivative
// computed from the cached input and output.
type Activation struct {
	name string
	f    func(x float32) float32
	// df returns dy/dx given the input x and the output y = f(x).
	df func(x, y float32) float32

	x, y, dx *tensor.Tensor
}

// activationSpec describes one registered nonlinearity.
type activationSpec struct {
	f  func(x float32) float32
	df func(x, y float32) float32
	// gain is the recommended init gain for this nonlinearity, as PyTorch's
	// torch.nn.init.calculate_gain.
	gain float64
}

// activations is the registry of elementwise nonlinearities.
var activations = map[string]activationSpec{
	"relu": {
		f: func(x float32) float32 { return max(x, 0) },
		df: func(x, _ float32) float32 {
			if x > 0 {
				return 1
			}
			return 0
		},
		gain: math.Sqrt2,
	},
	"tanh": {
		f:    func(x float32) float32 { return float32(math.Tanh(float64(x))) },
		df:   func(_, y float32) float32 { return 1 - y*y },
		gain: 5.0 / 3,
	},
	"sigmoid": {
		f:    func(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) },
		df:   func(_, y float32) float32 { return y * (1 - y) },
		gain: 1,
	},
}

// ActivationNames lists the registered activation names, sorted.
func ActivationNames() []string { return slices.Sorted(maps.Keys(activations)) }

// IsActivation reports whether name is a registered activation.
func IsActivation(name string) bool { _, ok := activations[name]; return ok }

// NewActivation returns the named activation layer, or an error listing the
// known names.
func NewActivation(name string) (*Activation, error) {
	s, ok := activations[name]
	if !ok {
		return nil, fmt.Errorf("unknown activation %q; known: %s", name, strings.Join(ActivationNames(), ", "))
	}
	return &Activation{name: name, f: s.f, df: s.df}, nil
}

// Gain returns the recommended initialization gain for a nonlinearity
// ("linear" or "" for none), as torch.nn.init.calculate_gain.
func Gain(activation string) float64 {
	if s, ok := activations[activation]; ok {
		return s.gain
	}
	return 1
}

// Forward applies f elementwise; x has any shape.
func (a *Activation) Forward(_ *Context, x *tensor.Tensor) *tensor.Tensor {
	a.x = x
	a.y = tensor.Ensure(a.y, x.Shape...)
	y := a.y.Data
	for i, v := range x.Data {
		y[i] = a.f(v)
	}
	return a.y
}

// Backward returns dx = dy ⊙ f'(x).
func (a *Activation) Backward(_ *Context, dy *tensor.Tensor) *tensor.Tensor {
	a.dx = tensor.Ensure(a.dx, dy.Shape...)
	dx, x, y := a.dx.Data, a.x.Data, a.y.Data
	for i, g := range dy.Data {
		dx[i] = g * a.df(x[i], y[i])
	}
	return a.dx
}

// Params returns nil: these activations have no parameters.
func (a *Activation) Params() []*Param { return nil }

// OutShape is the identity.
func (a *Activation) OutShape(in []int) ([]int, error) { return slices.Clone(in), nil }

// Describe returns the activation's name, as "ReLU".
func (a *Activation) Describe() string { return a.name }

// Name returns the registry name of the activation.
func (a *Activation) Name() string { return a.name }
