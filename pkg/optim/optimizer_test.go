package optim

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

func ptr(v float64) *float64 { return &v }

func TestNewRejectsBadConfigs(t *testing.T) {
	w := param("fc.weight", true, 1, 2)
	b := param("fc.bias", false, 3)
	ps := []*nn.Param{w, b}
	cases := []struct {
		cfg  Config
		want string // a substring of the error: the field's name
	}{
		{Config{}, "type"},
		{Config{Type: "Adam"}, "type"},
		{Config{Type: "lbfgs"}, "type"},
		{Config{Type: "adam", Momentum: 0.9}, "momentum"},
		{Config{Type: "sgd", Beta1: 0.9}, "beta1"},
		{Config{Type: "sgd", Eps: 1e-8}, "eps"},
		{Config{Type: "adagrad", Alpha: 0.9}, "alpha"},
		{Config{Type: "adam", Centered: true}, "centered"},
		{Config{Type: "rmsprop", AMSGrad: true}, "amsgrad"},
		{Config{Type: "adamw", Nesterov: true}, "nesterov"},
		{Config{Type: "rmsprop", Dampening: 0.1}, "dampening"},
		{Config{Type: "sgd", LRDecay: 0.1}, "lr_decay"},
		{Config{Type: "adam", InitialAccumulator: 0.1}, "initial_accumulator"},
		{Config{Type: "sgd", Momentum: 1}, "momentum"},
		{Config{Type: "sgd", Momentum: -0.5}, "momentum"},
		{Config{Type: "sgd", Momentum: 0.9, Dampening: 1}, "dampening"},
		{Config{Type: "sgd", Nesterov: true}, "nesterov"},
		{Config{Type: "sgd", Momentum: 0.9, Dampening: 0.1, Nesterov: true}, "nesterov"},
		{Config{Type: "sgd", WeightDecay: -1e-4}, "weight_decay"},
		{Config{Type: "adamw", WeightDecay: math.NaN()}, "weight_decay"},
		{Config{Type: "adam", Beta1: 1}, "beta1"},
		{Config{Type: "adam", Beta2: -0.1}, "beta2"},
		{Config{Type: "adam", Beta2: math.Inf(1)}, "beta2"},
		{Config{Type: "adam", Eps: -1}, "eps"},
		{Config{Type: "rmsprop", Alpha: 1.5}, "alpha"},
		{Config{Type: "rmsprop", Momentum: 1}, "momentum"},
		{Config{Type: "rmsprop", Eps: -1e-8}, "eps"},
		{Config{Type: "adagrad", LRDecay: -1}, "lr_decay"},
		{Config{Type: "adagrad", InitialAccumulator: -1}, "initial_accumulator"},
		{Config{Type: "adagrad", Eps: -1}, "eps"},
		{Config{Type: "sgd", Groups: []Group{{Pattern: "["}}}, "groups[0].pattern"},
		{Config{Type: "sgd", Groups: []Group{{Pattern: ""}}}, "groups[0].pattern"},
		{Config{Type: "sgd", Groups: []Group{{Pattern: "*", LRScale: -1}}}, "groups[0].lr_scale"},
		{Config{Type: "sgd", Groups: []Group{{Pattern: "*", WeightDecay: ptr(-1)}}}, "groups[0].weight_decay"},
		{Config{Type: "sgd", Groups: []Group{{Pattern: "*.bias"}, {Pattern: "conv*"}}}, "groups[1].pattern"},
		{Config{Type: "sgd", Groups: []Group{{Pattern: "*"}, {Pattern: "fc.bias"}}}, "groups[1].pattern"},
	}
	for _, tc := range cases {
		_, err := New(tc.cfg, ps, nil)
		if err == nil {
			t.Errorf("%+v: want an error naming %s", tc.cfg, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %q does not name %s", tc.cfg, err, tc.want)
		}
	}
	if _, err := New(Config{Type: "sgd"}, []*nn.Param{w, param("fc.weight", true, 1)}, nil); err == nil || !strings.Contains(err.Error(), "fc.weight") {
		t.Errorf("repeated parameter name: error %v", err)
	}
	for _, typ := range Types {
		if _, err := New(Config{Type: typ}, ps, nil); err != nil {
			t.Errorf("%s with defaults: %v", typ, err)
		}
	}
}

// TestGroupsAndDefaultDecay checks the group resolution on SGD without
// momentum, where each update is θ ← θ − lr·scale·(g + wd·θ).
func TestGroupsAndDefaultDecay(t *testing.T) {
	mk := func() []*nn.Param {
		return []*nn.Param{
			param("fc1.weight", true, 1), param("fc1.bias", false, 1),
			param("fc2.weight", true, 1), param("fc2.bias", false, 1),
			param("bn.weight", false, 1),
		}
	}
	cases := []struct {
		name   string
		groups []Group
		want   []float64 // θ after one step with g = 0.5, lr = 0.1, θ = 1
	}{
		{"default: decay weights only", nil, []float64{
			1 - 0.1*(0.5+0.2), 1 - 0.1*0.5, 1 - 0.1*(0.5+0.2), 1 - 0.1*0.5, 1 - 0.1*0.5}},
		{"first match wins; nil decay keeps the default", []Group{
			{Pattern: "fc2.*", LRScale: 2},
			{Pattern: "*.bias", WeightDecay: ptr(0.4)},
			{Pattern: "*", LRScale: 0.5},
		}, []float64{
			1 - 0.05*(0.5+0.2), 1 - 0.1*(0.5+0.4), 1 - 0.2*(0.5+0.2), 1 - 0.2*0.5, 1 - 0.05*0.5}},
		{"explicit zero decay", []Group{{Pattern: "*", WeightDecay: ptr(0)}}, []float64{
			0.95, 0.95, 0.95, 0.95, 0.95}},
	}
	for _, tc := range cases {
		ps := mk()
		opt, err := New(Config{Type: "sgd", WeightDecay: 0.2, Groups: tc.groups}, ps, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for _, p := range ps {
			p.Grad.Data[0] = 0.5
		}
		opt.Step(0.1)
		for i, p := range ps {
			if got := float64(p.Value.Data[0]); math.Abs(got-tc.want[i]) > 1e-6 {
				t.Errorf("%s: %s = %v, want %v", tc.name, p.Name, got, tc.want[i])
			}
		}
	}
}

func TestStateNamesAndShapes(t *testing.T) {
	w := &nn.Param{Name: "fc1.weight", Value: tensor.New(2, 3), Grad: tensor.New(2, 3), Decay: true}
	b := param("fc1.bias", false, 0, 0)
	want := map[string][]string{
		"sgd":     {},
		"adam":    {"exp_avg", "exp_avg_sq", "step"},
		"adamw":   {"exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"},
		"rmsprop": {"grad_avg", "momentum_buffer", "square_avg", "step"},
		"adagrad": {"step", "sum"},
	}
	cfgs := map[string]Config{
		"sgd": {Type: "sgd"}, "adam": {Type: "adam"}, "adamw": {Type: "adamw", AMSGrad: true},
		"rmsprop": {Type: "rmsprop", Momentum: 0.9, Centered: true}, "adagrad": {Type: "adagrad", InitialAccumulator: 0.25},
	}
	for typ, keys := range want {
		opt, err := New(cfgs[typ], []*nn.Param{w, b}, nil)
		if err != nil {
			t.Fatal(err)
		}
		opt.Step(0.1)
		st := opt.State()
		var names []string
		for _, k := range keys {
			names = append(names, "fc1.bias."+k, "fc1.weight."+k)
		}
		var got []string
		for n := range st {
			got = append(got, n)
		}
		slices.Sort(names)
		slices.Sort(got)
		if !slices.Equal(got, names) {
			t.Errorf("%s: state %v, want %v", typ, got, names)
			continue
		}
		for n, v := range st {
			switch {
			case strings.HasSuffix(n, ".step"):
				if len(v.Shape) != 0 || v.Data[0] != 1 {
					t.Errorf("%s: %s = %v %v, want scalar 1", typ, n, v.Shape, v.Data)
				}
			case strings.HasPrefix(n, "fc1.weight."):
				if !v.SameShape([]int{2, 3}) {
					t.Errorf("%s: %s has shape %v", typ, n, v.Shape)
				}
			}
		}
	}
	// SGD with momentum keeps its buffer and a step count.
	s, _ := NewSGD([]*nn.Param{w}, SGDConfig{Momentum: 0.9}, nil)
	if st := s.State(); len(st) != 2 || st["fc1.weight.momentum_buffer"] == nil || st["fc1.weight.step"] == nil {
		t.Errorf("sgd momentum state %v", st)
	}
	// Adagrad's accumulator starts at the initial value.
	a, _ := New(Config{Type: "adagrad", InitialAccumulator: 0.25}, []*nn.Param{w}, nil)
	if v := a.State()["fc1.weight.sum"].Data; v[0] != 0.25 || v[5] != 0.25 {
		t.Errorf("adagrad initial sum %v", v)
	}
}

func TestLoadStateErrors(t *testing.T) {
	mk := func() (Optimizer, *nn.Param) {
		w := &nn.Param{Name: "fc.weight", Value: tensor.New(2, 2), Grad: tensor.New(2, 2), Decay: true}
		opt, err := New(Config{Type: "adam"}, []*nn.Param{w}, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.Grad.Data[0] = 1
		opt.Step(0.1)
		return opt, w
	}
	good, _ := mk()
	edit := func(f func(m map[string]*tensor.Tensor)) map[string]*tensor.Tensor {
		m := good.State()
		f(m)
		return m
	}
	cases := []struct {
		name  string
		state map[string]*tensor.Tensor
		want  string
	}{
		{"missing", edit(func(m map[string]*tensor.Tensor) { delete(m, "fc.weight.exp_avg_sq") }), `"fc.weight.exp_avg_sq" is missing`},
		{"missing step", edit(func(m map[string]*tensor.Tensor) { delete(m, "fc.weight.step") }), `"fc.weight.step" is missing`},
		{"mis-shaped", edit(func(m map[string]*tensor.Tensor) { m["fc.weight.exp_avg"] = tensor.New(4) }), `"fc.weight.exp_avg" has shape [4], want [2 2]`},
		{"step not scalar", edit(func(m map[string]*tensor.Tensor) { m["fc.weight.step"] = tensor.New(2) }), `"fc.weight.step" has shape [2]`},
		{"fractional step", edit(func(m map[string]*tensor.Tensor) { m["fc.weight.step"].Data[0] = 1.5 }), `"fc.weight.step" holds 1.5`},
		{"negative step", edit(func(m map[string]*tensor.Tensor) { m["fc.weight.step"].Data[0] = -1 }), `"fc.weight.step" holds -1`},
		{"unexpected", edit(func(m map[string]*tensor.Tensor) { m["fc.weight.momentum_buffer"] = tensor.New(2, 2) }), `unexpected state tensor "fc.weight.momentum_buffer"`},
	}
	for _, tc := range cases {
		opt, w := mk()
		before := opt.State()
		wBefore := slices.Clone(w.Value.Data)
		err := opt.LoadState(tc.state)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %s", tc.name, err, tc.want)
		}
		after := opt.State()
		for n, v := range before {
			if !slices.Equal(after[n].Data, v.Data) {
				t.Errorf("%s: a failed load changed %s", tc.name, n)
			}
		}
		if !slices.Equal(w.Value.Data, wBefore) {
			t.Errorf("%s: a failed load changed the parameter", tc.name)
		}
	}
	// A step stored as a 1-element vector loads too, and State copies.
	opt, _ := mk()
	st := good.State()
	st["fc.weight.step"] = tensor.FromData([]float32{7}, 1)
	if err := opt.LoadState(st); err != nil {
		t.Fatal(err)
	}
	st["fc.weight.exp_avg"].Data[0] = 42
	if got := opt.State(); got["fc.weight.step"].Data[0] != 7 || got["fc.weight.exp_avg"].Data[0] == 42 {
		t.Errorf("loaded state %v (must be copied in)", got)
	}
	// SGD without momentum has no state, and refuses foreign state.
	sgd, _ := NewSGD([]*nn.Param{param("w", true, 1)}, SGDConfig{}, nil)
	if err := sgd.LoadState(map[string]*tensor.Tensor{}); err != nil {
		t.Errorf("empty sgd state: %v", err)
	}
	if err := sgd.LoadState(good.State()); err == nil {
		t.Error("sgd accepted adam state")
	}
}

func TestClipGradNorm(t *testing.T) {
	mk := func() []*nn.Param {
		a := param("a", true, 0, 0)
		b := param("b", false, 0)
		copy(a.Grad.Data, []float32{3, -4})
		b.Grad.Data[0] = 12
		return []*nn.Param{a, b}
	}
	ps := mk()
	if n := GradNorm(ps); n != 13 {
		t.Fatalf("GradNorm = %v, want 13", n)
	}
	// Below the limit: unchanged.
	if n := ClipGradNorm(ps, 20); n != 13 || ps[0].Grad.Data[0] != 3 || ps[1].Grad.Data[0] != 12 {
		t.Fatalf("ClipGradNorm(20) = %v, grads %v %v", n, ps[0].Grad.Data, ps[1].Grad.Data)
	}
	// Above: every gradient scaled by 6.5/(13 + 1e-6), the global norm
	// becoming 6.5 (a hair less).
	n := ClipGradNorm(ps, 6.5)
	if n != 13 {
		t.Fatalf("ClipGradNorm returned %v, want the norm before clipping, 13", n)
	}
	c := 6.5 / (13 + 1e-6)
	want := []float64{3 * c, -4 * c, 12 * c}
	got := []float32{ps[0].Grad.Data[0], ps[0].Grad.Data[1], ps[1].Grad.Data[0]}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-6 {
			t.Fatalf("clipped grads %v, want %v", got, want)
		}
	}
	if after := GradNorm(ps); math.Abs(after-6.5) > 1e-5 || after > 6.5 {
		t.Fatalf("norm after clipping %v, want 6.5", after)
	}
	// A non-finite norm is returned and the gradients are left alone.
	ps = mk()
	ps[1].Grad.Data[0] = float32(math.Inf(1))
	if n := ClipGradNorm(ps, 1); !math.IsInf(n, 1) || ps[0].Grad.Data[0] != 3 {
		t.Fatalf("inf norm: %v, grads %v", n, ps[0].Grad.Data)
	}
	for _, bad := range []float64{0, -1, math.NaN()} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("ClipGradNorm(%v) did not panic", bad)
				}
			}()
			ClipGradNorm(mk(), bad)
		}()
	}
}

