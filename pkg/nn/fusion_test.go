package nn_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/nn/nntest"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// hidden hides a layer's type, so that planning does not see a relu in it.
type hidden struct{ nn.Layer }

// randomBN returns a batch norm over c channels with random γ, β and
// running statistics from seed.
func randomBN(c int, seed uint64) *nn.BatchNorm {
	r := rand.New(rand.NewPCG(seed, 3))
	b := nn.NewBatchNorm(c, 0, 0)
	for i := range c {
		b.Weight.Value.Data[i] = float32(0.5 + r.Float64())
		b.Bias.Value.Data[i] = float32(0.5 * r.NormFloat64())
		b.RunningMean.Value.Data[i] = float32(0.3 * r.NormFloat64())
		b.RunningVar.Value.Data[i] = float32(0.5 + r.Float64())
	}
	return b
}

func newReLU(t *testing.T) nn.Layer {
	t.Helper()
	a, err := nn.NewActivation("relu", nn.ActivationOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v, want %v (bit for bit)", what, i, got[i], want[i])
		}
	}
}

// TestBatchNormReLUFusion checks that a batch norm followed by a relu in a
// planned Sequential, one BatchNormReLU step that runs as one fused pass in
// training, gives the output, input gradient, parameter gradients and
// running statistics of the two layers run apart, bit for bit, in training
// and evaluation, over two steps (the second reuses every buffer).
func TestBatchNormReLUFusion(t *testing.T) {
	for _, tc := range []struct {
		name  string
		shape []int
	}{
		{"dense", []int{9, 5}},
		{"image", []int{3, 4, 5, 7}},
		{"image long rows", []int{2, 3, 9, 17}}, // 153 values per plane: vector bodies and tails
	} {
		for _, train := range []bool{true, false} {
			mode := map[bool]string{true: "/train", false: "/eval"}[train]
			t.Run(tc.name+mode, func(t *testing.T) {
				c := tc.shape[1]
				ctx := &nn.Context{Train: train}
				bnF, reluF := randomBN(c, 5), newReLU(t)
				bnA, reluA := randomBN(c, 5), newReLU(t)
				fused := nn.NewSequential(nn.Named{Name: "bn", Layer: bnF}, nn.Named{Name: "act", Layer: reluF})
				nn.Fuse(fused)
				if steps := fused.Steps(); len(steps) != 1 || steps[0].Name != "bn+act" {
					t.Fatalf("plan %v, want one step bn+act", stepNames(steps))
				}
				if f, ok := fused.Steps()[0].Layer.(*nn.BatchNormReLU); !ok || f.BN != bnF || f.ReLU != reluF {
					t.Fatalf("step %T does not hold the batch norm and relu it replaces", fused.Steps()[0].Layer)
				}
				for step := range 2 {
					x := nntest.RandomInput(1+uint64(step), tc.shape...)
					dy := nntest.RandomInput(3+uint64(step), tc.shape...)
					yF := fused.Forward(ctx, x).Clone()
					yA := reluA.Forward(ctx, bnA.Forward(ctx, x))
					sameBits(t, "output", yF.Data, yA.Data)
					dxF := fused.Backward(ctx, dy).Clone()
					dxA := bnA.Backward(ctx, reluA.Backward(ctx, dy))
					sameBits(t, "input gradient", dxF.Data, dxA.Data)
					for i, p := range bnF.Params() {
						sameBits(t, p.Name+" gradient", p.Grad.Data, bnA.Params()[i].Grad.Data)
					}
					for i, b := range bnF.Buffers() {
						sameBits(t, b.Name, b.Value.Data, bnA.Buffers()[i].Value.Data)
					}
				}
			})
		}
	}
}

// TestBatchNormReLUAlternatesModes checks that a fused step switched
// between training and evaluation (as a training loop with periodic
// evaluation does) backpropagates through the mode of its last Forward.
func TestBatchNormReLUAlternatesModes(t *testing.T) {
	f := nn.NewBatchNormReLU(randomBN(3, 7), newReLU(t).(*nn.Activation))
	bnA, reluA := randomBN(3, 7), newReLU(t)
	for i, train := range []bool{true, false, true, false, false, true} {
		ctx := &nn.Context{Train: train}
		x := nntest.RandomInput(10+uint64(i), 4, 3, 5, 5)
		dy := nntest.RandomInput(20+uint64(i), 4, 3, 5, 5)
		sameBits(t, "output", f.Forward(ctx, x).Data, reluA.Forward(ctx, bnA.Forward(ctx, x)).Data)
		sameBits(t, "input gradient", f.Backward(ctx, dy).Data, bnA.Backward(ctx, reluA.Backward(ctx, dy)).Data)
		sameBits(t, "weight gradient", f.BN.Weight.Grad.Data, bnA.Weight.Grad.Data)
	}
	if d := f.Describe(); d != "BatchNorm(3)+relu (fused in training)" {
		t.Errorf("describe %q", d)
	}
	if n, want := nn.CountFLOPs(f, []int{3, 5, 5}), nn.CountFLOPs(bnA, []int{3, 5, 5})+nn.CountFLOPs(reluA, []int{3, 5, 5}); n != want {
		t.Errorf("FLOPs %d, want %d", n, want)
	}
	if _, err := f.OutShape([]int{4, 5, 5}); err == nil {
		t.Error("OutShape accepts the wrong number of channels")
	}
}

