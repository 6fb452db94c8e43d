package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// tagFractionalPoolEval separates the evaluation draws of
// FractionalMaxPool2d (indexed by draw, from TestSeed) from its training
// draws (indexed by step, from the run's seed).
const tagFractionalPoolEval uint64 = 4

// FractionalMaxPool2d is fractional max-pooling (Graham 2014, "Fractional
// Max-Pooling", arXiv:1412.6071): it shrinks each spatial axis by a
// non-integer ratio, taking the maximum over regions of 1 or 2 rows
// (columns) whose boundaries are drawn at random.
//
// Along an axis of size n the output has m = ⌊n/Ratio⌋ entries. With
// α = n/m (the ratio actually achieved, ≥ Ratio), the boundaries
// 0 = a₀ < a₁ < … < a_m = n are
//
//   - PseudoRandom: aᵢ = ⌈α(i+u)⌉ − ⌈αu⌉ with one uniform u ∈ [0, 1)
//     (the paper's pseudo-random sequence, shifted to start at 0);
//   - otherwise (random): the running sums of a random permutation of
//     n − q·m increments of q+1 and the rest of q, q = ⌊α⌋.
//
// Increments are ⌊α⌋ or ⌈α⌉: 1 or 2 whenever n ≤ 2m, i.e. for all but
// tiny inputs (n ≥ 2·Ratio/(2−Ratio)). Output i pools rows [aᵢ, aᵢ₊₁)
// (disjoint) or, with Overlapping, [aᵢ, aᵢ₊₁] clipped to the input (the
// paper's overlapping regions, which share their boundary row). Rows and
// columns get independent sequences; one draw serves the whole batch and
// every channel.
//
// In training the draws come from (c.Seed, c.Step, Salt), fresh each step.
// In evaluation the output is deterministic: with TestDraws ≤ 1 it uses one
// fixed draw from TestSeed (and Salt); with TestDraws = k > 1 it is the
// average of the poolings of k fixed draws (draws 0…k−1 from TestSeed), a
// per-layer form of the paper's test-time averaging over several random
// poolings (which averages whole-network predictions instead: run the
// model with different TestSeed values for that).
//
// The gradient of each region's output goes to its maximum (the first in
// row-major order on ties; divided by k when averaging k draws). NaN
// inputs propagate, as in MaxPool2d.
type FractionalMaxPool2d struct {
	// Ratio is the reduction per axis, in (1, 2) (√2 in the paper).
	Ratio float64
	// Overlapping makes adjacent regions share their boundary row/column.
	Overlapping bool
	// PseudoRandom selects the pseudo-random boundary sequence instead of
	// the random one.
	PseudoRandom bool
	// Salt distinguishes this layer's draws from other layers'.
	Salt uint64
	// TestSeed fixes the evaluation draws; TestDraws (≤ 1: one) is how many
	// are averaged in evaluation.
	TestSeed  uint64
	TestDraws int

	xShape []int          // shape of the last input (N, C, H, W)
	y      *tensor.Tensor // output buffer (N, C, OH, OW)
	dx     *tensor.Tensor // input-gradient buffer (N, C, H, W)
	draws  int            // draws of the last Forward
	rows   []int          // draws × (OH+1) row boundaries
	cols   []int          // draws × (OW+1) column boundaries
	argmax []int32        // draws × N·C·OH·OW: index of each region's maximum within its input plane
	rand   stepRand
}

// NewFractionalMaxPool2d returns a fractional max-pooling layer with the
// given ratio (in (1, 2)), region kind, sequence kind and per-layer salt,
// evaluating with one fixed draw (TestSeed 0). It panics on a ratio outside
// (1, 2).
func NewFractionalMaxPool2d(ratio float64, overlapping, pseudoRandom bool, salt uint64) *FractionalMaxPool2d {
	f := &FractionalMaxPool2d{Ratio: ratio, Overlapping: overlapping, PseudoRandom: pseudoRandom, Salt: salt}
	if err := f.checkSettings(); err != nil {
		panic("nn: " + err.Error())
	}
	return f
}

func (f *FractionalMaxPool2d) checkSettings() error {
	if !(f.Ratio > 1 && f.Ratio < 2) {
		return fmt.Errorf("fractional max-pooling ratio must be in (1, 2), got %v", f.Ratio)
	}
	if f.TestDraws < 0 {
		return fmt.Errorf("fractional max-pooling test draws must be ≥ 0, got %d", f.TestDraws)
	}
	return nil
}

