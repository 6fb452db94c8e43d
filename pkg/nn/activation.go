package nn

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// SELU's constants, as in Klambauer et al. (2017) and PyTorch's nn.SELU.
const (
	SELUAlpha = 1.6732632423543772848170429916717
	SELUScale = 1.0507009873554804934193349852946
)

// Defaults of the parameterized activations, as in PyTorch.
const (
	// DefaultLeakySlope is leaky_relu's negative slope when none is given.
	DefaultLeakySlope = 0.01
	// DefaultELUAlpha is elu's alpha when none is given.
	DefaultELUAlpha = 1.0
	// PReLUInit is the initial value of prelu's learned slopes.
	PReLUInit = 0.25
)

// ActivationOptions holds the settings of the parameterized activations.
// Zero values take PyTorch's defaults; a setting given to an activation it
// does not apply to is an error.
type ActivationOptions struct {
	// Slope is leaky_relu's negative slope (0 → 0.01).
	Slope float64
	// Alpha is elu's saturation value for x → −∞ (0 → 1).
	Alpha float64
	// Approximate selects gelu's form: "" or "none" for the exact erf form,
	// "tanh" for the tanh approximation.
	Approximate string
	// Channels is prelu's number of learned slopes: 0 for one shared slope,
	// otherwise one per channel (dimension 1 of the input).
	Channels int
}

// actKind selects an activation's forward and backward loops.
type actKind int

const (
	actReLU actKind = iota
	actLeakyReLU
	actPReLU
	actELU
	actSELU
	actGELU
	actTanh
	actSigmoid
)

// activationSpec describes one registered nonlinearity.
type activationSpec struct {
	kind actKind
	// gain returns the recommended init gain for this nonlinearity given a
	// negative slope (already defaulted), as PyTorch's
	// torch.nn.init.calculate_gain.
	gain func(slope float64) float64
}

func constGain(g float64) func(float64) float64 { return func(float64) float64 { return g } }

func leakyGain(slope float64) float64 { return math.Sqrt(2 / (1 + slope*slope)) }

// activations is the registry of elementwise nonlinearities.
var activations = map[string]activationSpec{
	"relu":       {kind: actReLU, gain: constGain(math.Sqrt2)},
	"leaky_relu": {kind: actLeakyReLU, gain: leakyGain},
	"prelu":      {kind: actPReLU, gain: leakyGain},
	// calculate_gain (torch 1.13) does not define elu or gelu: gain 1.
	"elu":     {kind: actELU, gain: constGain(1)},
	"selu":    {kind: actSELU, gain: constGain(0.75)},
	"gelu":    {kind: actGELU, gain: constGain(1)},
	"tanh":    {kind: actTanh, gain: constGain(5.0 / 3)},
	"sigmoid": {kind: actSigmoid, gain: constGain(1)},
}

// Activation is an elementwise nonlinearity y = f(x), optionally with
// learned parameters (prelu). Its derivative is computed from the cached
// input and output.
type Activation struct {
	name string
	kind actKind
	opt  ActivationOptions // as given, for Describe
	// slope is leaky_relu's negative slope; alpha is elu's alpha.
	slope, alpha float32
	// tanhApprox selects gelu's tanh approximation.
	tanhApprox bool
	// Weight holds prelu's slopes, (1,) or (Channels,); nil otherwise.
	Weight *Param

	x, y, dx *tensor.Tensor
	dy       []float32 // upstream gradient of the Backward in progress (parallel relu)
}

// reluForward and reluBackward run one chunk of a large relu pass.
type (
	reluForward  Activation
	reluBackward Activation
)

// Run computes y = max(x, 0) on chunk i.
func (f *reluForward) Run(_, i int) {
	a := (*Activation)(f)
	lo, hi := i*elemChunk, min((i+1)*elemChunk, len(a.x.Data))
	tensor.ReLU(a.y.Data[lo:hi], a.x.Data[lo:hi])
}

