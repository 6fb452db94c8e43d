package nn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/nn/nntest"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// testPool returns a pool of threads threads that t closes when it ends,
// or nil (one thread, on the caller) for threads 0.
func testPool(t testing.TB, threads int) *tensor.Pool {
	if threads == 0 {
		return nil
	}
	p := tensor.NewPool(threads)
	t.Cleanup(p.Close)
	return p
}

func randomLinear(in, out int, bias bool, seed uint64) *nn.Linear {
	l := nn.NewLinear(in, out, bias)
	r := rand.New(rand.NewPCG(seed, 3))
	for _, p := range l.Params() {
		for i := range p.Value.Data {
			p.Value.Data[i] = float32(r.NormFloat64() * 0.5)
		}
	}
	return l
}

func TestLayerGradients(t *testing.T) {
	mustAct := func(name string) nn.Layer {
		a, err := nn.NewActivation(name, nn.ActivationOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	cases := []struct {
		name  string
		layer nn.Layer
		in    []int
	}{
		{"linear", randomLinear(5, 4, true, 1), []int{3, 5}},
		{"linear_no_bias", randomLinear(6, 2, false, 2), []int{4, 6}},
		{"linear_batch1", randomLinear(3, 3, true, 3), []int{1, 3}},
		{"relu", mustAct("relu"), []int{4, 7}},
		{"tanh", mustAct("tanh"), []int{4, 7}},
		{"sigmoid", mustAct("sigmoid"), []int{2, 3, 4}},
		{"flatten", &nn.Flatten{}, []int{2, 3, 2, 2}},
		{"sequential", nn.NewSequential(
			nn.Named{Name: "flat", Layer: &nn.Flatten{}},
			nn.Named{Name: "fc1", Layer: randomLinear(12, 8, true, 4)},
			nn.Named{Name: "act", Layer: mustAct("tanh")},
			nn.Named{Name: "fc2", Layer: randomLinear(8, 3, true, 5)},
		), []int{2, 3, 2, 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nntest.CheckLayer(t, tc.layer, nntest.RandomInput(9, tc.in...), nntest.Options{Seed: 1})
		})
	}
}

func TestSequentialParamNames(t *testing.T) {
	s := nn.NewSequential(
		nn.Named{Name: "fc1", Layer: nn.NewLinear(2, 3, true)},
		nn.Named{Name: "relu1", Layer: &nn.Flatten{}},
		nn.Named{Name: "out", Layer: nn.NewLinear(3, 1, false)},
	)
	var got []string
	for _, p := range s.Params() {
		got = append(got, p.Name)
	}
	want := []string{"fc1.weight", "fc1.bias", "out.weight"}
	if len(got) != len(want) {
		t.Fatalf("names %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("names %v, want %v", got, want)
		}
	}
	if !s.Params()[0].Decay || s.Params()[1].Decay {
		t.Fatal("weights decay by default, biases do not")
	}
}

func TestSoftmaxCrossEntropy(t *testing.T) {
	// Values checked by hand: logits (0, ln 3) → p = (1/4, 3/4).
	var ce nn.SoftmaxCrossEntropy
	logits := tensor.FromData([]float32{0, float32(math.Log(3)), 1000, 0}, 2, 2)
	loss, correct := ce.Forward(logits, []int32{1, 1})
	want := (-math.Log(0.75) + 1000) / 2 // second row: huge margin, stable
	if math.Abs(loss-want) > 1e-3 || correct != 1 {
		t.Fatalf("loss %v correct %d, want %v and 1", loss, correct, want)
	}
	d := ce.Backward()
	if math.Abs(float64(d.Data[0])-0.125) > 1e-6 || math.Abs(float64(d.Data[1])+0.125) > 1e-6 {
		t.Fatalf("gradient %v", d.Data)
	}
}

func TestSoftmaxCrossEntropyGradient(t *testing.T) {
	x := nntest.RandomInput(4, 5, 7)
	labels := []int32{0, 6, 3, 3, 1}
	var ce nn.SoftmaxCrossEntropy
	ce.Forward(x, labels)
	grad := ce.Backward().Clone()
	nntest.CheckFunc(t, "logits", x.Data, grad.Data, func() float64 {
		l, _ := ce.Forward(x, labels)
		return l
	}, nntest.Options{Eps: 1e-2})
}

func TestInitStatistics(t *testing.T) {
	const fanIn, fanOut = 400, 300
	cases := []struct {
		name    string
		gain    float64
		wantStd float64
	}{
		{"normal", 1, 0.01},
		{"xavier_normal", 1, math.Sqrt(2.0 / (fanIn + fanOut))},
		{"xavier_uniform", 1, math.Sqrt(6.0/(fanIn+fanOut)) / math.Sqrt(3)},
		{"kaiming_normal", math.Sqrt2, math.Sqrt2 / math.Sqrt(fanIn)},
		{"kaiming_uniform", math.Sqrt2, math.Sqrt2 * math.Sqrt(3.0/fanIn) / math.Sqrt(3)},
		{"kaiming_normal", 5.0 / 3, 5.0 / 3 / math.Sqrt(fanIn)},
		{"zeros", 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := make([]float32, fanIn*fanOut)
			err := nn.Init(tc.name, w, nn.InitOptions{FanIn: fanIn, FanOut: fanOut, Gain: tc.gain, Std: 0.01}, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			var s, s2 float64
			for _, v := range w {
				s += float64(v)
				s2 += float64(v) * float64(v)
			}
			n := float64(len(w))
			mean := s / n
			std := math.Sqrt(s2/n - mean*mean)
			if math.Abs(std-tc.wantStd) > 0.01*tc.wantStd+1e-9 || math.Abs(mean) > 0.01*tc.wantStd+1e-9 {
				t.Fatalf("std %.6g mean %.3g, want std %.6g mean 0", std, mean, tc.wantStd)
			}
		})
	}
	if err := nn.CheckInit("he_normall"); err == nil {
		t.Fatal("unknown init must be an error")
	}
}

func TestUnknownActivationListsKnown(t *testing.T) {
	_, err := nn.NewActivation("relux", nn.ActivationOptions{})
	if err == nil || err.Error() != `unknown activation "relux"; known: elu, gelu, leaky_relu, prelu, relu, selu, sigmoid, tanh` {
		t.Fatalf("got %v", err)
	}
}

// TestMLPStepDoesNotAllocate holds the memory discipline: once buffers exist
// for a batch shape, forward + backward allocate nothing.
func TestMLPStepDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	act, _ := nn.NewActivation("relu", nn.ActivationOptions{})
	net := nn.NewSequential(
		nn.Named{Name: "flat", Layer: &nn.Flatten{}},
		nn.Named{Name: "fc1", Layer: randomLinear(12, 8, true, 1)},
		nn.Named{Name: "act", Layer: act},
		nn.Named{Name: "fc2", Layer: randomLinear(8, 3, true, 2)},
	)
	x := nntest.RandomInput(1, 4, 3, 2, 2)
	var ce nn.SoftmaxCrossEntropy
	labels := []int32{0, 1, 2, 1}
	ctx := &nn.Context{Train: true}
	step := func() {
		ce.Forward(net.Forward(ctx, x), labels)
		nn.ZeroGrad(net.Params())
		net.Backward(ctx, ce.Backward())
	}
	step()
	if n := testing.AllocsPerRun(20, step); n != 0 {
		t.Fatalf("%v allocations per step, want 0", n)
	}
}

// TestNoInputGrad checks that a first linear or convolution layer may skip
// its input gradient: Backward returns nil, the parameter gradients are
// unchanged, and a Sequential stops there.
func TestNoInputGrad(t *testing.T) {
	cases := []struct {
		name   string
		make   func() nn.Layer
		skip   func(nn.Layer)
		x, dy  []int // shapes of the input and the output gradient
		prefix []nn.Named
	}{
		{"linear", func() nn.Layer { return randomLinear(6, 5, true, 7) },
			func(l nn.Layer) { l.(*nn.Linear).NoInputGrad = true },
			[]int{4, 6}, []int{4, 5}, []nn.Named{{Name: "flat", Layer: &nn.Flatten{}}}},
		{"conv im2col", func() nn.Layer { return randomConv(2, 3, 3, 3, 1, 1, true, 7) },
			func(l nn.Layer) { l.(*nn.Conv2d).NoInputGrad = true },
			[]int{2, 2, 5, 6}, []int{2, 3, 5, 6}, nil},
		{"conv strided", func() nn.Layer { return randomConv(2, 3, 3, 3, 2, 1, false, 7) },
			func(l nn.Layer) { l.(*nn.Conv2d).NoInputGrad = true },
			[]int{2, 2, 5, 6}, []int{2, 3, 3, 3}, nil},
		{"conv pointwise", func() nn.Layer { return randomConv(2, 3, 1, 1, 1, 0, true, 7) },
			func(l nn.Layer) { l.(*nn.Conv2d).NoInputGrad = true },
			[]int{2, 2, 5, 6}, []int{2, 3, 5, 6}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := nntest.RandomInput(3, tc.x...)
			dy := nntest.RandomInput(4, tc.dy...)
			ctx := &nn.Context{Train: true}
			full, skip := tc.make(), tc.make()
			tc.skip(skip)
			full.Forward(ctx, x)
			if full.Backward(ctx, dy) == nil {
				t.Fatal("a normal layer returns its input gradient")
			}
			net := nn.NewSequential(append(tc.prefix, nn.Named{Name: "first", Layer: skip})...)
			net.Forward(ctx, x)
			if dx := net.Backward(ctx, dy); dx != nil {
				t.Fatal("want a nil input gradient")
			}
			for i, p := range full.Params() {
				for j, v := range p.Grad.Data {
					if skip.Params()[i].Grad.Data[j] != v {
						t.Fatalf("%s gradient differs with NoInputGrad", p.Name)
					}
				}
			}
		})
	}
}

// TestLargeReLUParallel covers the chunked relu path: outputs and
// gradients equal the formula, on 1 and 3 threads.
func TestLargeReLUParallel(t *testing.T) {
	x := nntest.RandomInput(5, 3, 7, 64, 64) // 86,016 elements: three chunks
	dy := nntest.RandomInput(6, 3, 7, 64, 64)
	for _, threads := range []int{1, 3} {
		ctx := &nn.Context{Train: true, Pool: testPool(t, threads)}
		a, _ := nn.NewActivation("relu", nn.ActivationOptions{})
		y := a.Forward(ctx, x)
		dx := a.Backward(ctx, dy)
		for i, v := range x.Data {
			wantY, wantDx := float32(0), float32(0)
			if v > 0 {
				wantY, wantDx = v, dy.Data[i]
			}
			if y.Data[i] != wantY || dx.Data[i] != wantDx {
				t.Fatalf("threads %d, element %d: y %v dx %v, want %v %v", threads, i, y.Data[i], dx.Data[i], wantY, wantDx)
			}
		}
	}
}
