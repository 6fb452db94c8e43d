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

// fmpVariants are the four region × sequence kinds.
var fmpVariants = []struct{ overlapping, pseudo bool }{{false, false}, {false, true}, {true, false}, {true, true}}

func TestFractionalMaxPoolOutShape(t *testing.T) {
	f := nn.NewFractionalMaxPool2d(math.Sqrt2, false, true, 0)
	for _, tc := range []struct{ in, want []int }{
		{[]int{3, 32, 32}, []int{3, 22, 22}}, // ⌊32/√2⌋ = 22
		{[]int{1, 10, 7}, []int{1, 7, 4}},
		{[]int{2, 2, 2}, []int{2, 1, 1}},
	} {
		got, err := f.OutShape(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("OutShape(%v) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		y := f.Forward(&nn.Context{Train: true}, nntest.RandomInput(1, append([]int{2}, tc.in...)...))
		if !slices.Equal(y.Shape[1:], tc.want) {
			t.Errorf("Forward of %v gives %v", tc.in, y.Shape)
		}
	}
	for _, in := range [][]int{{3, 1, 5}, {3, 5}, {0, 4, 4}} {
		if _, err := f.OutShape(in); err == nil {
			t.Errorf("OutShape(%v): want error", in)
		}
	}
	for _, bad := range []*nn.FractionalMaxPool2d{{Ratio: 1}, {Ratio: 2}, {Ratio: 1.5, TestDraws: -1}} {
		if _, err := bad.OutShape([]int{1, 8, 8}); err == nil {
			t.Errorf("%+v: want error", *bad)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("NewFractionalMaxPool2d(2.5): want a panic")
			}
		}()
		nn.NewFractionalMaxPool2d(2.5, false, false, 0)
	}()
	want := "FractionalMaxPool2d(ratio 1.5, overlapping, random, 3 test draws)"
	if d := (&nn.FractionalMaxPool2d{Ratio: 1.5, Overlapping: true, TestDraws: 3}).Describe(); d != want {
		t.Errorf("Describe() = %q, want %q", d, want)
	}
}

// regionsOf returns the [lo, hi) input ranges of an axis' outputs.
func regionsOf(a []int, n int, overlapping bool) [][2]int {
	var out [][2]int
	for i := 0; i+1 < len(a); i++ {
		hi := a[i+1]
		if overlapping {
			hi = min(hi+1, n)
		}
		out = append(out, [2]int{a[i], hi})
	}
	return out
}

// TestFractionalMaxPoolRegions checks the boundaries of many draws: from 0
// to the input size, increments of 1 or 2 (as many 2s as the size demands
// for the random sequence), regions covering every input row; and each
// output is the maximum of its region.
func TestFractionalMaxPoolRegions(t *testing.T) {
	for _, v := range fmpVariants {
		for _, ratio := range []float64{1.1, math.Sqrt2, 1.5, 1.9} {
			t.Run(fmt.Sprintf("overlap=%v_pseudo=%v_r=%.3g", v.overlapping, v.pseudo, ratio), func(t *testing.T) {
				f := nn.NewFractionalMaxPool2d(ratio, v.overlapping, v.pseudo, 5)
				const h, w = 25, 14
				x := spacedInput(3, 2, 3, h, w)
				seen := map[string]bool{}
				for step := range int64(50) {
					y := f.Forward(&nn.Context{Train: true, Seed: 1, Step: step}, x)
					oh, ow := y.Shape[2], y.Shape[3]
					rows, cols := f.Boundaries(0)
					seen[fmt.Sprint(rows, cols)] = true
					for _, ax := range []struct {
						a    []int
						n, m int
					}{{rows, h, oh}, {cols, w, ow}} {
						if len(ax.a) != ax.m+1 || ax.a[0] != 0 || ax.a[ax.m] != ax.n {
							t.Fatalf("boundaries %v for %d → %d", ax.a, ax.n, ax.m)
						}
						twos := 0
						for i := 0; i < ax.m; i++ {
							switch ax.a[i+1] - ax.a[i] {
							case 1:
							case 2:
								twos++
							default:
								t.Fatalf("boundaries %v: increment not 1 or 2", ax.a)
							}
						}
						if twos != ax.n-ax.m {
							t.Fatalf("boundaries %v: %d increments of 2, want %d", ax.a, twos, ax.n-ax.m)
						}
						covered := make([]int, ax.n)
						for _, r := range regionsOf(ax.a, ax.n, v.overlapping) {
							for k := r[0]; k < r[1]; k++ {
								covered[k]++
							}
						}
						for k, c := range covered {
							if c == 0 {
								t.Fatalf("boundaries %v: input %d in no region", ax.a, k)
							}
						}
					}
					// Every output is its region's maximum.
					rr, cr := regionsOf(rows, h, v.overlapping), regionsOf(cols, w, v.overlapping)
					for pl := 0; pl < 6; pl++ {
						for i, r := range rr {
							for j, c := range cr {
								best := float32(math.Inf(-1))
								for a := r[0]; a < r[1]; a++ {
									for b := c[0]; b < c[1]; b++ {
										best = max(best, x.Data[pl*h*w+a*w+b])
									}
								}
								if got := y.Data[pl*oh*ow+i*ow+j]; got != best {
									t.Fatalf("plane %d output (%d,%d) = %v, region max %v", pl, i, j, got, best)
								}
							}
						}
					}
				}
				if len(seen) < 10 {
					t.Fatalf("only %d distinct draws in 50 steps", len(seen))
				}
			})
		}
	}
}

// TestFractionalMaxPoolDeterminism: training draws are fixed by (seed,
// step, salt); evaluation does not depend on the seed or step, and with
// TestDraws = k it averages k single-draw poolings.
func TestFractionalMaxPoolDeterminism(t *testing.T) {
	x := spacedInput(4, 2, 2, 11, 9)
	f := nn.NewFractionalMaxPool2d(1.6, true, false, 2)
	train := &nn.Context{Train: true, Seed: 3, Step: 4}
	a := f.Forward(train, x).Clone()
	if !slices.Equal(a.Data, f.Forward(train, x).Data) {
		t.Fatal("the same Context gave different outputs")
	}
	differ := func(c *nn.Context, salt uint64) bool {
		g := nn.NewFractionalMaxPool2d(1.6, true, false, salt)
		for s := range int64(5) { // some later step must differ
			cc := *c
			cc.Step += s
			if !slices.Equal(a.Data, g.Forward(&cc, x).Data) {
				return true
			}
		}
		return false
	}
	if !differ(&nn.Context{Train: true, Seed: 3, Step: 5}, 2) || !differ(&nn.Context{Train: true, Seed: 4, Step: 4}, 2) ||
		!differ(&nn.Context{Train: true, Seed: 3, Step: 4}, 9) {
		t.Fatal("the draws do not change with the step, seed or salt")
	}
	for _, k := range []int{0, 1, 4} {
		f.TestDraws = k
		e := f.Forward(&nn.Context{}, x).Clone()
		for _, c := range []*nn.Context{{Seed: 1, Step: 2}, {Seed: 77, Step: 1000}} {
			if !slices.Equal(e.Data, f.Forward(c, x).Data) {
				t.Fatalf("TestDraws %d: evaluation depends on the context", k)
			}
		}
		if k <= 1 {
			if f.Draws() != 1 {
				t.Fatalf("TestDraws %d: %d draws", k, f.Draws())
			}
			continue
		}
		if f.Draws() != k {
			t.Fatalf("TestDraws %d: %d draws", k, f.Draws())
		}
		mean := make([]float64, len(e.Data))
		h, w, oh, ow := 11, 9, e.Shape[2], e.Shape[3]
		for d := range k {
			rows, cols := f.Boundaries(d)
			rr, cr := regionsOf(rows, h, true), regionsOf(cols, w, true)
			for pl := 0; pl < 4; pl++ {
				for i, r := range rr {
					for j, c := range cr {
						best := float32(math.Inf(-1))
						for a := r[0]; a < r[1]; a++ {
							for b := c[0]; b < c[1]; b++ {
								best = max(best, x.Data[pl*h*w+a*w+b])
							}
						}
						mean[pl*oh*ow+i*ow+j] += float64(best) / float64(k)
					}
				}
			}
		}
		for i, m := range mean {
			if math.Abs(m-float64(e.Data[i])) > 1e-6 {
				t.Fatalf("TestDraws %d: output %d = %v, mean of the draws' maxima %v", k, i, e.Data[i], m)
			}
		}
		// A different TestSeed gives different fixed draws.
		f.TestSeed = 1
		if slices.Equal(e.Data, f.Forward(&nn.Context{}, x).Data) {
			t.Fatal("TestSeed does not change the evaluation draws")
		}
		f.TestSeed = 0
	}
}

// TestFractionalMaxPoolGradients checks Backward against finite
// differences with the draw held fixed, in training for every variant and
// in evaluation with one and several draws.
func TestFractionalMaxPoolGradients(t *testing.T) {
	train := &nn.Context{Train: true, Seed: 2, Step: 3}
	for _, v := range fmpVariants {
		t.Run(fmt.Sprintf("train_overlap=%v_pseudo=%v", v.overlapping, v.pseudo), func(t *testing.T) {
			f := nn.NewFractionalMaxPool2d(1.45, v.overlapping, v.pseudo, 1)
			nntest.CheckLayer(t, f, spacedInput(9, 2, 2, 9, 7), nntest.Options{Seed: 3, Context: train})
		})
	}
	for _, k := range []int{1, 3} {
		t.Run(fmt.Sprintf("eval_draws%d", k), func(t *testing.T) {
			f := nn.NewFractionalMaxPool2d(1.45, true, true, 1)
			f.TestDraws = k
			nntest.CheckLayer(t, f, spacedInput(9, 2, 2, 9, 7), nntest.Options{Seed: 3, Context: &nn.Context{}})
		})
	}
}

func TestFractionalMaxPoolNaN(t *testing.T) {
	f := nn.NewFractionalMaxPool2d(1.5, false, false, 0)
	x := tensor.New(1, 1, 3, 3)
	for i := range x.Data {
		x.Data[i] = float32(math.NaN())
	}
	for _, v := range f.Forward(&nn.Context{Train: true}, x).Data {
		if !math.IsNaN(float64(v)) {
			t.Fatalf("NaN input gave %v", v)
		}
	}
}

func TestFractionalMaxPoolSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	for _, train := range []bool{true, false} {
		t.Run(fmt.Sprintf("train=%v", train), func(t *testing.T) {
			f := nn.NewFractionalMaxPool2d(math.Sqrt2, true, true, 1)
			f.TestDraws = 3
			ctx := &nn.Context{Train: train}
			x := nntest.RandomInput(1, 4, 3, 16, 16)
			y := f.Forward(ctx, x)
			dy := nntest.RandomInput(2, y.Shape...)
			f.Backward(ctx, dy)
			if n := testing.AllocsPerRun(10, func() {
				ctx.Step++
				f.Forward(ctx, x)
				f.Backward(ctx, dy)
			}); n != 0 {
				t.Fatalf("%v allocations per step", n)
			}
		})
	}
}