// outSize returns ⌊n/Ratio⌋.
func (f *FractionalMaxPool2d) outSize(n int) int {
	return int(math.Floor(float64(n) / f.Ratio))
}

// check validates a per-example input shape (C, H, W) and returns the
// output height and width.
func (f *FractionalMaxPool2d) check(in []int) (oh, ow int, err error) {
	if err := f.checkSettings(); err != nil {
		return 0, 0, err
	}
	if len(in) != 3 {
		return 0, 0, fmt.Errorf("expects an image (channels, height, width), got shape %v", in)
	}
	if in[0] < 1 || in[1] < 1 || in[2] < 1 {
		return 0, 0, fmt.Errorf("expects a non-empty image, got shape %v", in)
	}
	oh, ow = f.outSize(in[1]), f.outSize(in[2])
	if oh < 1 || ow < 1 {
		return 0, 0, fmt.Errorf("%dx%d input is smaller than the ratio %v: the output would be empty", in[1], in[2], f.Ratio)
	}
	return oh, ow, nil
}

// fracBoundaries fills a (m+1 values) with region boundaries for an axis of
// n → m, as FractionalMaxPool2d describes.
func fracBoundaries(a []int, n, m int, pseudo bool, r *rand.Rand) {
	a[0] = 0
	if pseudo {
		alpha := float64(n) / float64(m)
		u := r.Float64()
		base := math.Ceil(alpha * u)
		for i := 1; i < m; i++ {
			b := int(math.Ceil(alpha*(float64(i)+u)) - base)
			// Guard against round-off: keep every region non-empty.
			a[i] = min(max(b, a[i-1]+1), n-(m-i))
		}
		a[m] = n
		return
	}
	q := n / m
	long := n - q*m // increments of q+1
	inc := a[1:]
	for i := range inc {
		inc[i] = q
		if i < long {
			inc[i] = q + 1
		}
	}
	for i := len(inc) - 1; i > 0; i-- { // Fisher–Yates
		j := r.IntN(i + 1)
		inc[i], inc[j] = inc[j], inc[i]
	}
	for i := 1; i <= m; i++ {
		a[i] += a[i-1]
	}
}

// region returns the input rows [lo, hi) of output i for boundaries a over
// an axis of size n.
func (f *FractionalMaxPool2d) region(a []int, i, n int) (lo, hi int) {
	lo, hi = a[i], a[i+1]
	if f.Overlapping {
		hi = min(hi+1, n)
	}
	return lo, hi
}

// Forward: x is (N, C, H, W), returns y (N, C, OH, OW) with
// OH = ⌊H/Ratio⌋, OW = ⌊W/Ratio⌋.
func (f *FractionalMaxPool2d) Forward(c *Context, x *tensor.Tensor) *tensor.Tensor {
	if len(x.Shape) != 4 {
		panic(fmt.Sprintf("nn: %s got input %v, want (N, C, H, W)", f.Describe(), x.Shape))
	}
	oh, ow, err := f.check(x.Shape[1:])
	if err != nil {
		panic(fmt.Sprintf("nn: %s got input %v: %v", f.Describe(), x.Shape, err))
	}
	n, ch, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	f.xShape = x.Shape
	f.y = reuse4(f.y, n, ch, oh, ow)
	train := c != nil && c.Train // a nil Context evaluates
	f.draws = 1
	if !train {
		f.draws = max(f.TestDraws, 1)
	}
	planes, p := n*ch, oh*ow
	f.rows = reuseInts(f.rows, f.draws*(oh+1))
	f.cols = reuseInts(f.cols, f.draws*(ow+1))
	if cap(f.argmax) < f.draws*planes*p {
		f.argmax = make([]int32, f.draws*planes*p)
	}
	f.argmax = f.argmax[:f.draws*planes*p]
	scale := 1 / float32(f.draws)
	for d := 0; d < f.draws; d++ {
		var r *rand.Rand
		if train {
			r = f.rand.reseed(c.Seed, uint64(c.Step), f.Salt, tagFractionalPool)
		} else {
			r = f.rand.reseed(f.TestSeed, uint64(d), f.Salt, tagFractionalPoolEval)
		}
		rows, cols := f.rows[d*(oh+1):(d+1)*(oh+1)], f.cols[d*(ow+1):(d+1)*(ow+1)]
		fracBoundaries(rows, h, oh, f.PseudoRandom, r)
		fracBoundaries(cols, w, ow, f.PseudoRandom, r)
		for pl := 0; pl < planes; pl++ {
			xp := x.Data[pl*h*w : (pl+1)*h*w]
			yp := f.y.Data[pl*p : (pl+1)*p]
			ap := f.argmax[(d*planes+pl)*p : (d*planes+pl+1)*p]
			for i := 0; i < oh; i++ {
				r0, r1 := f.region(rows, i, h)
				for j := 0; j < ow; j++ {
					c0, c1 := f.region(cols, j, w)
					best, arg := xp[r0*w+c0], r0*w+c0
					for rr := r0; rr < r1; rr++ {
						row := xp[rr*w : rr*w+c1]
						for cc := c0; cc < c1; cc++ {
							// v != v: the first NaN wins and propagates.
							if v := row[cc]; v > best || (v != v && best == best) {
								best, arg = v, rr*w+cc
							}
						}
					}
					ap[i*ow+j] = int32(arg)
					switch {
					case f.draws == 1:
						yp[i*ow+j] = best
					case d == 0:
						yp[i*ow+j] = best * scale
					default:
						yp[i*ow+j] += best * scale
					}
				}
			}
		}
	}
	return f.y
}

