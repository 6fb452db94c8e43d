package nn_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/nn/nntest"
	"github.com/nettrain/nettrain/pkg/tensor"
)

func newAct(t *testing.T, name string, opt nn.ActivationOptions) *nn.Activation {
	t.Helper()
	l, err := nn.NewActivation(name, opt)
	if err != nil {
		t.Fatal(err)
	}
	return l.(*nn.Activation)
}

// randomBatchNorm returns a batch norm with random γ, β and running
// statistics, so checks do not pass by symmetry.
func randomBatchNorm(channels int, seed uint64) *nn.BatchNorm {
	b := nn.NewBatchNorm(channels, 0, 0)
	r := rand.New(rand.NewPCG(seed, 5))
	for i := 0; i < channels; i++ {
		b.Weight.Value.Data[i] = float32(0.5 + r.Float64())
		b.Bias.Value.Data[i] = float32(r.NormFloat64() * 0.5)
		b.RunningMean.Value.Data[i] = float32(r.NormFloat64() * 0.3)
		b.RunningVar.Value.Data[i] = float32(0.5 + r.Float64())
	}
	return b
}

func TestNewLayerGradients(t *testing.T) {
	prelu3 := newAct(t, "prelu", nn.ActivationOptions{Channels: 3})
	copy(prelu3.Weight.Value.Data, []float32{0.25, -0.1, 0.6})
	train := &nn.Context{Train: true, Seed: 1, Step: 2}
	eval := &nn.Context{Train: false}
	cases := []struct {
		name  string
		layer nn.Layer
		in    []int
		ctx   *nn.Context
	}{
		{"relu", newAct(t, "relu", nn.ActivationOptions{}), []int{4, 7}, nil},
		{"tanh", newAct(t, "tanh", nn.ActivationOptions{}), []int{4, 7}, nil},
		{"sigmoid", newAct(t, "sigmoid", nn.ActivationOptions{}), []int{4, 7}, nil},
		{"leaky_relu_default", newAct(t, "leaky_relu", nn.ActivationOptions{}), []int{4, 7}, nil},
		{"leaky_relu_0.2", newAct(t, "leaky_relu", nn.ActivationOptions{Slope: 0.2}), []int{4, 7}, nil},
		{"prelu_shared", newAct(t, "prelu", nn.ActivationOptions{}), []int{2, 3, 2, 2}, nil},
		{"prelu_per_channel", prelu3, []int{2, 3, 2, 2}, nil},
		{"elu_1", newAct(t, "elu", nn.ActivationOptions{}), []int{4, 7}, nil},
		{"elu_0.5", newAct(t, "elu", nn.ActivationOptions{Alpha: 0.5}), []int{4, 7}, nil},
		{"selu", newAct(t, "selu", nn.ActivationOptions{}), []int{4, 7}, nil},
		{"gelu_erf", newAct(t, "gelu", nn.ActivationOptions{}), []int{4, 7}, nil},
		{"gelu_tanh", newAct(t, "gelu", nn.ActivationOptions{Approximate: "tanh"}), []int{4, 7}, nil},
		{"batchnorm1d_train", randomBatchNorm(4, 1), []int{6, 4}, train},
		{"batchnorm2d_train", randomBatchNorm(3, 2), []int{4, 3, 2, 3}, train},
		{"batchnorm1d_eval", randomBatchNorm(4, 3), []int{6, 4}, eval},
		{"batchnorm2d_eval", randomBatchNorm(3, 4), []int{4, 3, 2, 3}, eval},
		{"dropout_train", nn.NewDropout(0.4, 7), []int{5, 8}, train},
		{"dropout_eval", nn.NewDropout(0.4, 7), []int{5, 8}, eval},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nntest.CheckLayer(t, tc.layer, nntest.RandomInput(9, tc.in...), nntest.Options{Seed: 1, Context: tc.ctx})
		})
	}
}

// TestDropoutMaskFixedPerContext checks the premise of dropout's gradient
// check: the same Context draws the same mask on every Forward.
func TestDropoutMaskFixedPerContext(t *testing.T) {
	d := nn.NewDropout(0.5, 3)
	c := &nn.Context{Train: true, Seed: 11, Step: 4}
	x := nntest.RandomInput(2, 10, 10)
	a := d.Forward(c, x).Clone()
	b := d.Forward(c, x)
	if !slices.Equal(a.Data, b.Data) {
		t.Fatal("two Forwards with the same Context gave different outputs")
	}
	dy := nntest.RandomInput(3, 10, 10)
	dx := d.Backward(c, dy)
	m := d.Mask().Data
	for i := range dx.Data {
		if dx.Data[i] != dy.Data[i]*m[i] || b.Data[i] != x.Data[i]*m[i] {
			t.Fatalf("element %d: y %v dx %v, mask %v", i, b.Data[i], dx.Data[i], m[i])
		}
		if m[i] != 0 && m[i] != 2 {
			t.Fatalf("mask value %v, want 0 or 1/(1-p) = 2", m[i])
		}
	}
}

