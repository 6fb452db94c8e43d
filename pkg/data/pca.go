package data

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

const (
	// maxCovFeatures bounds F for the covariance-based methods: the F×F
	// covariance and eigenvector matrices take 8·F² bytes each (128 MiB at
	// F = 4096, e.g. 3×32×32 = 3072 fits).
	maxCovFeatures = 4096
	// minWhitenVar floors λ+ε before whitening, so a zero-variance direction
	// with ε = 0 gives a large but finite scale.
	minWhitenVar = 1e-10
	// covChunkRows is the number of centred rows converted to float64 at a
	// time while accumulating the covariance.
	covChunkRows = 256
	// covMaxGroups is the largest number of row groups whose partial
	// covariances are accumulated in parallel; the grouping depends only on
	// N and F, never on the thread count, so the result is deterministic.
	covMaxGroups = 8
	// covGroupBytes bounds the memory of all partial covariances together.
	covGroupBytes = 1 << 28
)

// projection is the pca, pca_whiten and zca methods: y = P (x - mean) with
// P of shape (k,F).
type projection struct {
	cfg       PreprocessConfig
	in        [3]int    // fitted (C,H,W)
	k         int       // output features: the kept components, F for zca
	mean      []float32 // (F,)
	proj      []float32 // (k,F), row-major
	eig       []float32 // (k,) eigenvalues of the kept components, decreasing
	explained float64   // fraction of the training variance kept
	fitted    bool
}

// Name implements [Preprocessor].
func (p *projection) Name() string { return p.cfg.Method }

// features returns F = C*H*W of the fitted shape.
func (p *projection) features() int { return p.in[0] * p.in[1] * p.in[2] }

// Fit implements [Preprocessor]. It computes, in float64, the mean μ and
// the population covariance Σ = (1/N) Σᵢ (xᵢ-μ)(xᵢ-μ)ᵀ (F×F) of train,
// and the eigen-decomposition Σ = U diag(λ) Uᵀ with gonum's mat.EigenSym;
// eigenvalues are sorted in decreasing order (negative round-off clamped
// to 0) and each eigenvector's sign is fixed so that its largest-magnitude
// entry is positive. Then
//
//	pca:        P = U_kᵀ                         (k,F)
//	pca_whiten: P = diag(1/sqrt(λ_k+ε)) U_kᵀ      (k,F)
//	zca:        P = U diag(1/sqrt(λ+ε)) Uᵀ        (F,F)
//
// where k is Components, or the fewest components whose eigenvalues sum to
// at least Variance of the total, or F. λ+ε is floored at 1e-10. The cost is
// O(N·F² + F³) time and a few F×F float64 matrices of memory; F is limited
// to 4096.
func (p *projection) Fit(train *Dataset, workers int) error {
	if err := checkTrain(p.cfg.Method, train); err != nil {
		return err
	}
	f := train.FeatureLen()
	if f > maxCovFeatures {
		return fmt.Errorf("preprocess.method: %s needs an F×F covariance matrix, but examples have %d features (C*H*W = %d*%d*%d), more than the limit of %d",
			p.cfg.Method, f, train.C, train.H, train.W, maxCovFeatures)
	}
	if p.cfg.Method != MethodZCA && p.cfg.Components > f {
		return fmt.Errorf("preprocess.components: %d exceeds the %d features (C*H*W = %d*%d*%d) of the training data",
			p.cfg.Components, f, train.C, train.H, train.W)
	}
	mean, cov := covariance(train, workers)

	var es mat.EigenSym
	if !es.Factorize(cov, true) {
		return fmt.Errorf("preprocess %s: eigen-decomposition of the %d×%d covariance did not converge", p.cfg.Method, f, f)
	}
	vals := es.Values(nil) // increasing
	var vecs mat.Dense
	es.VectorsTo(&vecs)

	// Decreasing order; column order[j] of vecs is component j.
	order := make([]int, f)
	for j := range order {
		order[j] = f - 1 - j
	}
	lambda := make([]float64, f)
	total := 0.0
	for j, c := range order {
		lambda[j] = max(vals[c], 0)
		total += lambda[j]
	}
	// U: (F,F), column j = component j, sign-normalized.
	u := mat.NewDense(f, f, nil)
	for j, c := range order {
		big, sign := -1.0, 1.0
		for i := range f {
			if a := math.Abs(vecs.At(i, c)); a > big {
				big, sign = a, math.Copysign(1, vecs.At(i, c))
			}
		}
		for i := range f {
			u.Set(i, j, sign*vecs.At(i, c))
		}
	}

	k := f
	if p.cfg.Method != MethodZCA {
		k = p.keep(lambda, total)
	}
	kept := 0.0
	for _, l := range lambda[:k] {
		kept += l
	}
	p.explained = 1
	if total > 0 {
		p.explained = kept / total
	}

	scale := make([]float64, k)
	for j := range scale {
		scale[j] = 1
		if p.cfg.Method != MethodPCA {
			scale[j] = 1 / math.Sqrt(max(lambda[j]+p.cfg.Epsilon, minWhitenVar))
		}
	}
	p.proj = make([]float32, k*f)
	switch p.cfg.Method {
	case MethodPCA, MethodPCAWhiten:
		for j := range k {
			for i := range f {
				p.proj[j*f+i] = float32(scale[j] * u.At(i, j))
			}
		}
	case MethodZCA:
		// W = (U diag(scale)) Uᵀ.
		us := mat.DenseCopyOf(u)
		for j := range f {
			for i := range f {
				us.Set(i, j, us.At(i, j)*scale[j])
			}
		}
		var w mat.Dense
		w.Mul(us, u.T())
		for i := range f {
			for j := range f {
				p.proj[i*f+j] = float32(w.At(i, j))
			}
		}
	}
	p.in = [3]int{train.C, train.H, train.W}
	p.k = k
	p.mean = make([]float32, f)
	for i, m := range mean {
		p.mean[i] = float32(m)
	}
	p.eig = make([]float32, k)
	for j := range p.eig {
		p.eig[j] = float32(lambda[j])
	}
	p.fitted = true
	return nil
}