// Backward: dy is (N, C, OH, OW); routes each gradient to its region's
// maximum (split evenly over the draws when evaluating several) and
// returns dx (N, C, H, W).
func (f *FractionalMaxPool2d) Backward(_ *Context, dy *tensor.Tensor) *tensor.Tensor {
	if !dy.SameShape(f.y.Shape) {
		panic(fmt.Sprintf("nn: %s backward got dy %v, want %v", f.Describe(), dy.Shape, f.y.Shape))
	}
	f.dx = tensor.Ensure(f.dx, f.xShape...)
	f.dx.Zero()
	hw := f.xShape[2] * f.xShape[3]
	planes, p := f.xShape[0]*f.xShape[1], f.y.Shape[2]*f.y.Shape[3]
	scale := 1 / float32(f.draws)
	for d := 0; d < f.draws; d++ {
		for pl := 0; pl < planes; pl++ {
			dxp := f.dx.Data[pl*hw : (pl+1)*hw]
			ap := f.argmax[(d*planes+pl)*p : (d*planes+pl+1)*p]
			for o, g := range dy.Data[pl*p : (pl+1)*p] {
				if f.draws > 1 {
					g *= scale
				}
				dxp[ap[o]] += g
			}
		}
	}
	return f.dx
}

// Boundaries returns the row and column boundaries (OH+1 and OW+1 values,
// from 0 to H and W) of draw d of the last Forward (d < Draws()). They are
// owned by the layer; nil before the first Forward.
func (f *FractionalMaxPool2d) Boundaries(d int) (rows, cols []int) {
	if f.draws == 0 {
		return nil, nil
	}
	nr, nc := len(f.rows)/f.draws, len(f.cols)/f.draws
	return f.rows[d*nr : (d+1)*nr], f.cols[d*nc : (d+1)*nc]
}

// Draws returns how many draws the last Forward pooled with: 1 in
// training, max(TestDraws, 1) in evaluation.
func (f *FractionalMaxPool2d) Draws() int { return f.draws }

// Params returns nil: FractionalMaxPool2d has no parameters.
func (f *FractionalMaxPool2d) Params() []*Param { return nil }

// OutShape requires an image (C, H, W) and returns (C, ⌊H/Ratio⌋,
// ⌊W/Ratio⌋); it is an error if the settings are invalid or the output
// would be empty.
func (f *FractionalMaxPool2d) OutShape(in []int) ([]int, error) {
	oh, ow, err := f.check(in)
	if err != nil {
		return nil, err
	}
	return []int{in[0], oh, ow}, nil
}

// Describe returns "FractionalMaxPool2d(ratio r, disjoint|overlapping,
// random|pseudo-random)", with ", k test draws" when averaging.
func (f *FractionalMaxPool2d) Describe() string {
	kind, seq := "disjoint", "random"
	if f.Overlapping {
		kind = "overlapping"
	}
	if f.PseudoRandom {
		seq = "pseudo-random"
	}
	s := fmt.Sprintf("FractionalMaxPool2d(ratio %g, %s, %s", f.Ratio, kind, seq)
	if f.TestDraws > 1 {
		s += fmt.Sprintf(", %d test draws", f.TestDraws)
	}
	return s + ")"
}

// reuseInts is reuseFloats for ints.
func reuseInts(buf []int, n int) []int {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]int, n)
}