func TestActivationValues(t *testing.T) {
	const lam, alpha = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717
	cases := []struct {
		name string
		opt  nn.ActivationOptions
		x    float64
		want float64
	}{
		{"relu", nn.ActivationOptions{}, -1, 0},
		{"relu", nn.ActivationOptions{}, 1.5, 1.5},
		{"leaky_relu", nn.ActivationOptions{}, -2, -0.02},
		{"leaky_relu", nn.ActivationOptions{Slope: 0.2}, -2, -0.4},
		{"leaky_relu", nn.ActivationOptions{Slope: 0.2}, 3, 3},
		{"prelu", nn.ActivationOptions{}, -2, -0.5},
		{"prelu", nn.ActivationOptions{}, 2, 2},
		{"elu", nn.ActivationOptions{}, -1, math.Exp(-1) - 1},
		{"elu", nn.ActivationOptions{Alpha: 0.5}, -2, 0.5 * (math.Exp(-2) - 1)},
		{"elu", nn.ActivationOptions{Alpha: 0.5}, 2, 2},
		{"selu", nn.ActivationOptions{}, -1, lam * alpha * (math.Exp(-1) - 1)},
		{"selu", nn.ActivationOptions{}, -1, -1.1113307378125625},
		{"selu", nn.ActivationOptions{}, 2, 2 * lam},
		// Φ(1) = 0.8413447460685429.
		{"gelu", nn.ActivationOptions{}, 1, 0.8413447460685429},
		{"gelu", nn.ActivationOptions{Approximate: "none"}, -1, -(1 - 0.8413447460685429)},
		{"gelu", nn.ActivationOptions{}, 0, 0},
		{"gelu", nn.ActivationOptions{Approximate: "tanh"}, 1, 0.5 * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(1+0.044715)))},
		{"gelu", nn.ActivationOptions{Approximate: "tanh"}, 1, 0.8411919906082768},
		{"gelu", nn.ActivationOptions{Approximate: "tanh"}, -2, -2 * 0.5 * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(-2-0.044715*8)))},
		{"tanh", nn.ActivationOptions{}, 0.5, math.Tanh(0.5)},
		{"sigmoid", nn.ActivationOptions{}, 0, 0.5},
		{"sigmoid", nn.ActivationOptions{}, 2, 1 / (1 + math.Exp(-2))},
	}
	for _, tc := range cases {
		a := newAct(t, tc.name, tc.opt)
		y := a.Forward(&nn.Context{}, tensor.FromData([]float32{float32(tc.x)}, 1, 1))
		if got := float64(y.Data[0]); math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("%s %+v at %v: got %.9g, want %.9g", tc.name, tc.opt, tc.x, got, tc.want)
		}
	}
}

func TestPReLUPerChannel(t *testing.T) {
	a := newAct(t, "prelu", nn.ActivationOptions{Channels: 2})
	p := a.Params()
	if len(p) != 1 || p[0].Name != "weight" || p[0].Decay || !slices.Equal(p[0].Value.Shape, []int{2}) ||
		p[0].Value.Data[0] != 0.25 || p[0].Value.Data[1] != 0.25 {
		t.Fatalf("prelu params %+v", p[0])
	}
	copy(a.Weight.Value.Data, []float32{0.5, 0.1})
	// (N=1, C=2, 2): channel 0 uses 0.5, channel 1 uses 0.1.
	x := tensor.FromData([]float32{-2, 1, -2, 1}, 1, 2, 2)
	y := a.Forward(&nn.Context{}, x)
	if want := []float32{-1, 1, -0.2, 1}; !slices.Equal(y.Data, want) {
		t.Fatalf("y %v, want %v", y.Data, want)
	}
	// The slope gradient accumulates across Backward calls: Σ dy·x over x ≤ 0.
	dy := tensor.FromData([]float32{1, 1, 3, 1}, 1, 2, 2)
	a.Backward(&nn.Context{}, dy)
	a.Backward(&nn.Context{}, dy)
	if want := []float32{-4, -12}; !slices.Equal(a.Weight.Grad.Data, want) {
		t.Fatalf("accumulated slope grads %v, want %v", a.Weight.Grad.Data, want)
	}
	if _, err := a.OutShape([]int{3, 4, 4}); err == nil {
		t.Fatal("prelu(2 channels) must reject 3 channels")
	}
	if s, err := a.OutShape([]int{2, 4, 4}); err != nil || !slices.Equal(s, []int{2, 4, 4}) {
		t.Fatalf("OutShape %v %v", s, err)
	}
}

