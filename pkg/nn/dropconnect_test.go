package nn_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/nn/nntest"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// dropConnectLayer is a layer with DropConnect and its mask.
type dropConnectLayer interface {
	nn.Layer
	DropConnectMask() []float32
}

func dcLinear(p float64, salt uint64) *nn.Linear {
	l := randomLinear(6, 4, true, 31)
	l.DropConnect, l.DropConnectSalt = p, salt
	return l
}

func dcConv(p float64, salt uint64) *nn.Conv2d {
	c := randomConv(2, 3, 3, 3, 1, 1, true, 32)
	c.DropConnect, c.DropConnectSalt = p, salt
	return c
}

// TestDropConnectGradients checks Backward against finite differences with
// the mask held fixed (the same Context draws the same mask), in training
// and in evaluation.
func TestDropConnectGradients(t *testing.T) {
	train := &nn.Context{Train: true, Seed: 3, Step: 5}
	eval := &nn.Context{Seed: 3, Step: 5}
	for _, tc := range []struct {
		name    string
		layer   dropConnectLayer
		in      []int
		ctx     *nn.Context
		threads int
	}{
		{"linear_train", dcLinear(0.4, 1), []int{5, 6}, train, 0},
		{"linear_eval", dcLinear(0.4, 1), []int{5, 6}, eval, 0},
		{"conv_train", dcConv(0.5, 2), []int{3, 2, 5, 5}, train, 0},
		{"conv_train_threads3", dcConv(0.5, 2), []int{11, 2, 4, 4}, train, 3},
		{"conv1x1_train", func() *nn.Conv2d {
			c := randomConv(3, 4, 1, 1, 1, 0, false, 33)
			c.DropConnect = 0.3
			return c
		}(), []int{2, 3, 4, 4}, train, 0},
		{"conv_eval", dcConv(0.5, 2), []int{3, 2, 5, 5}, eval, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := *tc.ctx
			ctx.Pool = testPool(t, tc.threads)
			nntest.CheckLayer(t, tc.layer, nntest.RandomInput(9, tc.in...), nntest.Options{Seed: 4, Context: &ctx})
			m := tc.layer.DropConnectMask()
			if !tc.ctx.Train {
				if m != nil {
					t.Fatal("evaluation must use every weight (no mask)")
				}
				return
			}
			// The weight gradient is masked: zero wherever the weight was dropped.
			zeros := 0
			for i, v := range m {
				if v == 0 {
					zeros++
					if g := tc.layer.Params()[0].Grad.Data[i]; g != 0 {
						t.Fatalf("dropped weight %d has gradient %v", i, g)
					}
				}
			}
			if zeros == 0 || zeros == len(m) {
				t.Fatalf("%d of %d weights dropped: the check does not cover both outcomes", zeros, len(m))
			}
		})
	}
}

// TestDropConnectMask checks the mask's values, that it is fixed for a
// Context, fresh per step and per salt, and drops about p of the weights.
func TestDropConnectMask(t *testing.T) {
	const p = 0.3
	l := nn.NewLinear(100, 100, false)
	l.DropConnect, l.DropConnectSalt = p, 7
	x := nntest.RandomInput(1, 2, 100)
	mask := func(seed uint64, step int64, salt uint64) []float32 {
		l.DropConnectSalt = salt
		l.Forward(&nn.Context{Train: true, Seed: seed, Step: step}, x)
		return slices.Clone(l.DropConnectMask())
	}
	a := mask(1, 1, 7)
	if !slices.Equal(a, mask(1, 1, 7)) {
		t.Fatal("the same (seed, step, salt) drew different masks")
	}
	for _, other := range [][]float32{mask(1, 2, 7), mask(2, 1, 7), mask(1, 1, 8)} {
		if slices.Equal(a, other) {
			t.Fatal("a different seed, step or salt drew the same mask")
		}
	}
	dropped := 0
	for _, v := range a {
		switch v {
		case 0:
			dropped++
		case float32(1 / (1 - p)):
		default:
			t.Fatalf("mask value %v, want 0 or 1/(1-p)", v)
		}
	}
	// 10⁴ weights: the dropped fraction is within 5σ ≈ 0.023 of p.
	if f := float64(dropped) / float64(len(a)); math.Abs(f-p) > 0.023 {
		t.Fatalf("dropped fraction %v, want about %v", f, p)
	}
	// DropConnect's masks are independent of a Dropout layer's with the same salt.
	d := nn.NewDropout(p, 8)
	d.Forward(&nn.Context{Train: true, Seed: 1, Step: 1}, tensor.New(100, 100))
	if slices.Equal(d.Mask().Data, mask(1, 1, 8)) {
		t.Fatal("DropConnect reuses dropout's stream")
	}
}