// Run computes dx = dy where x > 0, else 0, on chunk i.
func (f *reluBackward) Run(_, i int) {
	a := (*Activation)(f)
	lo, hi := i*elemChunk, min((i+1)*elemChunk, len(a.x.Data))
	tensor.ReLUGrad(a.dx.Data[lo:hi], a.dy[lo:hi], a.x.Data[lo:hi])
}

// ActivationNames lists the registered activation names, sorted.
func ActivationNames() []string { return slices.Sorted(maps.Keys(activations)) }

// IsActivation reports whether name is a registered activation.
func IsActivation(name string) bool { _, ok := activations[name]; return ok }

// NewActivation returns the named activation layer (an *Activation) with the
// given settings, or an error listing the known names or saying which
// setting is wrong.
func NewActivation(name string, opt ActivationOptions) (Layer, error) {
	s, ok := activations[name]
	if !ok {
		return nil, fmt.Errorf("unknown activation %q; known: %s", name, strings.Join(ActivationNames(), ", "))
	}
	if opt.Slope != 0 && s.kind != actLeakyReLU {
		return nil, fmt.Errorf("%s: slope applies only to leaky_relu", name)
	}
	if opt.Alpha != 0 && s.kind != actELU {
		return nil, fmt.Errorf("%s: alpha applies only to elu", name)
	}
	if opt.Approximate != "" && s.kind != actGELU {
		return nil, fmt.Errorf("%s: approximate applies only to gelu", name)
	}
	if opt.Channels != 0 && s.kind != actPReLU {
		return nil, fmt.Errorf("%s: channels applies only to prelu", name)
	}
	a := &Activation{name: name, kind: s.kind, opt: opt}
	switch s.kind {
	case actLeakyReLU:
		a.slope = DefaultLeakySlope
		if opt.Slope != 0 {
			a.slope = float32(opt.Slope)
		}
	case actELU:
		a.alpha = DefaultELUAlpha
		if opt.Alpha != 0 {
			a.alpha = float32(opt.Alpha)
		}
	case actGELU:
		switch opt.Approximate {
		case "", "none":
		case "tanh":
			a.tanhApprox = true
		default:
			return nil, fmt.Errorf("gelu: approximate must be none or tanh, got %q", opt.Approximate)
		}
	case actPReLU:
		if opt.Channels < 0 {
			return nil, fmt.Errorf("prelu: channels must be >= 0 (0 for one shared slope), got %d", opt.Channels)
		}
		n := max(opt.Channels, 1)
		a.Weight = &Param{Name: "weight", Value: tensor.New(n), Grad: tensor.New(n)}
		for i := range a.Weight.Value.Data {
			a.Weight.Value.Data[i] = PReLUInit
		}
	}
	return a, nil
}

// Gain returns the recommended initialization gain for a nonlinearity, as
// torch.nn.init.calculate_gain: relu √2, leaky_relu √(2/(1+slope²)), tanh
// 5/3, selu 3/4, and 1 for sigmoid, elu, gelu, "linear", "" and any other
// name. slope is leaky_relu's negative slope (0 → 0.01); prelu uses the
// leaky_relu formula with its initial slope 0.25 (or slope, if non-zero).
func Gain(name string, slope float64) float64 {
	s, ok := activations[name]
	if !ok {
		return 1
	}
	if slope == 0 {
		switch s.kind {
		case actLeakyReLU:
			slope = DefaultLeakySlope
		case actPReLU:
			slope = PReLUInit
		}
	}
	return s.gain(slope)
}

// Gain returns the recommended initialization gain for the layer before
// this activation, taking its settings into account (see the function
// Gain).
func (a *Activation) Gain() float64 { return Gain(a.name, float64(a.slope)) }

// preluLayout returns the number of slopes and the length of the run of
// consecutive elements sharing a channel, for input shape (N, C, ...).
func (a *Activation) preluLayout(shape []int) (channels, inner int) {
	channels = a.Weight.Value.Len()
	if channels == 1 {
		return 1, 0
	}
	if len(shape) < 2 || shape[1] != channels {
		panic(fmt.Sprintf("nn: prelu with %d channels got input %v", channels, shape))
	}
	return channels, tensor.Numel(shape[2:])
}

