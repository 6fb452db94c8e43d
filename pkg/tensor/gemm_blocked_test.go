package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// refGemm is a float64 reference: it returns alpha·op(A)·op(B) + beta·C and,
// per element, the scale |alpha|·Σ|a·b| + |beta·c| that bounds rounding error.
// With beta = 0, C is not read.
func refGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (want, scale []float64) {
	want, scale = make([]float64, m*n), make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, abs float64
			for p := 0; p < k; p++ {
				ai, bi := i*lda+p, p*ldb+j
				if transA {
					ai = p*lda + i
				}
				if transB {
					bi = j*ldb + p
				}
				v := float64(a[ai]) * float64(b[bi])
				s += v
				abs += math.Abs(v)
			}
			w, sc := float64(alpha)*s, math.Abs(float64(alpha))*abs
			if beta != 0 {
				cv := float64(beta) * float64(c[i*ldc+j])
				w += cv
				sc += math.Abs(cv)
			}
			want[i*n+j], scale[i*n+j] = w, sc
		}
	}
	return want, scale
}

// gemmCase is one Gemm call with its operands laid out in padded buffers.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	padA, padB     int // extra elements per row of A, B (and C uses padA+padB)
	alpha, beta    float32
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("%dx%dx%d_tA%v_tB%v_pad%d.%d_a%v_b%v", tc.m, tc.n, tc.k, tc.transA, tc.transB, tc.padA, tc.padB, tc.alpha, tc.beta)
}

// operands builds A, B, C for tc from r. With beta = 0, C is filled with NaN.
func (tc gemmCase) operands(r *rand.Rand) (a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	lda, ldb, ldc = ac+tc.padA, bc+tc.padB, tc.n+tc.padA+tc.padB
	fill := func(rows, cols, ld int) []float32 {
		x := make([]float32, max(rows*ld, 1))
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		return x[:max((rows-1)*ld+cols, 0)]
	}
	a, b, c = fill(ar, ac, lda), fill(br, bc, ldb), fill(tc.m, tc.n, ldc)
	if tc.beta == 0 {
		for i := range c {
			c[i] = float32(math.NaN())
		}
	}
	return a, lda, b, ldb, c, ldc
}

// check runs Gemm on tc on pool p and compares with the reference,
// including that the padding of C is untouched.
func (tc gemmCase) check(t *testing.T, r *rand.Rand, p *Pool) {
	t.Helper()
	a, lda, b, ldb, c, ldc := tc.operands(r)
	c0 := append([]float32(nil), c...)
	want, scale := refGemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
	p.Gemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
	tol := 1e-5 * math.Sqrt(float64(max(tc.k, 1)))
	for i := 0; i < tc.m; i++ {
		for j := 0; j < ldc && i*ldc+j < len(c); j++ {
			got := c[i*ldc+j]
			if j >= tc.n {
				if math.Float32bits(got) != math.Float32bits(c0[i*ldc+j]) {
					t.Fatalf("%v: padding C[%d][%d] changed to %v", tc, i, j, got)
				}
				continue
			}
			w, sc := want[i*tc.n+j], scale[i*tc.n+j]
			if d := math.Abs(float64(got) - w); !(d <= tol*sc+1e-30) {
				t.Fatalf("%v [%s]: C[%d][%d] = %v, want %v (err %.3g, bound %.3g)", tc, activeImpl.name, i, j, got, w, d, tol*sc)
			}
		}
	}
}

// forEachImpl runs f once per kernel set this build and CPU can run, with
// B packing left to Gemm, forced and avoided.
func forEachImpl(t *testing.T, f func(t *testing.T)) {
	saved, savedPack := activeImpl, packOverride
	defer func() { activeImpl, packOverride = saved, savedPack }()
	for _, im := range gemmImpls() {
		for _, pk := range []int{0, 1} {
			activeImpl, packOverride = im, pk
			t.Run(fmt.Sprintf("%s_pack%d", im.name, pk), f)
		}
	}
}

var edgeDims = []int{1, 3, 7, 17, 63, 65, 129}

