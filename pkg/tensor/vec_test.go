package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// withVecAsm runs f with the assembly kernels on (if this CPU has them)
// and then with the Go kernels, naming each run.
func withVecAsm(t *testing.T, f func(t *testing.T, impl string)) {
	saved := useVecAsm
	defer func() { useVecAsm = saved }()
	if saved {
		f(t, "avx512")
	}
	useVecAsm = false
	f(t, "go")
}

func randFloats(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// sentinel marks values a kernel must not touch.
const sentinel = float32(-12345)

func padded(n, extra int) []float32 {
	x := make([]float32, n+extra)
	for i := range x {
		x[i] = sentinel
	}
	return x
}

func checkUntouched(t *testing.T, name string, x []float32, from int) {
	t.Helper()
	for i := from; i < len(x); i++ {
		if x[i] != sentinel {
			t.Fatalf("%s wrote past its end: [%d] = %v", name, i, x[i])
		}
	}
}

var vecLengths = []int{0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 49, 63, 64, 65, 100, 196, 784, 1000}

func TestElementwiseKernels(t *testing.T) {
	withVecAsm(t, func(t *testing.T, impl string) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, n := range vecLengths {
			x, y := randFloats(r, n), randFloats(r, n)
			x = append(x, float32(math.NaN()))[:n] // a NaN just past the end must not be read into the result
			dst := padded(n, 17)
			ReLU(dst[:n], x)
			for i, v := range x {
				if want := float32(math.Max(float64(v), 0)); dst[i] != want {
					t.Fatalf("%s ReLU n=%d [%d] = %v, want %v", impl, n, i, dst[i], want)
				}
			}
			checkUntouched(t, impl+" ReLU", dst, n)

			dst = padded(n, 17)
			ReLUGrad(dst[:n], y, x)
			for i, v := range x {
				want := float32(0)
				if v > 0 {
					want = y[i]
				}
				if dst[i] != want {
					t.Fatalf("%s ReLUGrad n=%d [%d] = %v, want %v", impl, n, i, dst[i], want)
				}
			}
			checkUntouched(t, impl+" ReLUGrad", dst, n)

			dst = padded(n, 17)
			ScaleShift(dst[:n], x, 1.5, -0.25)
			for i, v := range x {
				if want := 1.5*float64(v) - 0.25; math.Abs(float64(dst[i])-want) > 1e-6*(1+math.Abs(want)) {
					t.Fatalf("%s ScaleShift n=%d [%d] = %v, want %v", impl, n, i, dst[i], want)
				}
			}
			checkUntouched(t, impl+" ScaleShift", dst, n)

			dst = padded(n, 17)
			LinComb2(dst[:n], x, y, 0.5, -2, 0.125)
			for i, v := range x {
				if want := 0.5*float64(v) - 2*float64(y[i]) + 0.125; math.Abs(float64(dst[i])-want) > 1e-6*(1+math.Abs(want)) {
					t.Fatalf("%s LinComb2 n=%d [%d] = %v, want %v", impl, n, i, dst[i], want)
				}
			}
			checkUntouched(t, impl+" LinComb2", dst, n)
		}
	})
}

func TestRowKernels(t *testing.T) {
	cases := []struct{ rows, n, dstStride, srcStride int }{
		{1, 0, 0, 0}, {0, 5, 5, 5}, {1, 5, 5, 5}, {3, 28, 28, 30}, {28, 27, 28, 28},
		{14, 14, 16, 14}, {7, 7, 7, 9}, {4, 33, 40, 35}, {2, 64, 64, 64},
	}
	withVecAsm(t, func(t *testing.T, impl string) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, tc := range cases {
			size := func(stride int) int {
				if tc.rows == 0 {
					return 0
				}
				return (tc.rows-1)*stride + tc.n
			}
			src := randFloats(r, size(tc.srcStride))
			base := randFloats(r, size(tc.dstStride))
			dst := append(append([]float32(nil), base...), sentinel, sentinel)
			AddRows(dst, tc.dstStride, src, tc.srcStride, tc.rows, tc.n)
			for i := range base {
				row, j := i/max(tc.dstStride, 1), i%max(tc.dstStride, 1)
				want := base[i]
				if j < tc.n && row < tc.rows {
					want += src[row*tc.srcStride+j]
				}
				if dst[i] != want {
					t.Fatalf("%s %+v: [%d] = %v, want %v", impl, tc, i, dst[i], want)
				}
			}
			checkUntouched(t, impl+" AddRows", dst, len(base))
		}
	})
}