func TestActivationOptionErrors(t *testing.T) {
	cases := []struct {
		name string
		opt  nn.ActivationOptions
		want string
	}{
		{"relu", nn.ActivationOptions{Slope: 0.1}, "relu: slope applies only to leaky_relu"},
		{"gelu", nn.ActivationOptions{Alpha: 2}, "gelu: alpha applies only to elu"},
		{"elu", nn.ActivationOptions{Approximate: "tanh"}, "elu: approximate applies only to gelu"},
		{"leaky_relu", nn.ActivationOptions{Channels: 3}, "leaky_relu: channels applies only to prelu"},
		{"gelu", nn.ActivationOptions{Approximate: "fast"}, `gelu: approximate must be none or tanh, got "fast"`},
		{"prelu", nn.ActivationOptions{Channels: -1}, "prelu: channels must be >= 0"},
	}
	for _, tc := range cases {
		_, err := nn.NewActivation(tc.name, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %+v: error %v, want %q", tc.name, tc.opt, err, tc.want)
		}
	}
	if got := strings.Join(nn.ActivationNames(), ","); got != "elu,gelu,leaky_relu,prelu,relu,selu,sigmoid,tanh" {
		t.Errorf("names %s", got)
	}
	for _, n := range nn.ActivationNames() {
		if !nn.IsActivation(n) {
			t.Errorf("IsActivation(%q) = false", n)
		}
	}
	if nn.IsActivation("linear") {
		t.Error(`IsActivation("linear") = true`)
	}
}

func TestGain(t *testing.T) {
	cases := []struct {
		name  string
		slope float64
		want  float64
	}{
		{"relu", 0, math.Sqrt2},
		{"leaky_relu", 0, math.Sqrt(2 / (1 + 0.01*0.01))},
		{"leaky_relu", 0.2, math.Sqrt(2 / 1.04)},
		{"prelu", 0, math.Sqrt(2 / (1 + 0.25*0.25))},
		{"tanh", 0, 5.0 / 3},
		{"selu", 0, 0.75},
		{"sigmoid", 0, 1},
		{"elu", 0, 1},
		{"gelu", 0, 1},
		{"linear", 0, 1},
		{"", 0, 1},
	}
	for _, tc := range cases {
		if got := nn.Gain(tc.name, tc.slope); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Gain(%q, %v) = %v, want %v", tc.name, tc.slope, got, tc.want)
		}
	}
	if got := newAct(t, "leaky_relu", nn.ActivationOptions{Slope: 0.2}).Gain(); math.Abs(got-math.Sqrt(2/1.04)) > 1e-7 {
		t.Errorf("leaky_relu(0.2).Gain() = %v", got)
	}
	if got := newAct(t, "prelu", nn.ActivationOptions{Channels: 4}).Gain(); got != nn.Gain("prelu", 0) {
		t.Errorf("prelu.Gain() = %v", got)
	}
}

func TestDropoutStatistics(t *testing.T) {
	const p, n = 0.3, 400_000
	d := nn.NewDropout(p, 1)
	x := tensor.New(n)
	r := rand.New(rand.NewPCG(1, 2))
	var inMean float64
	for i := range x.Data {
		x.Data[i] = float32(0.5 + r.Float64())
		inMean += float64(x.Data[i])
	}
	inMean /= n
	y := d.Forward(&nn.Context{Train: true, Seed: 5, Step: 1}, x)
	var outMean float64
	zeros := 0
	for _, v := range y.Data {
		outMean += float64(v)
		if v == 0 {
			zeros++
		}
	}
	outMean /= n
	// Standard errors: ~0.0007 for the zero fraction, ~0.0012 for the mean.
	if frac := float64(zeros) / n; math.Abs(frac-p) > 0.005 {
		t.Errorf("fraction of zeros %.4f, want %.2f", frac, p)
	}
	if math.Abs(outMean-inMean) > 0.01 {
		t.Errorf("output mean %.4f, input mean %.4f", outMean, inMean)
	}

	// Evaluation: the identity, forward and backward.
	ev := &nn.Context{Train: false, Seed: 5, Step: 1}
	if y := d.Forward(ev, x); !slices.Equal(y.Data, x.Data) {
		t.Error("dropout in evaluation must be the identity")
	}
	if dx := d.Backward(ev, x); !slices.Equal(dx.Data, x.Data) {
		t.Error("dropout backward in evaluation must be the identity")
	}
	// p = 0 is the identity in training too.
	if y := nn.NewDropout(0, 1).Forward(&nn.Context{Train: true}, x); !slices.Equal(y.Data, x.Data) {
		t.Error("dropout(0) must be the identity")
	}
}

