package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestNormKernels checks NormAffine, SumDotReLU and LinComb2ReLU against
// their formulas, without writing past the end, and that the assembly and
// Go kernels agree bit for bit.
func TestNormKernels(t *testing.T) {
	const s, sh, g, b = float32(1.25), float32(-0.5), float32(0.75), float32(0.1)
	const a, bc, c = float32(0.5), float32(-2), float32(0.125)
	for _, n := range append(vecLengths, 12345) {
		r := rand.New(rand.NewPCG(uint64(n), 9))
		x, dy := randFloats(r, n), randFloats(r, n)
		var results [][]float32
		var sums [][2]float64
		for _, relu := range []bool{false, true} {
			withVecAsm(t, func(t *testing.T, impl string) {
				xh, y := padded(n, 17), padded(n, 17)
				NormAffine(xh[:n], y[:n], x, s, sh, g, b, relu)
				checkUntouched(t, impl+" NormAffine xh", xh, n)
				checkUntouched(t, impl+" NormAffine y", y, n)
				var wantS, wantD float64
				for i, v := range x {
					h := float64(s)*float64(v) + float64(sh)
					o := float64(g)*float64(xh[i]) + float64(b)
					if relu {
						o = math.Max(o, 0)
					}
					if math.Abs(float64(xh[i])-h) > 1e-6*(1+math.Abs(h)) || math.Abs(float64(y[i])-o) > 1e-6*(1+math.Abs(o)) {
						t.Fatalf("%s NormAffine relu=%v n=%d [%d] = %v, %v; want %v, %v", impl, relu, n, i, xh[i], y[i], h, o)
					}
					if relu && y[i] > 0 {
						wantS += float64(dy[i])
						wantD += float64(dy[i]) * float64(xh[i])
					}
				}
				results = append(results, xh[:n], y[:n])
				if !relu {
					return
				}
				sum, dot := SumDotReLU(dy, xh[:n], g, b)
				if math.Abs(sum-wantS) > 1e-9*float64(n+1) || math.Abs(dot-wantD) > 1e-9*float64(n+1) {
					t.Fatalf("%s SumDotReLU n=%d = %v, %v; want %v, %v", impl, n, sum, dot, wantS, wantD)
				}
				sums = append(sums, [2]float64{sum, dot})
				dx := padded(n, 17)
				LinComb2ReLU(dx[:n], dy, xh[:n], a, bc, c, g, b)
				checkUntouched(t, impl+" LinComb2ReLU", dx, n)
				for i, v := range dy {
					gi := 0.0
					if y[i] > 0 {
						gi = float64(v)
					}
					want := float64(a)*gi + float64(c) + float64(bc)*float64(xh[i])
					if math.Abs(float64(dx[i])-want) > 1e-6*(1+math.Abs(want)) {
						t.Fatalf("%s LinComb2ReLU n=%d [%d] = %v, want %v", impl, n, i, dx[i], want)
					}
				}
				results = append(results, dx[:n])
			})
		}
		if useVecAsm {
			// results: per relu setting, the assembly run then the Go run.
			for _, pair := range [][2]int{{0, 2}, {1, 3}, {4, 7}, {5, 8}, {6, 9}} {
				for i := range results[pair[0]] {
					if math.Float32bits(results[pair[0]][i]) != math.Float32bits(results[pair[1]][i]) {
						t.Fatalf("n=%d: output %d [%d]: assembly %v, Go %v", n, pair[0], i, results[pair[0]][i], results[pair[1]][i])
					}
				}
			}
			if sums[0] != sums[1] {
				t.Fatalf("n=%d: SumDotReLU assembly %v, Go %v", n, sums[0], sums[1])
			}
		}
	}
}
