package nntest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// Options tune a gradient check. Zero values take the defaults.
type Options struct {
	// Eps is the finite-difference step (default 1e-2; float32 round-off
	// makes smaller steps noisier, not more exact).
	Eps float64
	// RelTol and AbsTol bound |analytic − numeric| ≤ AbsTol + RelTol·|numeric|
	// for each entry (defaults 2e-2 and 2e-3): loose, because one entry's
	// central difference in float32 can be off by a few percent.
	RelTol, AbsTol float64
	// NormTol bounds the whole tensor: ‖analytic − numeric‖ ≤ NormTol ·
	// ‖numeric‖ over the compared entries (L2 norms; default 1e-3). The
	// per-entry errors are noise that largely cancels in the norm, while a
	// systematic error (a gradient scaled by 1.01, a term missing from
	// some entries) does not: this is the bound that catches it.
	NormTol float64
	// Context is passed to Forward and Backward (default: training mode).
	Context *nn.Context
	// Seed drives the random upstream gradient.
	Seed uint64
	// Kinked, if set, is called after the two evaluations of each central
	// difference and reports whether either crossed a point where the layer
	// is not differentiable (a relu's input changing sign); such entries
	// are skipped, since the difference quotient is not a derivative there.
	// Tests provide it by wrapping the kinked sublayers so that they compare
	// each Forward with the unperturbed one.
	Kinked func() bool
}

func (o *Options) defaults() {
	if o.Eps == 0 {
		o.Eps = 1e-2
	}
	if o.RelTol == 0 {
		o.RelTol = 2e-2
	}
	if o.AbsTol == 0 {
		o.AbsTol = 2e-3
	}
	if o.NormTol == 0 {
		o.NormTol = 1e-3
	}
	if o.Context == nil {
		o.Context = &nn.Context{Train: true}
	}
}

// RandomInput returns a tensor of the given shape with entries drawn from
// ±U(0.2, 1.2): away from 0, so kinks such as ReLU's are not straddled by a
// finite-difference step.
func RandomInput(seed uint64, shape ...int) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 7))
	x := tensor.New(shape...)
	for i := range x.Data {
		v := 0.2 + r.Float32()
		if r.IntN(2) == 0 {
			v = -v
		}
		x.Data[i] = v
	}
	return x
}

// CheckLayer verifies layer.Backward against central finite differences of
// the scalar L = Σ g ⊙ layer.Forward(x), with g a fixed random upstream
// gradient: dL/dx must equal the returned dx, and dL/dθ the accumulated
// gradient of every parameter θ. The layer's parameters must already hold
// the values to check at.
func CheckLayer(t testing.TB, layer nn.Layer, x *tensor.Tensor, o Options) {
	t.Helper()
	o.defaults()
	y := layer.Forward(o.Context, x)
	r := rand.New(rand.NewPCG(o.Seed, 11))
	g := tensor.New(y.Shape...)
	for i := range g.Data {
		g.Data[i] = float32(r.NormFloat64())
	}
	loss := func() float64 {
		out := layer.Forward(o.Context, x)
		var s float64
		for i, v := range out.Data {
			s += float64(v) * float64(g.Data[i])
		}
		return s
	}
	params := layer.Params()
	nn.ZeroGrad(params)
	layer.Forward(o.Context, x)
	dx := layer.Backward(o.Context, g).Clone()
	grads := make([]*tensor.Tensor, len(params))
	for i, p := range params {
		grads[i] = p.Grad.Clone()
	}
	compare(t, "input", x.Data, dx.Data, loss, o)
	for i, p := range params {
		compare(t, p.Name, p.Value.Data, grads[i].Data, loss, o)
	}
}

// CheckFunc verifies an analytic gradient of a scalar function of v: grad
// must equal dL/dv by central differences, where loss recomputes L from the
// current contents of v.
func CheckFunc(t testing.TB, name string, v, grad []float32, loss func() float64, o Options) {
	t.Helper()
	o.defaults()
	compare(t, name, v, grad, loss, o)
}

func compare(t testing.TB, name string, v, analytic []float32, loss func() float64, o Options) {
	t.Helper()
	bad, skipped := 0, 0
	var diff2, num2 float64 // squared norms of analytic − numeric and of numeric
	for i := range v {
		orig := v[i]
		v[i] = orig + float32(o.Eps)
		up := loss()
		v[i] = orig - float32(o.Eps)
		down := loss()
		v[i] = orig
		if o.Kinked != nil && o.Kinked() {
			skipped++
			continue
		}
		// Divide by the step actually taken in float32.
		h := float64(orig+float32(o.Eps)) - float64(orig-float32(o.Eps))
		numeric := (up - down) / h
		a := float64(analytic[i])
		diff2 += (a - numeric) * (a - numeric)
		num2 += numeric * numeric
		if math.IsNaN(a) || math.Abs(a-numeric) > o.AbsTol+o.RelTol*math.Abs(numeric) {
			if bad < 5 {
				t.Errorf("%s[%d]: analytic gradient %.6g, numeric %.6g", name, i, a, numeric)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d gradient entries disagree", name, bad, len(v))
	}
	if d, n := math.Sqrt(diff2), math.Sqrt(num2); !(d <= o.NormTol*n+o.AbsTol*1e-3) {
		t.Errorf("%s: ‖analytic − numeric‖ = %.3g is %.3g of ‖numeric‖ = %.3g (bound %g)", name, d, d/n, n, o.NormTol)
	}
	if skipped > 0 {
		t.Logf("%s: %d of %d gradient entries skipped at kinks", name, skipped, len(v))
	}
}