// TestAddRowsSpread2 checks the stride-2 col2im step: every other value of
// each destination row gets a source value, the values between (and past
// the end) stay bit for bit, including a −0.
func TestAddRowsSpread2(t *testing.T) {
	cases := []struct{ rows, n, dstStride, srcStride int }{
		{1, 0, 0, 0}, {0, 5, 9, 5}, {1, 1, 1, 1}, {1, 5, 9, 5}, {3, 8, 15, 8}, {3, 9, 17, 10},
		{7, 7, 14, 7}, {13, 14, 28, 14}, {2, 16, 31, 16}, {2, 17, 40, 20}, {4, 23, 50, 23},
	}
	withVecAsm(t, func(t *testing.T, impl string) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, tc := range cases {
			size := func(stride, n int) int {
				if tc.rows == 0 || tc.n == 0 {
					return 0
				}
				return (tc.rows-1)*stride + n
			}
			src := randFloats(r, size(tc.srcStride, tc.n))
			base := randFloats(r, size(tc.dstStride, 2*tc.n-1))
			for i := 1; i < len(base); i += 2 {
				base[i] = float32(math.Copysign(0, -1))
			}
			dst := append(append([]float32(nil), base...), sentinel, sentinel)
			AddRowsSpread2(dst, tc.dstStride, src, tc.srcStride, tc.rows, tc.n)
			for i := range base {
				row, j := i/max(tc.dstStride, 1), i%max(tc.dstStride, 1)
				want := base[i]
				if j%2 == 0 && j/2 < tc.n && row < tc.rows {
					want += src[row*tc.srcStride+j/2]
				}
				if math.Float32bits(dst[i]) != math.Float32bits(want) {
					t.Fatalf("%s %+v: [%d] = %v, want %v", impl, tc, i, dst[i], want)
				}
			}
			checkUntouched(t, impl+" AddRowsSpread2", dst, len(base))
		}
	})
}

