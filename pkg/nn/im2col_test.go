package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// naiveIm2col is im2col by its definition.
func naiveIm2col(g convGeom, xn []float32) []float32 {
	col := make([]float32, g.c*g.kh*g.kw*g.oh*g.ow)
	p := g.oh * g.ow
	for ch := range g.c {
		for u := range g.kh {
			for v := range g.kw {
				row := ((ch*g.kh+u)*g.kw + v) * p
				for i := range g.oh {
					for j := range g.ow {
						y, x := i*g.sh-g.ph+u, j*g.sw-g.pw+v
						if y >= 0 && y < g.h && x >= 0 && x < g.w {
							col[row+i*g.ow+j] = xn[(ch*g.h+y)*g.w+x]
						}
					}
				}
			}
		}
	}
	return col
}

// TestIm2col checks im2col, on both its paths (shifted planes for unit
// stride with equal row lengths, padded rows otherwise), against the
// definition over kernel sizes, strides, paddings and plane shapes.
func TestIm2col(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ c, h, w, kh, kw, s, p int }{
		{4, 7, 7, 3, 3, 1, 1}, {5, 28, 28, 3, 3, 1, 1}, {4, 14, 14, 3, 3, 1, 1}, {4, 5, 9, 5, 5, 1, 2},
		{4, 6, 4, 3, 3, 1, 1}, {4, 9, 11, 1, 1, 1, 0}, {2, 8, 8, 3, 3, 2, 1}, {2, 28, 28, 3, 3, 2, 1},
		{2, 7, 7, 3, 3, 2, 1}, {1, 10, 12, 4, 2, 3, 1}, {2, 5, 5, 3, 3, 1, 0}, {1, 4, 4, 3, 3, 1, 3},
		{4, 33, 31, 3, 3, 1, 1}, {4, 2, 40, 3, 3, 1, 1}, {4, 34, 34, 3, 3, 1, 1}, {4, 6, 6, 7, 7, 1, 3}, {1, 28, 28, 3, 3, 1, 1},
	} {
		oh, ow := (tc.h+2*tc.p-tc.kh)/tc.s+1, (tc.w+2*tc.p-tc.kw)/tc.s+1
		g := convGeom{c: tc.c, h: tc.h, w: tc.w, kh: tc.kh, kw: tc.kw, sh: tc.s, sw: tc.s, ph: tc.p, pw: tc.p, oh: oh, ow: ow}
		t.Run(fmt.Sprintf("%+v", tc), func(t *testing.T) {
			x := make([]float32, tc.c*tc.h*tc.w)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			want := naiveIm2col(g, x)
			p := oh * ow
			shift := g.usesShift()
			var masks []uint16 // nil: im2col builds them
			if shift && tc.c%2 == 0 {
				masks = g.shiftMasks(make([]uint16, 3)) // a short buffer to grow
			}
			// As one example of a group: rows ld apart, at column offset off.
			for _, lay := range []struct{ ld, off int }{{p, 0}, {3 * p, p}, {2*p + 5, 0}} {
				rows := len(want) / p
				col := make([]float32, rows*lay.ld)
				for i := range col {
					col[i] = -7 // other examples' values must stay
				}
				g.im2col(x, col[lay.off:], lay.ld, masks)
				for i, v := range col {
					r, j := i/lay.ld, i%lay.ld-lay.off
					w := float32(-7)
					if j >= 0 && j < p {
						w = want[r*p+j]
					}
					if v != w {
						t.Fatalf("ld %d offset %d: col[%d] = %v, want %v (shift path %v)", lay.ld, lay.off, i, v, w, shift)
					}
				}
			}
		})
	}
}

func TestSetBits(t *testing.T) {
	for _, r := range [][2]int{{0, 0}, {0, 16}, {3, 5}, {15, 17}, {1, 63}, {16, 32}, {5, 64}} {
		w := make([]uint16, 4)
		setBits(w, r[0], r[1])
		for q := range 64 {
			if got, want := w[q/16]&(1<<(q%16)) != 0, q >= r[0] && q < r[1]; got != want {
				t.Fatalf("setBits(%d, %d): bit %d = %v", r[0], r[1], q, got)
			}
		}
	}
}