func TestClipGradValue(t *testing.T) {
	a := param("a", true, 0, 0, 0, 0, 0)
	copy(a.Grad.Data, []float32{3, -4, 0.5, -2.5, float32(math.NaN())})
	ClipGradValue([]*nn.Param{a}, 2.5)
	want := []float32{2.5, -2.5, 0.5, -2.5}
	if !slices.Equal(a.Grad.Data[:4], want) || !math.IsNaN(float64(a.Grad.Data[4])) {
		t.Fatalf("clipped %v, want %v NaN", a.Grad.Data, want)
	}
	defer func() {
		if recover() == nil {
			t.Error("negative clip did not panic")
		}
	}()
	ClipGradValue([]*nn.Param{a}, -1)
}

// TestSGDDampening checks dampening on a hand-computed sequence: the first
// step takes the gradient undamped, as PyTorch.
func TestSGDDampening(t *testing.T) {
	p := param("w", true, 1)
	opt, err := New(Config{Type: "sgd", Momentum: 0.5, Dampening: 0.5}, []*nn.Param{p}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := 1.0
	buf := 0.0
	for i, g := range []float64{1, 2, -1} {
		p.Grad.Data[0] = float32(g)
		opt.Step(0.1)
		if i == 0 {
			buf = g
		} else {
			buf = 0.5*buf + 0.5*g
		}
		w -= 0.1 * buf
		if math.Abs(float64(p.Value.Data[0])-w) > 1e-6 {
			t.Fatalf("step %d: w = %v, want %v", i+1, p.Value.Data[0], w)
		}
	}
}

// TestOptimizerInterface keeps SGD an Optimizer.
func TestOptimizerInterface(t *testing.T) {
	var _ Optimizer = (*SGD)(nil)
	var _ Optimizer = (*Adam)(nil)
	var _ Optimizer = (*RMSProp)(nil)
	var _ Optimizer = (*Adagrad)(nil)
}