func TestPadPlanes(t *testing.T) {
	cases := []struct {
		planes, dstPlane, srcPlane int
		l                          PlaneLayout
	}{
		{3, 784, 784, PlaneLayout{Head: 28, Rows: 27, Width: 28, Tail: 0, Lead: 1, N: 27, SrcRow: 28}},
		{2, 200, 196, PlaneLayout{Head: 0, Rows: 13, Width: 14, Tail: 14, Lead: 0, N: 13, SrcRow: 14}},
		{4, 49, 49, PlaneLayout{Head: 7, Rows: 5, Width: 7, Tail: 7, Lead: 1, N: 5, SrcRow: 7}},
		{2, 40, 9, PlaneLayout{Head: 40, Rows: 0, Width: 5, Tail: 0, Lead: 0, N: 0, SrcRow: 5}},
		{2, 33, 70, PlaneLayout{Head: 3, Rows: 2, Width: 15, Tail: 0, Lead: 15, N: 0, SrcRow: 20}},
		{1, 100, 100, PlaneLayout{Head: 17, Rows: 2, Width: 33, Tail: 17, Lead: 2, N: 31, SrcRow: 40}},
		{3, 196, 784, PlaneLayout{Head: 0, Rows: 14, Width: 14, Tail: 0, Lead: 0, N: 14, SrcRow: 56, SrcCol: 2}},
		{2, 49, 196, PlaneLayout{Head: 7, Rows: 6, Width: 7, Tail: 0, Lead: 1, N: 6, SrcRow: 28, SrcCol: 2}},
		{2, 60, 200, PlaneLayout{Head: 0, Rows: 1, Width: 40, Tail: 20, Lead: 3, N: 37, SrcRow: 200, SrcCol: 3}},
		{2, 60, 200, PlaneLayout{Head: 0, Rows: 1, Width: 40, Tail: 20, Lead: 3, N: 37, SrcRow: 200, SrcCol: 2}},
		{3, 70, 80, PlaneLayout{Head: 2, Rows: 2, Width: 34, Tail: 0, Lead: 1, N: 32, SrcRow: 65, SrcCol: 2}},
		{3, 70, 80, PlaneLayout{Head: 2, Rows: 2, Width: 34, Tail: 0, Lead: 1, N: 16, SrcRow: 33, SrcCol: 2}},
		{3, 70, 80, PlaneLayout{Head: 2, Rows: 2, Width: 34, Tail: 0, Lead: 1, N: 17, SrcRow: 35, SrcCol: 2}},
		{3, 70, 80, PlaneLayout{Head: 2, Rows: 2, Width: 34, Tail: 0, Lead: 0, N: 9, SrcRow: 35, SrcCol: 2}},
		{3, 70, 80, PlaneLayout{Head: 2, Rows: 2, Width: 34, Tail: 0, Lead: 0, N: 8, SrcRow: 35, SrcCol: 2}},
		{3, 70, 80, PlaneLayout{Head: 2, Rows: 2, Width: 34, Tail: 0, Lead: 0, N: 1, SrcRow: 35, SrcCol: 2}},
		{2, 120, 100, PlaneLayout{Head: 0, Rows: 2, Width: 60, Tail: 0, Lead: 17, N: 10, SrcRow: 30}}, // zeros wider than a vector
		{2, 120, 100, PlaneLayout{Head: 0, Rows: 2, Width: 60, Tail: 0, Lead: 16, N: 28, SrcRow: 30}},
		{2, 120, 100, PlaneLayout{Head: 0, Rows: 2, Width: 60, Tail: 0, Lead: 0, N: 43, SrcRow: 50}},
		{2, 120, 100, PlaneLayout{Head: 0, Rows: 2, Width: 60, Tail: 0, Lead: 0, N: 44, SrcRow: 50}},
	}
	withVecAsm(t, func(t *testing.T, impl string) {
		r := rand.New(rand.NewPCG(13, 14))
		for _, tc := range cases {
			l := tc.l
			src := randFloats(r, tc.planes*tc.srcPlane+50)
			if l.Rows > 0 && l.N > 0 { // exactly as long as the layout reads, so an overrun panics
				src = src[:(tc.planes-1)*tc.srcPlane+(l.Rows-1)*l.SrcRow+(l.N-1)*max(l.SrcCol, 1)+1]
			}
			dst := padded(tc.planes*tc.dstPlane, 5)
			PadPlanes(dst, tc.dstPlane, src, tc.srcPlane, tc.planes, l)
			size := l.Head + l.Rows*l.Width + l.Tail
			for i := range dst {
				pl, e := i/tc.dstPlane, i%tc.dstPlane
				want := sentinel
				if pl < tc.planes && e < size {
					want = 0
					if e >= l.Head && e < l.Head+l.Rows*l.Width {
						row, j := (e-l.Head)/l.Width, (e-l.Head)%l.Width
						if j >= l.Lead && j < l.Lead+l.N {
							want = src[pl*tc.srcPlane+row*l.SrcRow+(j-l.Lead)*max(l.SrcCol, 1)]
						}
					}
				}
				if dst[i] != want {
					t.Fatalf("%s %+v: [%d] = %v, want %v", impl, tc, i, dst[i], want)
				}
			}
		}
	})
}

