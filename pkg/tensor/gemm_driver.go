package tensor

// The blocked GEMM driver shared by every kernel set (AVX-512, AVX2+FMA and
// pure Go).
//
// Loop nest for one part (a block of rows or of columns of C):
//
//	for each K block (kc ≤ maxKC, K split evenly)      // C accumulates across blocks
//	  for each panel of ≤ nr columns                   // B panel: kc×nr, packed or in place
//	    for each tile of ≤ mr rows                     // A read in place (A or Aᵀ)
//	      micro-kernel: mr×w tile of C
//
// Work is split over the rows or the columns of C, never over K, and every
// C element is computed by the same sequence of operations whatever tile or
// part it falls in, so the result bits do not depend on the thread count.

// maxKC bounds a K block: a 64-wide packed panel of maxKC rows is 128 KiB
// and stays in L2.
const maxKC = 512

// gemmImpl is one kernel set.
type gemmImpl struct {
	name string
	mr   int // rows per tile at most
	nr   int // columns per panel at most (a multiple of vw)
	vw   int // tile widths are multiples of vw
	// kern computes an mr×(nv·vw) tile (see gen_kernels.go for the contract).
	// Strides are in elements. load=false overwrites C with alpha·acc.
	kern func(mr, nv, kc int, a []float32, aoff, rsa, csa int, b []float32, boff, ldb int, c []float32, coff, ldc int, alpha, beta float32, load bool)
}

// workspace is the scratch one thread needs: a packed B panel and a tile for
// the columns past the last whole vector.
type workspace struct {
	bp   []float32 // kc×nr packed panel
	tile []float32 // mr×nr tile
}

func (ws *workspace) ensure(im *gemmImpl, kc int) {
	if n := kc * im.nr; len(ws.bp) < n {
		ws.bp = make([]float32, max(n, maxKC*im.nr))
	}
	if n := im.mr * im.nr; len(ws.tile) < n {
		ws.tile = make([]float32, n)
	}
}

// gemmArgs is one Gemm call, shared read-only by the threads working on it.
type gemmArgs struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int

	im     *gemmImpl
	kc, nk int  // K block size and count
	parts  int  // number of parts
	splitN bool // parts are column ranges (else row ranges)
	packB  int  // 1: always pack B (tests); otherwise pack only Bᵀ and partial panels
}

// plan fills the blocking and partition fields for threads threads.
func (g *gemmArgs) plan(threads int) {
	g.nk = (g.k + maxKC - 1) / maxKC
	g.kc = (g.k + g.nk - 1) / g.nk
	g.parts, g.splitN = 1, false
	if threads <= 1 || 2*g.m*g.n*g.k < 1<<18 {
		return
	}
	im := g.im
	units := (g.n + im.vw - 1) / im.vw // column units of one vector
	switch {
	case g.n >= 2*im.nr*threads:
		g.parts, g.splitN = threads, true
	case g.m >= im.mr*threads:
		g.parts = threads
	case units >= threads:
		g.parts, g.splitN = threads, true
	case g.m >= 2*threads:
		g.parts = threads
	}
}

// runPart computes part p of g.parts.
func (g *gemmArgs) runPart(p int, ws *workspace) {
	m0, m1, n0, n1 := 0, g.m, 0, g.n
	if g.parts > 1 {
		if g.splitN {
			vw := g.im.vw
			units := (g.n + vw - 1) / vw
			n0 = min(units*p/g.parts*vw, g.n)
			n1 = min(units*(p+1)/g.parts*vw, g.n)
		} else {
			m0, m1 = g.m*p/g.parts, g.m*(p+1)/g.parts
		}
	}
	if m0 < m1 && n0 < n1 {
		g.region(m0, m1, n0, n1, ws)
	}
}