func TestDropoutDeterminism(t *testing.T) {
	x := tensor.New(1000)
	for i := range x.Data {
		x.Data[i] = 1
	}
	out := func(salt uint64, seed uint64, step int64) []float32 {
		return slices.Clone(nn.NewDropout(0.5, salt).Forward(&nn.Context{Train: true, Seed: seed, Step: step}, x).Data)
	}
	base := out(1, 42, 7)
	if !slices.Equal(base, out(1, 42, 7)) {
		t.Error("same (seed, step, salt) must give the same mask")
	}
	if slices.Equal(base, out(1, 42, 8)) {
		t.Error("another step must give another mask")
	}
	if slices.Equal(base, out(2, 42, 7)) {
		t.Error("another salt (layer) must give another mask")
	}
	if slices.Equal(base, out(1, 43, 7)) {
		t.Error("another seed must give another mask")
	}
}

func TestDropoutRejectsBadP(t *testing.T) {
	for _, p := range []float64{-0.1, 1, math.NaN()} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewDropout(%v) did not panic", p)
				}
			}()
			nn.NewDropout(p, 0)
		}()
	}
}

func TestBatchNormStatistics(t *testing.T) {
	b := nn.NewBatchNorm(2, 0, 0)
	if b.Momentum != 0.1 || b.Eps != 1e-5 {
		t.Fatalf("defaults momentum %v eps %v", b.Momentum, b.Eps)
	}
	for _, p := range b.Params() {
		if p.Decay {
			t.Errorf("%s must not decay", p.Name)
		}
	}
	if names := []string{b.Params()[0].Name, b.Params()[1].Name, b.Buffers()[0].Name, b.Buffers()[1].Name}; strings.Join(names, ",") != "weight,bias,running_mean,running_var" {
		t.Fatalf("names %v", names)
	}
	// (N=4, C=2): channel 0 = 1,2,3,4; channel 1 = 0,0,2,-2.
	x := tensor.FromData([]float32{1, 0, 2, 0, 3, 2, 4, -2}, 4, 2)
	y := b.Forward(&nn.Context{Train: true}, x)
	mean := []float64{2.5, 0}
	biased := []float64{1.25, 2}
	unbiased := []float64{5.0 / 3, 8.0 / 3}
	for c := 0; c < 2; c++ {
		wantRM := 0.9*0 + 0.1*mean[c]
		wantRV := 0.9*1 + 0.1*unbiased[c]
		if got := float64(b.RunningMean.Value.Data[c]); math.Abs(got-wantRM) > 1e-6 {
			t.Errorf("running_mean[%d] %v, want %v", c, got, wantRM)
		}
		if got := float64(b.RunningVar.Value.Data[c]); math.Abs(got-wantRV) > 1e-6 {
			t.Errorf("running_var[%d] %v, want %v", c, got, wantRV)
		}
		for i := 0; i < 4; i++ {
			want := (float64(x.Data[i*2+c]) - mean[c]) / math.Sqrt(biased[c]+1e-5)
			if got := float64(y.Data[i*2+c]); math.Abs(got-want) > 1e-5 {
				t.Errorf("y[%d,%d] %v, want %v", i, c, got, want)
			}
		}
	}

	// Evaluation uses the running statistics and the affine parameters.
	b.Weight.Value.Data[0], b.Bias.Value.Data[0] = 2, 0.5
	rm, rv := float64(b.RunningMean.Value.Data[0]), float64(b.RunningVar.Value.Data[0])
	before := slices.Clone(b.RunningVar.Value.Data)
	y = b.Forward(&nn.Context{Train: false}, x)
	for i := 0; i < 4; i++ {
		want := 2*(float64(x.Data[i*2])-rm)/math.Sqrt(rv+1e-5) + 0.5
		if got := float64(y.Data[i*2]); math.Abs(got-want) > 1e-5 {
			t.Errorf("eval y[%d,0] %v, want %v", i, got, want)
		}
	}
	if !slices.Equal(before, b.RunningVar.Value.Data) {
		t.Error("evaluation must not change the running statistics")
	}
}