// TestSGDKernels checks FMA and SGDMomentum against the float64 formula
// (one rounding per fused step) and that assembly and Go agree.
func TestSGDKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range vecLengths {
		for _, tc := range []struct {
			wd       float32
			nesterov bool
		}{{0, false}, {0, true}, {5e-4, false}, {5e-4, true}} {
			g, w0, b0 := randFloats(r, n), randFloats(r, n), randFloats(r, n)
			var results [][]float32
			withVecAsm(t, func(t *testing.T, impl string) {
				w, b := append([]float32(nil), w0...), append([]float32(nil), b0...)
				w = append(w, sentinel)[:n]
				SGDMomentum(w, g, b, tc.wd, 0.1, 0.9, 0.75, tc.nesterov)
				for j := range g {
					gj := float64(g[j])
					if tc.wd != 0 {
						gj = float64(fma32(tc.wd, w0[j], g[j]))
					}
					bj := float32(0.75*float64(float32(gj)) + float64(float32(0.9)*b0[j]))
					u := float64(bj)
					if tc.nesterov {
						u = float64(fma32(0.9, bj, float32(gj)))
					}
					wj := float32(-float64(float32(0.1))*u + float64(w0[j]))
					if b[j] != bj || w[j] != wj {
						t.Fatalf("%s n=%d %+v [%d]: w %v b %v, want %v %v", impl, n, tc, j, w[j], b[j], wj, bj)
					}
				}
				if w[:n+1][n] != sentinel {
					t.Fatalf("%s SGDMomentum wrote past its end", impl)
				}
				d := make([]float32, n)
				FMA(d, g, -0.5, w0)
				for j := range d {
					if want := fma32(-0.5, g[j], w0[j]); d[j] != want {
						t.Fatalf("%s FMA n=%d [%d] = %v, want %v", impl, n, j, d[j], want)
					}
				}
				results = append(results, w, b)
			})
			if len(results) == 4 { // assembly and Go ran: the same bits
				for k := range 2 {
					for j := range results[k] {
						if math.Float32bits(results[k][j]) != math.Float32bits(results[k+2][j]) {
							t.Fatalf("n=%d %+v: assembly and Go differ at [%d]: %v vs %v", n, tc, j, results[k][j], results[k+2][j])
						}
					}
				}
			}
		}
	}
}

// TestReductions checks SumSquares and SumDotNorm (with x̂ = 1·y + 0 = y, no
// relu) against float64 sums and that the assembly and Go kernels agree to
// the bit.
func TestReductions(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range append(vecLengths, 12345) {
		x, y := randFloats(r, n), randFloats(r, n)
		for i := range x {
			x[i] += 3 // a non-zero mean
		}
		var ws, wq, wd float64
		for i, v := range x {
			ws += float64(v)
			wq += float64(v) * float64(v)
			wd += float64(v) * float64(y[i])
		}
		var got [2][4]float64
		k := 0
		withVecAsm(t, func(t *testing.T, impl string) {
			s, q := SumSquares(x)
			s2, d := SumDotNorm(x, y, 1, 0, 1, 0, false)
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"SumSquares sum", s, ws}, {"SumSquares sumSq", q, wq}, {"SumDotNorm sum", s2, ws}, {"SumDotNorm dot", d, wd}} {
				if math.Abs(c.got-c.want) > 1e-12*(1+math.Abs(c.want))*float64(n+1) {
					t.Fatalf("%s n=%d %s = %v, want %v", impl, n, c.name, c.got, c.want)
				}
			}
			got[k] = [4]float64{s, q, s2, d}
			k++
		})
		if k == 2 && got[0] != got[1] {
			t.Fatalf("n=%d: assembly %v and Go %v reductions differ", n, got[0], got[1])
		}
	}
}

