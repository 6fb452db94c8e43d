package tensor

import "fmt"

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where
// op(X) is X or Xᵀ. op(A) is (m,k), op(B) is (k,n) and C is (m,n); lda, ldb
// and ldc are the row strides of A, B and C as stored. With beta = 0, C is
// only written, never read (NaNs in it do not propagate).
//
// It is the single matrix-multiply entry point of nettrain: a cache-blocked
// kernel with assembly micro-kernels (AVX-512 or AVX2+FMA, chosen from the
// CPU) and a pure-Go fallback (other architectures, -tags purego). The
// package-level Gemm runs on the calling goroutine alone; (*Pool).Gemm
// splits a large product over the pool's threads. Gemm is safe for
// concurrent use and does not allocate in steady state.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	(*Pool)(nil).Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Gemm is the package-level Gemm on up to p.Threads() threads: the caller
// and the pool's helpers each compute a part of C, split over its rows or
// its columns, never over k, so the result bits do not depend on the
// thread count. A call that finds p busy (from inside a ParallelFor task,
// or from another goroutine) or nil computes every part on its caller.
// It does not allocate in steady state.
func (p *Pool) Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k > 0 {
		checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	} else if ldc < n || len(c) < (m-1)*ldc+n {
		panic(fmt.Sprintf("tensor: Gemm C (%d,%d) ldc=%d does not fit %d values", m, n, ldc, len(c)))
	}
	if k == 0 || alpha == 0 {
		// C = beta·C; beta = 0 clears C (NaNs included).
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(row)
				continue
			}
			for j := range row {
				row[j] *= beta
			}
		}
		return
	}
	g := gemmArgs{
		transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc,
		im: activeImpl, packB: packOverride,
	}
	g.plan(p.Threads())
	g.run(p)
}

func checkGemm(transA, transB bool, m, n, k, la, lda, lb, ldb, lc, ldc int) {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if lda < ac || la < (ar-1)*lda+ac {
		panic(fmt.Sprintf("tensor: Gemm A (%d,%d) lda=%d does not fit %d values", ar, ac, lda, la))
	}
	if ldb < bc || lb < (br-1)*ldb+bc {
		panic(fmt.Sprintf("tensor: Gemm B (%d,%d) ldb=%d does not fit %d values", br, bc, ldb, lb))
	}
	if ldc < n || lc < (m-1)*ldc+n {
		panic(fmt.Sprintf("tensor: Gemm C (%d,%d) ldc=%d does not fit %d values", m, n, ldc, lc))
	}
}