func TestBatchNorm2dRunningStats(t *testing.T) {
	// (N=2, C=2, H=1, W=2) with momentum 0.5: channel 0 sees 1,3,5,7 and
	// channel 1 sees 0,0,0,4.
	b := nn.NewBatchNorm(2, 0.5, 1e-3)
	x := tensor.FromData([]float32{1, 3, 0, 0, 5, 7, 0, 4}, 2, 2, 1, 2)
	b.Forward(&nn.Context{Train: true}, x)
	wantRM := []float32{0.5 * 4, 0.5 * 1}
	wantRV := []float32{0.5 + 0.5*(20.0/3), 0.5 + 0.5*(12.0/3)}
	for c := 0; c < 2; c++ {
		if math.Abs(float64(b.RunningMean.Value.Data[c]-wantRM[c])) > 1e-6 || math.Abs(float64(b.RunningVar.Value.Data[c]-wantRV[c])) > 1e-5 {
			t.Errorf("channel %d: running mean %v var %v, want %v %v", c, b.RunningMean.Value.Data[c], b.RunningVar.Value.Data[c], wantRM[c], wantRV[c])
		}
	}
	if _, err := b.OutShape([]int{3, 4, 4}); err == nil {
		t.Error("BatchNorm(2) must reject 3 channels")
	}
	if s, err := b.OutShape([]int{2, 4, 4}); err != nil || !slices.Equal(s, []int{2, 4, 4}) {
		t.Errorf("OutShape %v %v", s, err)
	}
}

func TestBatchNormGradsAccumulate(t *testing.T) {
	b := randomBatchNorm(3, 8)
	c := &nn.Context{Train: true}
	x := nntest.RandomInput(1, 4, 3, 2, 2)
	dy := nntest.RandomInput(2, 4, 3, 2, 2)
	b.Forward(c, x)
	b.Backward(c, dy)
	once := slices.Concat(b.Weight.Grad.Data, b.Bias.Grad.Data)
	b.Backward(c, dy)
	twice := slices.Concat(b.Weight.Grad.Data, b.Bias.Grad.Data)
	for i := range once {
		if math.Abs(float64(twice[i]-2*once[i])) > 1e-5 {
			t.Fatalf("grads do not accumulate: %v then %v", once, twice)
		}
	}
}

func TestCollectBuffers(t *testing.T) {
	s := nn.NewSequential(
		nn.Named{Name: "fc", Layer: nn.NewLinear(2, 3, true)},
		nn.Named{Name: "bn", Layer: nn.NewBatchNorm(3, 0, 0)},
		nn.Named{Name: "act", Layer: newAct(t, "relu", nn.ActivationOptions{})},
	)
	var names []string
	for _, b := range nn.CollectBuffers(s) {
		names = append(names, b.Name)
	}
	if strings.Join(names, ",") != "bn.running_mean,bn.running_var" {
		t.Fatalf("buffers %v", names)
	}
	if nn.CollectBuffers(s)[1].Value != s.Layers[1].Layer.(*nn.BatchNorm).RunningVar.Value {
		t.Fatal("collected buffers must share the layer's tensors")
	}
}

// TestNewLayersSteadyStateAllocs checks that repeated training steps with
// the same batch shape allocate nothing in the layers, except dropout's
// per-step random stream (rng.New allocates a rand.Rand and its source).
func TestNewLayersSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	cases := []struct {
		name  string
		layer nn.Layer
		in    []int
		max   float64
	}{
		{"relu", newAct(t, "relu", nn.ActivationOptions{}), []int{4, 3, 8, 8}, 0},
		{"prelu", newAct(t, "prelu", nn.ActivationOptions{Channels: 3}), []int{4, 3, 8, 8}, 0},
		{"gelu", newAct(t, "gelu", nn.ActivationOptions{}), []int{4, 3, 8, 8}, 0},
		{"batchnorm2d", randomBatchNorm(3, 1), []int{4, 3, 8, 8}, 0},
		{"dropout", nn.NewDropout(0.5, 1), []int{4, 3, 8, 8}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := &nn.Context{Train: true, Seed: 1}
			x := nntest.RandomInput(1, tc.in...)
			y := tc.layer.Forward(ctx, x)
			dy := nntest.RandomInput(2, y.Shape...)
			tc.layer.Backward(ctx, dy)
			allocs := testing.AllocsPerRun(10, func() {
				ctx.Step++
				tc.layer.Forward(ctx, x)
				tc.layer.Backward(ctx, dy)
			})
			if allocs > tc.max {
				t.Fatalf("%v allocations per step, want at most %v", allocs, tc.max)
			}
		})
	}
}
