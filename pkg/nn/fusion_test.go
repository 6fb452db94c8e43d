package nn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/nn/nntest"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// unfused hides a layer's type, so that a Sequential or block runs it on
// its own instead of fusing it into the batch norm before it.
type unfused struct{ nn.Layer }

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
// Sequential, which runs as one fused pass in training, gives the output,
// input gradient, parameter gradients and running statistics of the two
// layers run apart, bit for bit, in training and evaluation; and that in
// training the relu then passes its gradient through.
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
				x := nntest.RandomInput(1, tc.shape...)
				dy := nntest.RandomInput(2, tc.shape...)
				bnF, reluF := randomBN(c, 5), newReLU(t)
				bnA, reluA := randomBN(c, 5), newReLU(t)
				fused := nn.NewSequential(nn.Named{Name: "bn", Layer: bnF}, nn.Named{Name: "act", Layer: reluF})

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
				if passed := reluF.Backward(ctx, dy) == dy; passed != train {
					t.Errorf("train=%v: relu passed its gradient through: %v, want %v", train, passed, train)
				}
			})
		}
	}
}

// TestBasicBlockFusion checks that a basic block, whose bn1 and act1 run
// fused in training and whose residual add and act2 run as one pass,
// matches the same block with act1 and act2 run on their own, bit for bit,
// in training and evaluation.
func TestBasicBlockFusion(t *testing.T) {
	for _, tc := range []struct {
		stride int
		train  bool
	}{{1, true}, {2, true}, {1, false}} {
		stride := tc.stride
		fused := randomBlock(t, 3, 4, stride, "relu", 6)
		apart := randomBlock(t, 3, 4, stride, "relu", 6)
		apart.Act1, apart.Act2 = unfused{apart.Act1}, unfused{apart.Act2}
		ctx := &nn.Context{Train: tc.train}
		x := nntest.RandomInput(3, 2, 3, 8, 6)
		yF := fused.Forward(ctx, x).Clone()
		yA := apart.Forward(ctx, x)
		sameBits(t, "output", yF.Data, yA.Data)
		dy := nntest.RandomInput(4, yA.Shape...)
		dxF := fused.Backward(ctx, dy).Clone()
		dxA := apart.Backward(ctx, dy)
		sameBits(t, "input gradient", dxF.Data, dxA.Data)
		for i, p := range fused.Params() {
			sameBits(t, p.Name+" gradient", p.Grad.Data, apart.Params()[i].Grad.Data)
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
	w := &outWatch{Layer: nn.NewSequential(
		nn.Named{Name: "conv", Layer: randomConv(2, 3, 3, 3, 1, 1, false, 8)},
		nn.Named{Name: "bn", Layer: randomBN(3, 9)},
		nn.Named{Name: "act", Layer: newReLU(t)},
	)}
	nntest.CheckLayer(t, w, nntest.RandomInput(5, 3, 2, 5, 6),
		nntest.Options{Seed: 6, Eps: 1e-3, AbsTol: 5e-3, Kinked: w.kinked})
}
