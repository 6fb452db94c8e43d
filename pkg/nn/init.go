package nn

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// DefaultUniformA is the half-width a of the "uniform" init, U(−a, a), used
// when InitOptions.A is 0.
const DefaultUniformA = 0.05

// Kaiming fan modes (InitOptions.Mode).
const (
	ModeFanIn  = "fan_in"
	ModeFanOut = "fan_out"
)

// InitOptions parameterize an initializer.
type InitOptions struct {
	// FanIn and FanOut are the weight's input and output sizes
	// (in, out for a Linear weight of shape (out, in)); see Fans.
	FanIn, FanOut int
	// Gain scales Kaiming inits: the gain of the nonlinearity that follows
	// the layer (see Gain); 0 means 1. Xavier and LeCun inits ignore it.
	Gain float64
	// Std is the standard deviation of the "normal" init.
	Std float64
	// Value is the fill value of the "constant" init.
	Value float64
	// A is the half-width of the "uniform" init, U(−A, A) (symmetric, unlike
	// torch.nn.init.uniform_'s U(0, 1) default); 0 means DefaultUniformA.
	A float64
	// Mode selects the fan of the Kaiming inits: "fan_in" (the default when
	// empty) preserves the forward variance, "fan_out" the backward one.
	Mode string
}

// initializer fills w according to o, drawing from r.
type initializer func(w []float32, o InitOptions, r *rand.Rand)

func fillNormal(w []float32, std float64, r *rand.Rand) {
	for i := range w {
		w[i] = float32(r.NormFloat64() * std)
	}
}

func fillUniform(w []float32, bound float64, r *rand.Rand) {
	for i := range w {
		w[i] = float32((2*r.Float64() - 1) * bound)
	}
}

func fillConst(w []float32, v float64) {
	f := float32(v)
	for i := range w {
		w[i] = f
	}
}

// kaimingFan is the fan selected by o.Mode (as torch's _calculate_correct_fan).
func kaimingFan(o InitOptions) int {
	if o.Mode == ModeFanOut {
		return o.FanOut
	}
	return o.FanIn
}

// fanNeed says which fans an initializer divides by.
type fanNeed int

const (
	needNone    fanNeed = iota
	needFanIn           // lecun
	needSum             // xavier: fan_in + fan_out
	needKaiming         // the fan chosen by Mode
)

type initSpec struct {
	fill initializer
	fans fanNeed
}

// initializers is the registry of weight initializers. Formulas follow
// torch.nn.init.
var initializers = map[string]initSpec{
	"zeros": {fill: func(w []float32, _ InitOptions, _ *rand.Rand) { clear(w) }},
	"ones":  {fill: func(w []float32, _ InitOptions, _ *rand.Rand) { fillConst(w, 1) }},
	"constant": {fill: func(w []float32, o InitOptions, _ *rand.Rand) {
		fillConst(w, o.Value)
	}},
	"normal": {fill: func(w []float32, o InitOptions, r *rand.Rand) { fillNormal(w, o.Std, r) }},
	// U(−a, a); a defaults to DefaultUniformA.
	"uniform": {fill: func(w []float32, o InitOptions, r *rand.Rand) {
		a := o.A
		if a == 0 {
			a = DefaultUniformA
		}
		fillUniform(w, a, r)
	}},
	// Glorot & Bengio (2010): Var(w) = 2/(fan_in+fan_out), gain 1.
	"xavier_normal": {fans: needSum, fill: func(w []float32, o InitOptions, r *rand.Rand) {
		fillNormal(w, math.Sqrt(2/float64(o.FanIn+o.FanOut)), r)
	}},
	"xavier_uniform": {fans: needSum, fill: func(w []float32, o InitOptions, r *rand.Rand) {
		fillUniform(w, math.Sqrt(6/float64(o.FanIn+o.FanOut)), r)
	}},
	// He et al. (2015): Var(w) = gain²/fan, fan chosen by Mode.
	"kaiming_normal": {fans: needKaiming, fill: func(w []float32, o InitOptions, r *rand.Rand) {
		fillNormal(w, o.Gain/math.Sqrt(float64(kaimingFan(o))), r)
	}},
	"kaiming_uniform": {fans: needKaiming, fill: func(w []float32, o InitOptions, r *rand.Rand) {
		fillUniform(w, o.Gain*math.Sqrt(3/float64(kaimingFan(o))), r)
	}},
	// LeCun et al. (1998): Var(w) = 1/fan_in, the init SELU needs; equals
	// torch's kaiming_*_(mode="fan_in", nonlinearity="linear"). Plain
	// (untruncated) normal; Gain and Mode are ignored.
	"lecun_normal": {fans: needFanIn, fill: func(w []float32, o InitOptions, r *rand.Rand) {
		fillNormal(w, 1/math.Sqrt(float64(o.FanIn)), r)
	}},
	"lecun_uniform": {fans: needFanIn, fill: func(w []float32, o InitOptions, r *rand.Rand) {
		fillUniform(w, math.Sqrt(3/float64(o.FanIn)), r)
	}},
}