// testPool returns a pool of threads threads that t closes when it ends.
func testPool(t testing.TB, threads int) *Pool {
	p := NewPool(threads)
	t.Cleanup(p.Close)
	return p
}

func TestGemmShapes(t *testing.T) {
	pool := testPool(t, 2)
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 11))
		n := 0
		for _, m := range edgeDims {
			for _, nn := range edgeDims {
				for _, k := range []int{1, 3, 17, 65, 129} {
					n++
					tc := gemmCase{
						transA: n%2 == 1, transB: n/2%2 == 1,
						m: m, n: nn, k: k,
						padA: n % 3, padB: n / 3 % 2,
						alpha: []float32{1, -1.5, 0.25}[n%3],
						beta:  []float32{0, 1, 0.5, -2}[n/3%4],
					}
					tc.check(t, r, pool)
				}
			}
		}
	})
}

func TestGemmVariantsAndBlocks(t *testing.T) {
	// Every variant on shapes that cross the K block (512), the panel
	// (64/16/32 columns) and the tile (6/4 rows) boundaries.
	shapes := [][3]int{{1, 1, 1}, {6, 64, 512}, {7, 65, 513}, {13, 200, 1100}, {65, 129, 600}, {128, 33, 784}, {32, 288, 100}, {50, 10, 70}}
	pool := testPool(t, 2)
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 5))
		for si, s := range shapes {
			for v := 0; v < 4; v++ {
				tc := gemmCase{transA: v&1 == 1, transB: v&2 == 2, m: s[0], n: s[1], k: s[2], padA: si % 2, padB: v % 3, alpha: 1, beta: float32(si % 3)}
				tc.check(t, r, pool)
			}
		}
	})
}

func TestGemmKZeroAndAlphaZero(t *testing.T) {
	nan := float32(math.NaN())
	c := []float32{1, 2, nan, 3, 4, nan}
	Gemm(false, false, 2, 2, 0, 1, nil, 0, nil, 2, 0.5, c, 3)
	if c[0] != 0.5 || c[1] != 1 || c[3] != 1.5 || c[4] != 2 || !math.IsNaN(float64(c[2])) {
		t.Fatalf("k=0, beta=0.5: %v", c)
	}
	Gemm(false, false, 2, 2, 0, 1, nil, 0, nil, 2, 0, c, 3)
	if c[0] != 0 || c[1] != 0 || c[3] != 0 || c[4] != 0 {
		t.Fatalf("k=0, beta=0: %v", c)
	}
	c = []float32{nan, nan, nan, nan}
	Gemm(false, false, 2, 2, 2, 0, []float32{1, 2, 3, 4}, 2, []float32{1, 2, 3, 4}, 2, 0, c, 2)
	for _, v := range c {
		if v != 0 {
			t.Fatalf("alpha=0, beta=0: %v", c)
		}
	}
}

func TestGemmRandomShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 43))
	saved, savedPack := activeImpl, packOverride
	defer func() { activeImpl, packOverride = saved, savedPack }()
	pools := []*Pool{nil, testPool(t, 2), testPool(t, 3)}
	impls := gemmImpls()
	for it := 0; it < 150; it++ {
		activeImpl, packOverride = impls[r.IntN(len(impls))], r.IntN(3)-1
		pool := pools[r.IntN(len(pools))]
		tc := gemmCase{
			transA: r.IntN(2) == 1, transB: r.IntN(2) == 1,
			m: 1 + r.IntN(90), n: 1 + r.IntN(150), k: r.IntN(700),
			padA: r.IntN(4), padB: r.IntN(4),
			alpha: float32(r.NormFloat64()), beta: []float32{0, 1, float32(r.NormFloat64())}[r.IntN(3)],
		}
		tc.check(t, r, pool)
	}
}

// gemmBits runs tc on pool p and returns C.
func gemmBits(tc gemmCase, p *Pool) []float32 {
	r := rand.New(rand.NewPCG(9, 9))
	a, lda, b, ldb, c, ldc := tc.operands(r)
	p.Gemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
	return c
}