// region computes C[m0:m1, n0:n1].
func (g *gemmArgs) region(m0, m1, n0, n1 int, ws *workspace) {
	im := g.im
	ws.ensure(im, g.kc)
	rows := m1 - m0
	tiles := (rows + im.mr - 1) / im.mr
	// A element (i,p) of op(A) sits at i·rsa + p·csa.
	rsa, csa := g.lda, 1
	if g.transA {
		rsa, csa = 1, g.lda
	}
	// B is read in place when it can be (op(B) = B and whole vectors): measured
	// faster than packing on every training shape, most for small M.
	pack := g.transB || g.packB > 0
	// A (or Aᵀ) is read in place: packing a transposed A into contiguous
	// tiles was measured 0–10% slower on the training shapes (Aᵀ·B at
	// 512×784×128 and 288×784×32).
	for kb := 0; kb < g.nk; kb++ {
		p0 := kb * g.kc
		kc := min(g.kc, g.k-p0)
		beta, load := g.beta, true
		if kb > 0 {
			beta = 1
		} else if beta == 0 {
			load = false
		}
		for j := n0; j < n1; j += im.nr {
			w := min(im.nr, n1-j)
			nv := (w + im.vw - 1) / im.vw
			wp := nv * im.vw
			whole := w == wp
			bsrc, boff, bld := g.b, p0*g.ldb+j, g.ldb
			if pack || !whole {
				g.packPanel(ws.bp, p0, kc, j, w, wp)
				bsrc, boff, bld = ws.bp, 0, wp
			}
			for t := 0; t < tiles; t++ {
				i := m0 + rows*t/tiles
				mr := m0 + rows*(t+1)/tiles - i
				aoff := i*rsa + p0*csa
				if whole {
					im.kern(mr, nv, kc, g.a, aoff, rsa, csa, bsrc, boff, bld, g.c, i*g.ldc+j, g.ldc, g.alpha, beta, load)
					continue
				}
				im.kern(mr, nv, kc, g.a, aoff, rsa, csa, bsrc, boff, bld, ws.tile, 0, wp, 1, 0, false)
				for r := 0; r < mr; r++ {
					crow := g.c[(i+r)*g.ldc+j : (i+r)*g.ldc+j+w]
					trow := ws.tile[r*wp : r*wp+w]
					if load {
						for q, v := range trow {
							crow[q] = beta*crow[q] + g.alpha*v
						}
					} else {
						for q, v := range trow {
							crow[q] = g.alpha * v
						}
					}
				}
			}
		}
	}
}

// packPanel copies op(B)[p0:p0+kc, j:j+w] into bp as kc rows of wp values,
// zero-padding columns w…wp-1.
func (g *gemmArgs) packPanel(bp []float32, p0, kc, j, w, wp int) {
	bp = bp[:kc*wp]
	if !g.transB {
		for p := 0; p < kc; p++ {
			dst := bp[p*wp : p*wp+wp]
			src := g.b[(p0+p)*g.ldb+j:]
			copy(dst[:w], src[:w])
			clear(dst[w:])
		}
		return
	}
	// op(B)[p][q] = B[j+q][p0+p]: walk B's rows, sixteen at a time
	// (AVX-512), then four.
	ldb := g.ldb
	q := 0
	for ; q+16 <= w; q += 16 {
		off := (j+q)*ldb + p0
		done := packT16(bp, wp, q, g.b, off, ldb, kc)
		if done == 0 {
			break
		}
		for p := done; p < kc; p++ {
			d := bp[p*wp+q:][:16]
			for r := range d {
				d[r] = g.b[off+r*ldb+p]
			}
		}
	}
	for ; q+4 <= w; q += 4 {
		off := (j+q)*ldb + p0
		done := packT4(bp, wp, q, g.b, off, ldb, kc)
		r0 := g.b[off:][:kc]
		r1 := g.b[off+ldb:][:kc]
		r2 := g.b[off+2*ldb:][:kc]
		r3 := g.b[off+3*ldb:][:kc]
		for p := done; p < kc; p++ {
			d := bp[p*wp+q:][:4]
			d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
		}
	}
	for ; q < w; q++ {
		r0 := g.b[(j+q)*ldb+p0:][:kc]
		for p, v := range r0 {
			bp[p*wp+q] = v
		}
	}
	if w < wp {
		for p := 0; p < kc; p++ {
			clear(bp[p*wp+w : p*wp+wp])
		}
	}
}