// TestAllFinite puts one NaN, ±Inf, the largest finite value or a
// subnormal at every position of slices around the kernel's block sizes.
func TestAllFinite(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 15, 16, 17, 63, 64, 65, 200, 256, 1000} {
		for _, c := range []struct {
			name   string
			v      float32
			finite bool
		}{
			{"NaN", float32(math.NaN()), false}, {"+Inf", float32(math.Inf(1)), false}, {"-Inf", float32(math.Inf(-1)), false},
			{"max", math.MaxFloat32, true}, {"-max", -math.MaxFloat32, true}, {"subnormal", math.SmallestNonzeroFloat32, true},
		} {
			withVecAsm(t, func(t *testing.T, impl string) {
				x := randFloats(r, n)
				if !AllFinite(x) {
					t.Fatalf("%s n=%d: finite values reported non-finite", impl, n)
				}
				for i := range x {
					saved := x[i]
					x[i] = c.v
					if got := AllFinite(x); got != c.finite {
						t.Fatalf("%s n=%d: %s at %d: AllFinite = %v, want %v", impl, n, c.name, i, got, c.finite)
					}
					x[i] = saved
				}
				if n > 0 && !c.finite {
					x[n-1] = c.v // past the slice x[:n-1]: must not be read
					if !AllFinite(x[:n-1]) {
						t.Fatalf("%s n=%d: a value past the slice was read", impl, n)
					}
				}
			})
		}
	}
}

func BenchmarkVec(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	const n = 1 << 16
	x, y, dst := randFloats(r, n), randFloats(r, n), make([]float32, n)
	for _, bc := range []struct {
		name string
		f    func()
	}{
		{"ReLU", func() { ReLU(dst, x) }},
		{"ReLUGrad", func() { ReLUGrad(dst, y, x) }},
		{"LinComb2", func() { LinComb2(dst, x, y, 1, 2, 3) }},
		{"SumDotNorm", func() { SumDotNorm(x, y, 1, 0, 1, 0, false) }},
		{"SumDotNormReLU", func() { SumDotNorm(x, y, 1, 0, 1, 0, true) }},
		{"NormAffineReLU", func() { NormAffine(dst, x, 1.5, 0.5, 0.8, 0.1, true) }},
		{"AddRows28", func() { AddRows(dst, 28, x, 28, n/28, 28) }},
		{"AllFinite", func() { AllFinite(x) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				bc.f()
			}
		})
	}
}

// TestShiftPlanes checks ShiftPlanes against its formula for planes of
// whole and partial vectors, shifts reaching before and past a plane, and
// all-invalid planes, without writing past a plane.
func TestShiftPlanes(t *testing.T) {
	cases := []struct {
		planes, n, dstPlane, srcPlane, shift int
	}{
		{3, 49, 49 * 9, 49, -8}, // 7x7 plane, kernel offset (0,0) with padding 1
		{3, 49, 60, 49, 8},
		{2, 196, 200, 196, -15},
		{2, 784, 784, 784, 29},
		{1, 16, 16, 16, 0},
		{2, 17, 20, 17, 1},
		{2, 5, 7, 5, -1},
		{2, 1024, 1030, 1024, -33},
	}
	withVecAsm(t, func(t *testing.T, impl string) {
		r := rand.New(rand.NewPCG(15, 16))
		for _, tc := range cases {
			for _, density := range []float64{0, 0.5, 1} {
				valid := make([]uint16, (tc.n+15)/16)
				set := make([]bool, tc.n)
				for p := range tc.n {
					src := (tc.planes-1)*tc.srcPlane + p + tc.shift
					if p+tc.shift >= 0 && src < tc.planes*tc.srcPlane && r.Float64() < density {
						set[p] = true
						valid[p/16] |= 1 << (p % 16)
					}
				}
				src := randFloats(r, tc.planes*tc.srcPlane)
				dst := padded((tc.planes-1)*tc.dstPlane+tc.n, 5)
				ShiftPlanes(dst, tc.dstPlane, src, tc.srcPlane, tc.planes, tc.n, tc.shift, valid)
				for i := range dst {
					pl, p := i/tc.dstPlane, i%tc.dstPlane
					want := sentinel
					if pl < tc.planes && p < tc.n {
						want = 0
						if set[p] {
							want = src[pl*tc.srcPlane+p+tc.shift]
						}
					}
					if dst[i] != want {
						t.Fatalf("%s %+v density %v: [%d] = %v, want %v", impl, tc, density, i, dst[i], want)
					}
				}
			}
		}
	})
}