// TestDropConnectExpectation checks the inverted scaling: averaged over
// many training steps, the output approaches the evaluation output, which
// uses all weights unscaled (it equals a layer without DropConnect).
func TestDropConnectExpectation(t *testing.T) {
	const steps = 3000
	for _, tc := range []struct {
		name  string
		layer nn.Layer
		plain nn.Layer
		in    []int
	}{
		{"linear", dcLinear(0.5, 1), dcLinear(0, 0), []int{3, 6}},
		{"conv", dcConv(0.5, 2), dcConv(0, 0), []int{2, 2, 4, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := nntest.RandomInput(5, tc.in...)
			evalOut := tc.layer.Forward(&nn.Context{Seed: 9, Step: 1}, x).Clone()
			again := tc.layer.Forward(&nn.Context{Seed: 10, Step: 99}, x)
			want := tc.plain.Forward(&nn.Context{Train: true}, x)
			if !slices.Equal(evalOut.Data, again.Data) || !slices.Equal(evalOut.Data, want.Data) {
				t.Fatal("evaluation must be deterministic and use all weights unscaled")
			}
			sum := make([]float64, len(evalOut.Data))
			sq := make([]float64, len(evalOut.Data))
			ctx := &nn.Context{Train: true, Seed: 9}
			for s := range steps {
				ctx.Step = int64(s)
				for i, v := range tc.layer.Forward(ctx, x).Data {
					sum[i] += float64(v)
					sq[i] += float64(v) * float64(v)
				}
			}
			if y := tc.layer.Forward(&nn.Context{Seed: 9, Step: 5}, x); !slices.Equal(y.Data, evalOut.Data) {
				t.Fatal("evaluation after training steps must use all weights")
			}
			for i, s := range sum {
				mean := s / steps
				sd := math.Sqrt(max(sq[i]/steps-mean*mean, 0) / steps) // standard error
				if d := math.Abs(mean - float64(evalOut.Data[i])); d > 5*sd+1e-5 {
					t.Fatalf("output %d: mean over %d steps %v, evaluation %v (standard error %v)", i, steps, mean, evalOut.Data[i], sd)
				}
			}
		})
	}
}

func TestDropConnectValidationAndDescribe(t *testing.T) {
	l := dcLinear(1, 0)
	if _, err := l.OutShape([]int{6}); err == nil {
		t.Error("DropConnect 1 must be rejected")
	}
	c := dcConv(-0.1, 0)
	if _, err := c.OutShape([]int{2, 5, 5}); err == nil {
		t.Error("DropConnect -0.1 must be rejected")
	}
	l.DropConnect, c.DropConnect = 0.25, 0.5
	for _, tc := range []struct{ got, want string }{
		{l.Describe(), "Linear(6→4, dropconnect 0.25)"},
		{c.Describe(), "Conv2d(2→3, 3x3, stride 1, pad 1, dropconnect 0.5)"},
	} {
		if tc.got != tc.want {
			t.Errorf("Describe() = %q, want %q", tc.got, tc.want)
		}
	}
}

func TestDropConnectSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	for _, tc := range []struct {
		layer   nn.Layer
		in      []int
		threads int
	}{
		{dcLinear(0.5, 1), []int{4, 6}, 0},
		{dcConv(0.5, 2), []int{4, 2, 8, 8}, 0},
		{dcConv(0.5, 2), []int{11, 2, 8, 8}, 3},
	} {
		t.Run(fmt.Sprintf("%s_threads%d", tc.layer.Describe(), tc.threads), func(t *testing.T) {
			ctx := &nn.Context{Train: true, Seed: 1, Pool: testPool(t, tc.threads)}
			x := nntest.RandomInput(1, tc.in...)
			y := tc.layer.Forward(ctx, x)
			dy := nntest.RandomInput(2, y.Shape...)
			tc.layer.Backward(ctx, dy)
			if n := testing.AllocsPerRun(10, func() {
				ctx.Step++
				tc.layer.Forward(ctx, x)
				tc.layer.Backward(ctx, dy)
			}); n != 0 {
				t.Fatalf("%v allocations per step", n)
			}
		})
	}
}
