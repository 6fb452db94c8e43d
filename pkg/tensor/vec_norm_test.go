package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestNormKernels checks NormAffine, SumDotNorm and LinComb2Norm, with and
// without the fused relu, against their formulas, without writing past the
// end, and that the assembly and Go kernels agree bit for bit.
func TestNormKernels(t *testing.T) {
	const s, sh, g, b = float32(1.25), float32(-0.5), float32(0.75), float32(0.1)
	const a, bc, c = float32(0.5), float32(-2), float32(0.125)
	for _, n := range append(vecLengths, 12345) {
		for _, relu := range []bool{false, true} {
			r := rand.New(rand.NewPCG(uint64(n), 9))
			x, dy := randFloats(r, n), randFloats(r, n)
			var outs [][]float32
			var sums [][2]float64
			withVecAsm(t, func(t *testing.T, impl string) {
				y := padded(n, 17)
				NormAffine(y[:n], x, s, sh, g, b, relu)
				checkUntouched(t, impl+" NormAffine", y, n)
				var wantS, wantD float64
				for i, v := range x {
					h := float64(s)*float64(v) + float64(sh)
					o := float64(g)*h + float64(b)
					if relu {
						o = math.Max(o, 0)
					}
					if math.Abs(float64(y[i])-o) > 1e-5*(1+math.Abs(o)) {
						t.Fatalf("%s NormAffine relu=%v n=%d [%d] = %v, want %v", impl, relu, n, i, y[i], o)
					}
					if !relu || y[i] > 0 {
						wantS += float64(dy[i])
						wantD += float64(dy[i]) * h
					}
				}
				sum, dot := SumDotNorm(dy, x, s, sh, g, b, relu)
				if math.Abs(sum-wantS) > 1e-9*float64(n+1) || math.Abs(dot-wantD) > 1e-5*float64(n+1) {
					t.Fatalf("%s SumDotNorm relu=%v n=%d = %v, %v; want %v, %v", impl, relu, n, sum, dot, wantS, wantD)
				}
				dx := padded(n, 17)
				LinComb2Norm(dx[:n], dy, x, a, bc, c, s, sh, g, b, relu)
				checkUntouched(t, impl+" LinComb2Norm", dx, n)
				for i, v := range dy {
					gi := float64(v)
					if relu && !(y[i] > 0) {
						gi = 0
					}
					h := float64(s)*float64(x[i]) + float64(sh)
					want := float64(a)*gi + float64(c) + float64(bc)*h
					if math.Abs(float64(dx[i])-want) > 1e-5*(1+math.Abs(want)) {
						t.Fatalf("%s LinComb2Norm relu=%v n=%d [%d] = %v, want %v", impl, relu, n, i, dx[i], want)
					}
				}
				outs = append(outs, y[:n], dx[:n])
				sums = append(sums, [2]float64{sum, dot})
			})
			if len(outs) == 4 { // assembly, then Go
				for k := range 2 {
					for i := range outs[k] {
						if math.Float32bits(outs[k][i]) != math.Float32bits(outs[k+2][i]) {
							t.Fatalf("relu=%v n=%d: output %d [%d]: assembly %v, Go %v", relu, n, k, i, outs[k][i], outs[k+2][i])
						}
					}
				}
				if sums[0] != sums[1] {
					t.Fatalf("relu=%v n=%d: SumDotNorm assembly %v, Go %v", relu, n, sums[0], sums[1])
				}
			}
		}
	}
}