// InitNames lists the registered initializer names, sorted.
func InitNames() []string { return slices.Sorted(maps.Keys(initializers)) }

// CheckInit returns an error listing the known names if name is not a
// registered initializer.
func CheckInit(name string) error {
	if _, ok := initializers[name]; !ok {
		return fmt.Errorf("unknown init %q; known: %s", name, strings.Join(InitNames(), ", "))
	}
	return nil
}

// Validate returns an error if name is not a registered initializer or o is
// unusable for it: Mode other than "", "fan_in" or "fan_out"; a non-finite
// Gain, Std, Value or A; a negative Gain, Std, A, FanIn or FanOut; or a zero
// fan that the initializer divides by.
func (o InitOptions) Validate(name string) error {
	if err := CheckInit(name); err != nil {
		return err
	}
	if o.Mode != "" && o.Mode != ModeFanIn && o.Mode != ModeFanOut {
		return fmt.Errorf("init %s: unknown mode %q; allowed: %s, %s", name, o.Mode, ModeFanIn, ModeFanOut)
	}
	for _, f := range []struct {
		field string
		v     float64
		neg   bool // negative allowed
	}{{"gain", o.Gain, false}, {"std", o.Std, false}, {"a", o.A, false}, {"value", o.Value, true}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("init %s: %s must be finite, got %g", name, f.field, f.v)
		}
		if !f.neg && f.v < 0 {
			return fmt.Errorf("init %s: %s must be >= 0, got %g", name, f.field, f.v)
		}
	}
	if o.FanIn < 0 || o.FanOut < 0 {
		return fmt.Errorf("init %s: fans must be >= 0, got fan_in %d fan_out %d", name, o.FanIn, o.FanOut)
	}
	switch initializers[name].fans {
	case needSum:
		if o.FanIn+o.FanOut == 0 {
			return fmt.Errorf("init %s: fan_in + fan_out must be > 0", name)
		}
	case needFanIn:
		if o.FanIn == 0 {
			return fmt.Errorf("init %s: fan_in must be > 0", name)
		}
	case needKaiming:
		if kaimingFan(o) == 0 {
			if o.Mode == ModeFanOut {
				return fmt.Errorf("init %s: fan_out must be > 0 with mode fan_out", name)
			}
			return fmt.Errorf("init %s: fan_in must be > 0 with mode fan_in", name)
		}
	}
	return nil
}

// Init fills w with the named initializer, after checking o with Validate.
// A zero Gain means 1.
func Init(name string, w []float32, o InitOptions, r *rand.Rand) error {
	if err := o.Validate(name); err != nil {
		return err
	}
	if o.Gain == 0 {
		o.Gain = 1
	}
	initializers[name].fill(w, o, r)
	return nil
}

// Fans returns the fan-in and fan-out of a weight of the given shape, as
// torch.nn.init._calculate_fan_in_and_fan_out: for (out, in, k1, k2, ...),
// fan_in = in·∏k and fan_out = out·∏k (a Linear weight (out, in) has
// fan_in = in, fan_out = out). It panics for fewer than 2 dimensions.
func Fans(shape []int) (fanIn, fanOut int) {
	if len(shape) < 2 {
		panic(fmt.Sprintf("nn.Fans: fan in and fan out need a shape of at least 2 dimensions, got %v", shape))
	}
	rf := 1
	for _, k := range shape[2:] {
		rf *= k
	}
	return shape[1] * rf, shape[0] * rf
}
