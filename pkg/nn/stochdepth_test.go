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

// identityLayer is a parameterless identity, used as act2 so that a
// block's output is its pre-activation.
type identityLayer struct{ y, dx *tensor.Tensor }

func (l *identityLayer) Forward(_ *nn.Context, x *tensor.Tensor) *tensor.Tensor {
	l.y = tensor.Ensure(l.y, x.Shape...)
	copy(l.y.Data, x.Data)
	return l.y
}

func (l *identityLayer) Backward(_ *nn.Context, dy *tensor.Tensor) *tensor.Tensor {
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	copy(l.dx.Data, dy.Data)
	return l.dx
}
func (l *identityLayer) Params() []*nn.Param              { return nil }
func (l *identityLayer) OutShape(in []int) ([]int, error) { return slices.Clone(in), nil }
func (l *identityLayer) Describe() string                 { return "Identity" }

// stepWithDrops returns the first step ≥ from at which a block's draws
// (batch n) drop exactly `dropped` examples.
func stepWithDrops(t *testing.T, b *nn.BasicBlock, x *tensor.Tensor, seed uint64, dropped int) int64 {
	t.Helper()
	for s := int64(0); s < 10000; s++ {
		b.Forward(&nn.Context{Train: true, Seed: seed, Step: s}, x)
		z := 0
		for _, k := range b.DropMask() {
			if k == 0 {
				z++
			}
		}
		if z == dropped {
			return s
		}
	}
	t.Fatalf("no step drops %d examples", dropped)
	return 0
}

// TestStochasticDepthGradients checks Backward against finite differences
// with the draws held fixed (the same Context draws the same mask), for a
// batch mixing kept and dropped examples, one with all kept and one with all
// dropped, and in evaluation.
func TestStochasticDepthGradients(t *testing.T) {
	const n = 4
	for _, shape := range []struct {
		name              string
		inC, outC, stride int
	}{{"identity", 3, 3, 1}, {"projection", 3, 6, 2}} {
		for _, outcome := range []string{"mixed", "all_kept", "all_dropped", "eval"} {
			t.Run(shape.name+"_"+outcome, func(t *testing.T) {
				b := randomBlock(t, shape.inC, shape.outC, shape.stride, "gelu", 5)
				b.DropProb, b.DropSalt = 0.5, 3
				x := nntest.RandomInput(6, n, shape.inC, 4, 4)
				ctx := &nn.Context{Seed: 8}
				switch outcome {
				case "mixed":
					ctx.Train, ctx.Step = true, stepWithDrops(t, b, x, 8, 2)
				case "all_kept":
					ctx.Train, ctx.Step = true, stepWithDrops(t, b, x, 8, 0)
				case "all_dropped":
					ctx.Train, ctx.Step = true, stepWithDrops(t, b, x, 8, n)
				}
				nntest.CheckLayer(t, b, x, nntest.Options{Seed: 2, Eps: 1e-3, AbsTol: 5e-3, Context: ctx})
				m := b.DropMask()
				if !ctx.Train {
					if m != nil {
						t.Fatal("evaluation must not drop")
					}
					return
				}
				t.Logf("step %d, factors %v", ctx.Step, m)
				if outcome == "all_dropped" {
					// The branch gets no gradient at all.
					for _, p := range b.Params() {
						if p.Name == "conv1.weight" || p.Name == "conv2.weight" || p.Name == "bn2.weight" {
							for _, g := range p.Grad.Data {
								if g != 0 {
									t.Fatalf("%s has gradient %v with every branch dropped", p.Name, g)
								}
							}
						}
					}
				}
			})
		}
	}
}