// keep returns the number of components to keep given the eigenvalues in
// decreasing order and their sum.
func (p *projection) keep(lambda []float64, total float64) int {
	f := len(lambda)
	switch {
	case p.cfg.Components > 0:
		return p.cfg.Components
	case p.cfg.Variance == 0 || p.cfg.Variance >= 1:
		return f
	}
	target := p.cfg.Variance * total
	cum := 0.0
	for j, l := range lambda {
		cum += l
		if cum >= target*(1-1e-12) {
			return j + 1
		}
	}
	return f
}

// covariance returns the float64 mean (F,) and population covariance (F,F)
// of the examples of d. The rows are split into a fixed number of groups
// (depending on N and F only) whose partial sums of centred outer products
// are accumulated with BLAS syrk, up to workers groups at once, and then
// added in group order, so the result does not depend on workers.
func covariance(d *Dataset, workers int) ([]float64, *mat.SymDense) {
	n, f := d.N, d.FeatureLen()
	mean := make([]float64, f)
	d.each(func(_ int, x []float32) {
		for j, v := range x {
			mean[j] += float64(v)
		}
	})
	for j := range mean {
		mean[j] /= float64(n)
	}

	groups := max(1, min(covMaxGroups, covGroupBytes/(8*f*f), (n+covChunkRows-1)/covChunkRows))
	partial := make([][]float64, groups)
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, workers))
	for g := range groups {
		lo, hi := g*n/groups, (g+1)*n/groups
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c := make([]float64, f*f)
			buf := make([]float64, covChunkRows*f)
			row := make([]float32, f)
			for r0 := lo; r0 < hi; r0 += covChunkRows {
				rows := min(covChunkRows, hi-r0)
				for r := range rows {
					x := d.view(r0+r, row)
					for j, v := range x {
						buf[r*f+j] = float64(v) - mean[j]
					}
				}
				a := blas64.General{Rows: rows, Cols: f, Stride: f, Data: buf[:rows*f]}
				blas64.Syrk(blas.Trans, 1, a, 1, blas64.Symmetric{Uplo: blas.Upper, N: f, Stride: f, Data: c})
			}
			partial[g] = c
		}()
	}
	wg.Wait()
	sum := partial[0]
	for _, c := range partial[1:] {
		for i, v := range c {
			sum[i] += v
		}
	}
	inv := 1 / float64(n)
	for i := range sum {
		sum[i] *= inv
	}
	return mean, mat.NewSymDense(f, sum) // reads the upper triangle only
}

