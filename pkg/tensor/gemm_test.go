package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveGemm is the reference: C = alpha·op(A)·op(B) + beta·C in float64.
func naiveGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				ai, bi := i*lda+p, p*ldb+j
				if transA {
					ai = p*lda + i
				}
				if transB {
					bi = j*ldb + p
				}
				av, bv := a[ai], b[bi]
				s += float64(av) * float64(bv)
			}
			c[i*ldc+j] = float32(float64(alpha)*s + float64(beta)*float64(c[i*ldc+j]))
		}
	}
}

func TestGemmMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		return x
	}
	cases := []struct {
		m, n, k        int
		transA, transB bool
		alpha, beta    float32
	}{
		{1, 1, 1, false, false, 1, 0},
		{3, 5, 7, false, false, 1, 0},
		{3, 5, 7, true, false, 1, 0},
		{3, 5, 7, false, true, 1, 1},
		{3, 5, 7, true, true, 0.5, 2},
		{64, 33, 129, false, false, 1, 1},
		{17, 64, 5, true, false, 2, 0},
		{4, 4, 0, false, false, 1, 0.5},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%dx%dx%d_tA%v_tB%v", tc.m, tc.n, tc.k, tc.transA, tc.transB), func(t *testing.T) {
			lda, ldb := tc.k, tc.n
			if tc.transA {
				lda = tc.m
			}
			if tc.transB {
				ldb = tc.k
			}
			a, b := fill(tc.m*tc.k), fill(tc.k*tc.n)
			c := fill(tc.m * tc.n)
			want := append([]float32(nil), c...)
			Gemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, tc.n)
			naiveGemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, want, tc.n)
			for i := range c {
				if d := math.Abs(float64(c[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
					t.Fatalf("c[%d] = %v, want %v", i, c[i], want[i])
				}
			}
		})
	}
}

func TestGemmPanicsOnShortBuffer(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("want panic for a short C buffer")
		}
	}()
	Gemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
}

func TestEnsureReusesStorage(t *testing.T) {
	a := New(4, 8)
	b := Ensure(a, 4, 8)
	if b != a {
		t.Fatal("same shape must return the same tensor")
	}
	c := Ensure(a, 2, 8)
	if &c.Data[0] != &a.Data[0] || len(c.Data) != 16 {
		t.Fatal("smaller shape must reuse storage")
	}
	d := Ensure(a, 8, 8)
	if len(d.Data) != 64 {
		t.Fatal("larger shape must allocate")
	}
}