// TestStochasticDepthForward checks the training output example by
// example: act2(shortcut) where dropped, act2(branch/(1−p) + shortcut)
// where kept; and that evaluation is the full block, unscaled and
// deterministic.
func TestStochasticDepthForward(t *testing.T) {
	const p = 0.25
	for _, proj := range []bool{false, true} {
		t.Run(fmt.Sprintf("projection=%v", proj), func(t *testing.T) {
			outC, stride := 3, 1
			if proj {
				outC, stride = 5, 2
			}
			idAct := func() (nn.Layer, error) { return &identityLayer{}, nil }
			mk := func(drop float64) *nn.BasicBlock {
				b, err := nn.NewBasicBlock(3, outC, stride, idAct)
				if err != nil {
					t.Fatal(err)
				}
				randomizeBlock(b, 11)
				b.DropProb, b.DropSalt = drop, 1
				return b
			}
			b, plain := mk(p), mk(0)
			x := nntest.RandomInput(3, 8, 3, 4, 4)
			full := plain.Forward(&nn.Context{Train: true}, x).Clone()
			short := x
			if plain.Shortcut != nil {
				short = plain.Shortcut.Forward(&nn.Context{Train: true}, x)
			}
			per := len(full.Data) / 8
			// Training, many steps: each example is exactly one of the two
			// outcomes, and the mean over steps approaches the full block.
			const steps = 4000
			mean := make([]float64, len(full.Data))
			kept := 0
			ctx := &nn.Context{Train: true, Seed: 4}
			for s := range steps {
				ctx.Step = int64(s)
				y := b.Forward(ctx, x)
				for e, k := range b.DropMask() {
					if k != 0 {
						kept++
						if k != float32(1/(1-p)) {
							t.Fatalf("factor %v", k)
						}
					}
					for i := e * per; i < (e+1)*per; i++ {
						h := full.Data[i] - short.Data[i] // the branch
						want := short.Data[i] + k*h
						if math.Abs(float64(y.Data[i]-want)) > 1e-5 {
							t.Fatalf("step %d example %d: y %v, want %v (factor %v)", s, e, y.Data[i], want, k)
						}
					}
				}
				for i, v := range y.Data {
					mean[i] += float64(v) / steps
				}
			}
			if f := float64(kept) / (8 * steps); math.Abs(f-(1-p)) > 0.01 {
				t.Fatalf("kept fraction %v, want %v", f, 1-p)
			}
			for i, m := range mean {
				h := float64(full.Data[i] - short.Data[i])
				// Standard error of the mean of k·h: |h|·sqrt(p/(1−p)/steps).
				se := math.Abs(h) * math.Sqrt(p/(1-p)/steps)
				if d := math.Abs(m - float64(full.Data[i])); d > 5*se+1e-4 {
					t.Fatalf("output %d: mean %v over %d steps, full block %v", i, m, steps, full.Data[i])
				}
			}
			// Evaluation: the full block, whatever the seed and step (with
			// the running statistics the training steps left).
			for i, buf := range plain.Buffers() {
				copy(buf.Value.Data, b.Buffers()[i].Value.Data)
			}
			want := plain.Forward(&nn.Context{}, x).Clone()
			for _, c := range []*nn.Context{{}, {Seed: 1, Step: 7}, {Seed: 99, Step: 1234}} {
				if y := b.Forward(c, x); !slices.Equal(y.Data, want.Data) {
					t.Fatal("evaluation must be the full block, deterministic")
				}
				if b.DropMask() != nil {
					t.Fatal("evaluation must not drop")
				}
			}
		})
	}
}

func TestLinearDropProbs(t *testing.T) {
	got := nn.LinearDropProbs(4, 0.5)
	want := []float64{0.125, 0.25, 0.375, 0.5}
	if !slices.Equal(got, want) {
		t.Fatalf("LinearDropProbs(4, 0.5) = %v, want %v", got, want)
	}
	if len(nn.LinearDropProbs(0, 0.5)) != 0 {
		t.Fatal("no blocks, no probabilities")
	}
	for _, f := range []func(){func() { nn.LinearDropProbs(3, 1) }, func() { nn.LinearDropProbs(-1, 0.1) }} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("want a panic")
				}
			}()
			f()
		}()
	}
}

func TestStochasticDepthValidationAndDescribe(t *testing.T) {
	b := randomBlock(t, 4, 4, 1, "relu", 1)
	b.DropProb = 1
	if _, err := b.OutShape([]int{4, 5, 5}); err == nil {
		t.Error("DropProb 1 must be rejected")
	}
	b.DropProb = 0.2
	if _, err := b.OutShape([]int{4, 5, 5}); err != nil {
		t.Error(err)
	}
	if got := b.Describe(); got != "BasicBlock(4→4, stride 1, drop 0.2)" {
		t.Errorf("Describe() = %q", got)
	}
}

func TestStochasticDepthSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	for _, tc := range []struct {
		name              string
		inC, outC, stride int
	}{{"identity", 4, 4, 1}, {"projection", 4, 8, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			b := randomBlock(t, tc.inC, tc.outC, tc.stride, "relu", 1)
			b.DropProb, b.DropSalt = 0.5, 2
			ctx := &nn.Context{Train: true}
			x := nntest.RandomInput(1, 4, tc.inC, 8, 8)
			y := b.Forward(ctx, x)
			dy := nntest.RandomInput(2, y.Shape...)
			b.Backward(ctx, dy)
			if n := testing.AllocsPerRun(10, func() {
				ctx.Step++
				nn.ZeroGrad(b.Params())
				b.Forward(ctx, x)
				b.Backward(ctx, dy)
			}); n != 0 {
				t.Fatalf("%v allocations per step", n)
			}
		})
	}
}
