package tensor

// genericImpl is the portable kernel set: plain Go, 4×4 register blocks.
var genericImpl = gemmImpl{name: "generic", mr: 4, nr: 32, vw: 4, kern: genericKernel}

// genericKernel computes an mr×(nv·4) tile of C; see gemmImpl.kern. Each
// element is Σ_p a·b in p order, then alpha·acc (+ beta·C), like the
// assembly kernels.
func genericKernel(mr, nv, kc int, a []float32, aoff, rsa, csa int, b []float32, boff, ldb int, c []float32, coff, ldc int, alpha, beta float32, load bool) {
	w := nv * 4
	if mr == 4 {
		for j := 0; j < w; j += 4 {
			generic4x4(kc, a, aoff, rsa, csa, b, boff+j, ldb, c, coff+j, ldc, alpha, beta, load)
		}
		return
	}
	for i := 0; i < mr; i++ {
		for j := 0; j < w; j++ {
			var s float32
			ai, bi := aoff+i*rsa, boff+j
			for p := 0; p < kc; p++ {
				s += a[ai] * b[bi]
				ai += csa
				bi += ldb
			}
			ci := coff + i*ldc + j
			if load {
				c[ci] = beta*c[ci] + alpha*s
			} else {
				c[ci] = alpha * s
			}
		}
	}
}

// generic4x4 computes one 4×4 block with sixteen scalar accumulators.
func generic4x4(kc int, a []float32, aoff, rsa, csa int, b []float32, boff, ldb int, c []float32, coff, ldc int, alpha, beta float32, load bool) {
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	ai, bi := aoff, boff
	for p := 0; p < kc; p++ {
		bb := b[bi : bi+4 : bi+4]
		b0, b1, b2, b3 := bb[0], bb[1], bb[2], bb[3]
		a0, a1, a2, a3 := a[ai], a[ai+rsa], a[ai+2*rsa], a[ai+3*rsa]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
		ai += csa
		bi += ldb
	}
	acc := [16]float32{c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33}
	for i := 0; i < 4; i++ {
		row := c[coff+i*ldc : coff+i*ldc+4 : coff+i*ldc+4]
		for j := range row {
			if load {
				row[j] = beta*row[j] + alpha*acc[i*4+j]
			} else {
				row[j] = alpha * acc[i*4+j]
			}
		}
	}
}