func TestGemmDeterministicAcrossThreads(t *testing.T) {
	pools := []*Pool{testPool(t, 2), testPool(t, 3), testPool(t, 4)}
	shapes := [][3]int{{128, 784, 300}, {300, 64, 700}, {32, 288, 784}, {288, 784, 32}, {9, 100, 1030}, {5, 37, 200}}
	forEachImpl(t, func(t *testing.T) {
		for _, s := range shapes {
			for v := 0; v < 4; v++ {
				tc := gemmCase{transA: v&1 == 1, transB: v&2 == 2, m: s[0], n: s[1], k: s[2], padA: 1, alpha: 0.5, beta: 1}
				ref := gemmBits(tc, nil)
				for _, p := range pools {
					got := gemmBits(tc, p)
					for i := range ref {
						if math.Float32bits(got[i]) != math.Float32bits(ref[i]) {
							t.Fatalf("%v: %d threads: c[%d] = %v, 1 thread: %v", tc, p.Threads(), i, got[i], ref[i])
						}
					}
				}
			}
		}
	})
}

func TestGemmConcurrentCalls(t *testing.T) {
	// Calls from several goroutines at once on one pool (as pkg/nn's batch
	// workers make them: all but one find it busy and run on their caller)
	// give the same bits as one at a time.
	tc := gemmCase{m: 70, n: 300, k: 257, alpha: 1, beta: 0}
	pool := testPool(t, 2)
	want := gemmBits(tc, pool)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(9, 9))
			a, lda, b, ldb, c, ldc := tc.operands(r)
			for it := 0; it < 5; it++ {
				pool.Gemm(false, false, tc.m, tc.n, tc.k, 1, a, lda, b, ldb, 0, c, ldc)
				for i := range want {
					if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
						errs <- fmt.Sprintf("c[%d] = %v, want %v", i, c[i], want[i])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func TestGemmNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	m, n, k := 96, 200, 300
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for _, p := range []*Pool{nil, testPool(t, 1), testPool(t, 2)} {
		for v := 0; v < 4; v++ {
			tA, tB := v&1 == 1, v&2 == 2
			lda, ldb := k, n
			if tA {
				lda = m
			}
			if tB {
				ldb = k
			}
			allocs := testing.AllocsPerRun(20, func() {
				p.Gemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c, n)
			})
			if allocs != 0 {
				t.Errorf("threads=%d tA=%v tB=%v: %v allocations per call", p.Threads(), tA, tB, allocs)
			}
		}
	}
}

// benchShapes are the shapes nettrain's layers multiply (M×N×K).
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"512x512x512", false, false, 512, 512, 512},
	{"mlp_fwd_AB_128x512x784", false, false, 128, 512, 784},
	{"mlp_fwd_ABt_128x512x784", false, true, 128, 512, 784},
	{"mlp_dW_AtB_512x784x128", true, false, 512, 784, 128},
	{"mlp_dx_ABt_128x784x512", false, true, 128, 784, 512},
	{"im2col_25088x64x288", false, false, 25088, 64, 288},
	{"conv_fwd_AB_32x784x288", false, false, 32, 784, 288},
	{"conv_dW_ABt_32x288x784", false, true, 32, 288, 784},
	{"conv_dcol_AtB_288x784x32", true, false, 288, 784, 32},
}

func BenchmarkGemm(b *testing.B) {
	// One pool per thread count for every shape, as a trainer keeps one
	// for its whole run: its helpers start once, not per shape.
	pools := map[int]*Pool{1: testPool(b, 1), 2: testPool(b, 2)}
	for _, s := range benchShapes {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", s.name, th), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 1))
				a, bb, c := make([]float32, s.m*s.k), make([]float32, s.k*s.n), make([]float32, s.m*s.n)
				for i := range a {
					a[i] = float32(r.NormFloat64())
				}
				for i := range bb {
					bb[i] = float32(r.NormFloat64())
				}
				lda, ldb := s.k, s.n
				if s.transA {
					lda = s.m
				}
				if s.transB {
					ldb = s.k
				}
				p := pools[th]
				for b.Loop() {
					p.Gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
				}
				b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
