package nn

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// InitOptions parameterize an initializer.
type InitOptions struct {
	// FanIn and FanOut are the weight's input and output sizes
	// (in, out for a Linear weight of shape (out, in)).
	FanIn, FanOut int
	// Gain scales Kaiming inits: the gain of the nonlinearity that follows
	// the layer (see Gain); 1 for a layer with none.
	Gain float64
	// Std is the standard deviation of the "normal" init.
	Std float64
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

// initializers is the registry of weight initializers. Formulas follow
// torch.nn.init.
var initializers = map[string]initializer{
	"zeros":  func(w []float32, _ InitOptions, _ *rand.Rand) { clear(w) },
	"normal": func(w []float32, o InitOptions, r *rand.Rand) { fillNormal(w, o.Std, r) },
	// Glorot & Bengio (2010): Var(w) = 2/(fan_in+fan_out).
	"xavier_normal": func(w []float32, o InitOptions, r *rand.Rand) {
		fillNormal(w, math.Sqrt(2/float64(o.FanIn+o.FanOut)), r)
	},
	"xavier_uniform": func(w []float32, o InitOptions, r *rand.Rand) {
		fillUniform(w, math.Sqrt(6/float64(o.FanIn+o.FanOut)), r)
	},
	// He et al. (2015), fan_in mode: Var(w) = gain²/fan_in.
	"kaiming_normal": func(w []float32, o InitOptions, r *rand.Rand) {
		fillNormal(w, o.Gain/math.Sqrt(float64(o.FanIn)), r)
	},
	"kaiming_uniform": func(w []float32, o InitOptions, r *rand.Rand) {
		fillUniform(w, o.Gain*math.Sqrt(3/float64(o.FanIn)), r)
	},
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

// Init fills w with the named initializer.
func Init(name string, w []float32, o InitOptions, r *rand.Rand) error {
	if err := CheckInit(name); err != nil {
		return err
	}
	if o.Gain == 0 {
		o.Gain = 1
	}
	initializers[name](w, o, r)
	return nil
}