// Forward applies f elementwise; x has any shape ((N, C, ...) for a
// per-channel prelu).
func (a *Activation) Forward(c *Context, x *tensor.Tensor) *tensor.Tensor {
	a.x = x
	a.y = tensor.Ensure(a.y, x.Shape...)
	y, xs := a.y.Data, x.Data
	if a.kind == actReLU && len(xs) >= 2*elemChunk {
		c.Pool.ParallelFor(elemChunks(len(xs)), (*reluForward)(a))
		return a.y
	}
	switch a.kind {
	case actReLU:
		tensor.ReLU(y, xs)
	case actLeakyReLU:
		s := a.slope
		for i, v := range xs {
			if v > 0 {
				y[i] = v
			} else {
				y[i] = s * v
			}
		}
	case actPReLU:
		w := a.Weight.Value.Data
		channels, inner := a.preluLayout(x.Shape)
		if channels == 1 {
			inner = len(xs)
		}
		for off := 0; off < len(xs); off += inner {
			s := w[(off/inner)%channels]
			for i, v := range xs[off : off+inner] {
				if v > 0 {
					y[off+i] = v
				} else {
					y[off+i] = s * v
				}
			}
		}
	case actELU:
		alpha := float64(a.alpha)
		for i, v := range xs {
			if v > 0 {
				y[i] = v
			} else {
				y[i] = float32(alpha * math.Expm1(float64(v)))
			}
		}
	case actSELU:
		for i, v := range xs {
			if v > 0 {
				y[i] = float32(SELUScale * float64(v))
			} else {
				y[i] = float32(SELUScale * SELUAlpha * math.Expm1(float64(v)))
			}
		}
	case actGELU:
		if a.tanhApprox {
			for i, v := range xs {
				z := float64(v)
				y[i] = float32(0.5 * z * (1 + math.Tanh(geluC*(z+geluK*z*z*z))))
			}
		} else {
			for i, v := range xs {
				z := float64(v)
				y[i] = float32(0.5 * z * (1 + math.Erf(z/math.Sqrt2)))
			}
		}
	case actTanh:
		for i, v := range xs {
			y[i] = float32(math.Tanh(float64(v)))
		}
	case actSigmoid:
		for i, v := range xs {
			y[i] = float32(1 / (1 + math.Exp(-float64(v))))
		}
	}
	return a.y
}

// GELU's tanh approximation: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).
const (
	geluC = 0.7978845608028654 // √(2/π)
	geluK = 0.044715
)

// invSqrt2Pi is 1/√(2π), the standard normal density's factor.
const invSqrt2Pi = 0.3989422804014327