// Apply implements [Preprocessor]. It writes a new d.X of shape (N,k,1,1)
// for pca and pca_whiten (d.C, d.H, d.W = k, 1, 1) and (N,C,H,W) for zca,
// leaving d in float storage (a byte-stored d is read a block at a time).
// Examples are transformed on up to workers goroutines, each example
// independently, so the result does not depend on workers.
func (p *projection) Apply(d *Dataset, workers int) error {
	if !p.fitted {
		return errNotFitted
	}
	if err := checkShape(p.cfg.Method, p.in, d); err != nil {
		return err
	}
	f, k := p.features(), p.k
	out := make([]float32, d.N*k)
	workers = max(1, min(workers, d.N))
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*d.N/workers, (w+1)*d.N/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]float32, applyBlock*f)
			var rows []float32 // a block of a byte-stored d, read
			if d.lazy() {
				rows = make([]float32, applyBlock*f)
			}
			for b0 := lo; b0 < hi; b0 += applyBlock {
				b1 := min(b0+applyBlock, hi)
				var x []float32
				if d.lazy() {
					x = d.Range(rows, b0, b1-b0)
				} else {
					x = d.X[b0*f : b1*f]
				}
				p.applyBlock(out[b0*k:b1*k], x, buf)
			}
		}()
	}
	wg.Wait()
	d.X, d.Pixels, d.deferred, d.rows, d.files = out, nil, nil, nil, nil
	d.C, d.H, d.W = p.OutShape(d.C, d.H, d.W)
	return nil
}

// applyBlock is the number of examples Apply transforms together, so that
// each row of the projection is read from memory once per block.
const applyBlock = 16

// applyBlock writes P (x - mean) for the b = len(x)/F examples of x,
// shape (b,F), into dst, shape (b,k), using buf (>= b*F) as scratch. Every
// output value is one blas32.Dot of the same two vectors whatever b is, so
// blocks of any size (and ApplyExample, b = 1) give bit-identical results.
func (p *projection) applyBlock(dst, x, buf []float32) {
	f, k := p.features(), p.k
	b := len(x) / f
	for i := range b {
		for j, v := range x[i*f : (i+1)*f] {
			buf[i*f+j] = v - p.mean[j]
		}
	}
	for j := range k {
		row := blas32.Vector{N: f, Inc: 1, Data: p.proj[j*f : (j+1)*f]}
		for i := range b {
			dst[i*k+j] = blas32.Dot(blas32.Vector{N: f, Inc: 1, Data: buf[i*f : (i+1)*f]}, row)
		}
	}
}

// ApplyExample implements [Preprocessor]; it always returns a new slice,
// shape (k,) for pca and pca_whiten and (C,H,W) for zca.
func (p *projection) ApplyExample(x []float32) ([]float32, error) {
	if !p.fitted {
		return nil, errNotFitted
	}
	if f := p.features(); len(x) != f {
		return nil, fmt.Errorf("preprocess %s: example has %d values, want %d (%d,%d,%d)", p.cfg.Method, len(x), f, p.in[0], p.in[1], p.in[2])
	}
	out := make([]float32, p.k)
	p.applyBlock(out, x, make([]float32, len(x)))
	return out, nil
}

// OutShape implements [Preprocessor]: (k,1,1) for pca and pca_whiten, the
// input shape for zca.
func (p *projection) OutShape(c, h, w int) (int, int, int) {
	if p.cfg.Method == MethodZCA {
		return c, h, w
	}
	return p.k, 1, 1
}

// State implements [Preprocessor]: mean (F,), projection (k,F) and
// eigenvalues (k,).
func (p *projection) State() PreprocessState {
	oc, oh, ow := p.OutShape(p.in[0], p.in[1], p.in[2])
	h := PreprocessHeader{
		Version: preprocessVersion, Method: p.cfg.Method,
		InShape: p.in, OutShape: [3]int{oc, oh, ow},
		Components: p.cfg.Components, Variance: p.cfg.Variance, Epsilon: p.cfg.Epsilon,
		Explained: p.explained,
	}
	if p.cfg.Method == MethodPCA {
		h.Epsilon = 0 // not used
	}
	f := p.features()
	return PreprocessState{Header: h, Tensors: []Tensor{
		{Name: TensorMean, Shape: []int{f}, Data: slices.Clone(p.mean)},
		{Name: TensorProjection, Shape: []int{p.k, f}, Data: slices.Clone(p.proj)},
		{Name: TensorEigenvalues, Shape: []int{len(p.eig)}, Data: slices.Clone(p.eig)},
	}}
}