func TestNewBatchNormReLURejectsOtherActivations(t *testing.T) {
	leaky, err := nn.NewActivation("leaky_relu", nn.ActivationOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("NewBatchNormReLU accepted leaky_relu")
		}
	}()
	nn.NewBatchNormReLU(randomBN(3, 1), leaky.(*nn.Activation))
}

// TestBasicBlockFusion checks that a planned basic block, whose bn1 and
// act1 run fused in training and whose residual add and act2 run as one
// pass, matches the same block unplanned (every layer run on its own), bit
// for bit, in training and evaluation, with and without stochastic depth
// (which runs act2 on its own in training).
func TestBasicBlockFusion(t *testing.T) {
	for _, tc := range []struct {
		stride int
		train  bool
		drop   float64
	}{{1, true, 0}, {2, true, 0}, {1, false, 0}, {2, false, 0}, {1, true, 0.5}, {2, false, 0.5}} {
		fused := randomBlock(t, 3, 4, tc.stride, "relu", 6)
		apart := randomBlock(t, 3, 4, tc.stride, "relu", 6)
		fused.DropProb, apart.DropProb = tc.drop, tc.drop
		nn.Fuse(fused)
		if got := strings.Join(fused.Fusions(), ","); got != "bn1+act1,add+act2" {
			t.Fatalf("fusions %q", got)
		}
		if apart.Fusions() != nil {
			t.Fatalf("unplanned block fuses %v", apart.Fusions())
		}
		for step := range 2 {
			ctx := &nn.Context{Train: tc.train, Seed: 3, Step: int64(step)}
			x := nntest.RandomInput(3+uint64(step), 2, 3, 8, 6)
			yF := fused.Forward(ctx, x).Clone()
			yA := apart.Forward(ctx, x)
			sameBits(t, "output", yF.Data, yA.Data)
			dy := nntest.RandomInput(4+uint64(step), yA.Shape...)
			dxF := fused.Backward(ctx, dy).Clone()
			dxA := apart.Backward(ctx, dy)
			sameBits(t, "input gradient", dxF.Data, dxA.Data)
			for i, p := range fused.Params() {
				sameBits(t, p.Name+" gradient", p.Grad.Data, apart.Params()[i].Grad.Data)
			}
			for i, b := range fused.Buffers() {
				sameBits(t, b.Name, b.Value.Data, apart.Buffers()[i].Value.Data)
			}
		}
	}
}

// outWatch wraps a layer whose output is a relu's and notes when an output
// element changes between zero and positive since the first Forward: the
// relu's input crossed its kink.
type outWatch struct {
	nn.Layer
	ref     []bool
	crossed bool
}

func (w *outWatch) Forward(c *nn.Context, x *tensor.Tensor) *tensor.Tensor {
	y := w.Layer.Forward(c, x)
	if w.ref == nil {
		w.ref = make([]bool, len(y.Data))
		for i, v := range y.Data {
			w.ref[i] = v > 0
		}
		return y
	}
	for i, v := range y.Data {
		w.crossed = w.crossed || (v > 0) != w.ref[i]
	}
	return y
}

func (w *outWatch) kinked() bool {
	k := w.crossed
	w.crossed = false
	return k
}

// TestFusedBatchNormReLUGradients checks the fused pass (conv → batch norm
// → relu, in training) against finite differences.
func TestFusedBatchNormReLUGradients(t *testing.T) {
	w := &outWatch{Layer: nn.Fuse(nn.NewSequential(
		nn.Named{Name: "conv", Layer: randomConv(2, 3, 3, 3, 1, 1, false, 8)},
		nn.Named{Name: "bn", Layer: randomBN(3, 9)},
		nn.Named{Name: "act", Layer: newReLU(t)},
	))}
	if got := stepNames(w.Layer.(*nn.Sequential).Steps()); strings.Join(got, " ") != "conv bn+act" {
		t.Fatalf("plan %v: the check would not run the fused pass", got)
	}
	nntest.CheckLayer(t, w, nntest.RandomInput(5, 3, 2, 5, 6),
		nntest.Options{Seed: 6, Eps: 1e-3, AbsTol: 5e-3, Kinked: w.kinked})
}
