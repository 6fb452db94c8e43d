package tensor

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where
// op(X) is X or Xᵀ. op(A) is (m,k), op(B) is (k,n) and C is (m,n); lda, ldb
// and ldc are the row strides of A, B and C as stored.
//
// It is the single matrix-multiply entry point of nettrain; today it calls
// gonum's pure-Go BLAS.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		// BLAS leaves C·beta; make the k=0 case explicit and cheap.
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] *= beta
			}
		}
		return
	}
	checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	tA, tB := blas.NoTrans, blas.NoTrans
	if transA {
		tA = blas.Trans
	}
	if transB {
		tB = blas.Trans
	}
	blas32.Implementation().Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
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