// Backward returns dx = dy ⊙ f'(x); prelu also accumulates the gradient of
// its slopes, Σ dy·x over the elements with x ≤ 0.
func (a *Activation) Backward(c *Context, dy *tensor.Tensor) *tensor.Tensor {
	a.dx = tensor.Ensure(a.dx, dy.Shape...)
	dx, x, y, g := a.dx.Data, a.x.Data, a.y.Data, dy.Data
	if a.kind == actReLU && len(x) >= 2*elemChunk {
		a.dy = g
		c.Pool.ParallelFor(elemChunks(len(x)), (*reluBackward)(a))
		return a.dx
	}
	switch a.kind {
	case actReLU:
		tensor.ReLUGrad(dx, g, x)
	case actLeakyReLU:
		s := a.slope
		for i, v := range x {
			if v > 0 {
				dx[i] = g[i]
			} else {
				dx[i] = s * g[i]
			}
		}
	case actPReLU:
		w, dw := a.Weight.Value.Data, a.Weight.Grad.Data
		channels, inner := a.preluLayout(a.x.Shape)
		if channels == 1 {
			inner = len(x)
		}
		for off := 0; off < len(x); off += inner {
			c := (off / inner) % channels
			s := w[c]
			var acc float64
			for i, v := range x[off : off+inner] {
				if v > 0 {
					dx[off+i] = g[off+i]
				} else {
					dx[off+i] = s * g[off+i]
					acc += float64(g[off+i]) * float64(v)
				}
			}
			dw[c] += float32(acc)
		}
	case actELU:
		// For x ≤ 0, f'(x) = α·eˣ = f(x) + α.
		alpha := a.alpha
		for i, v := range x {
			if v > 0 {
				dx[i] = g[i]
			} else {
				dx[i] = g[i] * (y[i] + alpha)
			}
		}
	case actSELU:
		for i, v := range x {
			if v > 0 {
				dx[i] = g[i] * SELUScale
			} else {
				dx[i] = float32(float64(g[i]) * SELUScale * SELUAlpha * math.Exp(float64(v)))
			}
		}
	case actGELU:
		if a.tanhApprox {
			for i, v := range x {
				z := float64(v)
				t := math.Tanh(geluC * (z + geluK*z*z*z))
				d := 0.5*(1+t) + 0.5*z*(1-t*t)*geluC*(1+3*geluK*z*z)
				dx[i] = float32(float64(g[i]) * d)
			}
		} else {
			// f'(x) = Φ(x) + x·φ(x).
			for i, v := range x {
				z := float64(v)
				d := 0.5*(1+math.Erf(z/math.Sqrt2)) + z*invSqrt2Pi*math.Exp(-0.5*z*z)
				dx[i] = float32(float64(g[i]) * d)
			}
		}
	case actTanh:
		for i, v := range y {
			dx[i] = g[i] * (1 - v*v)
		}
	case actSigmoid:
		for i, v := range y {
			dx[i] = g[i] * v * (1 - v)
		}
	}
	return a.dx
}

// Params returns prelu's slopes, and nil for the other activations.
func (a *Activation) Params() []*Param {
	if a.Weight == nil {
		return nil
	}
	return []*Param{a.Weight}
}

// OutShape is the identity; a per-channel prelu requires Channels as the
// first per-example dimension.
func (a *Activation) OutShape(in []int) ([]int, error) {
	if a.Weight != nil && a.opt.Channels > 0 {
		if len(in) == 0 || in[0] != a.opt.Channels {
			return nil, fmt.Errorf("expects %d channels (first per-example dimension), got shape %v", a.opt.Channels, in)
		}
	}
	return slices.Clone(in), nil
}

// Describe returns the activation's name with its settings: "relu",
// "leaky_relu(slope=0.2)", "prelu(channels=16)", "elu(alpha=1)",
// "gelu(tanh)".
func (a *Activation) Describe() string {
	switch a.kind {
	case actLeakyReLU:
		return fmt.Sprintf("%s(slope=%g)", a.name, a.slope)
	case actPReLU:
		if a.opt.Channels > 0 {
			return fmt.Sprintf("%s(channels=%d)", a.name, a.opt.Channels)
		}
		return a.name + "(shared)"
	case actELU:
		return fmt.Sprintf("%s(alpha=%g)", a.name, a.alpha)
	case actGELU:
		if a.tanhApprox {
			return a.name + "(tanh)"
		}
	}
	return a.name
}

// Name returns the registry name of the activation.
func (a *Activation) Name() string { return a.name }

// Settings returns the activation's effective settings: Slope for
// leaky_relu and Alpha for elu with their defaults filled in, Approximate
// "none" or "tanh" for gelu, and Channels for prelu (0: one shared slope);
// the fields that do not apply to the activation are zero. Exporters
// (pkg/export) read them to write the same function in another format.
func (a *Activation) Settings() ActivationOptions {
	var o ActivationOptions
	switch a.kind {
	case actLeakyReLU:
		o.Slope = float64(a.slope)
	case actELU:
		o.Alpha = float64(a.alpha)
	case actGELU:
		o.Approximate = "none"
		if a.tanhApprox {
			o.Approximate = "tanh"
		}
	case actPReLU:
		o.Channels = a.opt.Channels
	}
	return o
}
