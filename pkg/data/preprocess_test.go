package data

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// correlatedDataset returns n examples of shape (1,4,4) (F = 16) drawn from
// x = A z + b with z ~ N(0, I) and a fixed random A whose columns have very
// different scales, so the features are strongly correlated.
func correlatedDataset(n int, seed uint64) *Dataset {
	const f = 16
	r := rand.New(rand.NewPCG(seed, 1))
	a := make([]float64, f*f)
	ar := rand.New(rand.NewPCG(99, 2)) // the same A for every seed
	for j := range f {
		scale := math.Pow(0.7, float64(j))
		for i := range f {
			a[i*f+j] = ar.NormFloat64() * scale
		}
	}
	d := &Dataset{X: make([]float32, n*f), Y: make([]int32, n), N: n, C: 1, H: 4, W: 4, Classes: 2}
	z := make([]float64, f)
	for e := range n {
		for j := range z {
			z[j] = r.NormFloat64()
		}
		for i := range f {
			v := 0.5 + 0.1*float64(i)
			for j := range f {
				v += a[i*f+j] * z[j]
			}
			d.X[e*f+i] = float32(v)
		}
		d.Y[e] = int32(e % 2)
	}
	return d
}

// cloneDataset returns a deep copy of d.
func cloneDataset(d *Dataset) *Dataset {
	c := *d
	c.X, c.Pixels, c.Y, c.ClassNames = slices.Clone(d.X), slices.Clone(d.Pixels), slices.Clone(d.Y), slices.Clone(d.ClassNames)
	return &c
}

// datasetCov returns the per-feature means and the population covariance
// (F×F, row-major) of d in float64.
func datasetCov(d *Dataset) (mean, cov []float64) {
	f := d.FeatureLen()
	mean = make([]float64, f)
	for i := range d.N {
		for j, v := range d.Example(i) {
			mean[j] += float64(v) / float64(d.N)
		}
	}
	cov = make([]float64, f*f)
	for i := range d.N {
		x := d.Example(i)
		for a := range f {
			da := float64(x[a]) - mean[a]
			for b := range f {
				cov[a*f+b] += da * (float64(x[b]) - mean[b]) / float64(d.N)
			}
		}
	}
	return mean, cov
}

// checkIdentityCov fails unless d has zero mean and identity covariance
// within tol.
func checkIdentityCov(t *testing.T, d *Dataset, tol float64) {
	t.Helper()
	mean, cov := datasetCov(d)
	f := d.FeatureLen()
	for a := range f {
		if math.Abs(mean[a]) > tol {
			t.Errorf("mean[%d] = %g, want 0", a, mean[a])
		}
		for b := range f {
			want := 0.0
			if a == b {
				want = 1
			}
			if got := cov[a*f+b]; math.Abs(got-want) > tol {
				t.Errorf("cov[%d,%d] = %g, want %g", a, b, got, want)
			}
		}
	}
}

func mustFit(t *testing.T, cfg PreprocessConfig, train *Dataset) Preprocessor {
	t.Helper()
	p, err := Fit(cfg, train, 2)
	if err != nil {
		t.Fatalf("Fit(%+v): %v", cfg, err)
	}
	if p.Name() != cfg.Method {
		t.Errorf("Name() = %q, want %q", p.Name(), cfg.Method)
	}
	return p
}

func mustApply(t *testing.T, p Preprocessor, d *Dataset) *Dataset {
	t.Helper()
	c := cloneDataset(d)
	if err := p.Apply(c, 2); err != nil {
		t.Fatalf("%s Apply: %v", p.Name(), err)
	}
	c.toFloat() // the values readers see, in X
	if len(c.X) != c.N*c.FeatureLen() {
		t.Fatalf("%s Apply: len(X) %d, shape (%d,%d,%d,%d)", p.Name(), len(c.X), c.N, c.C, c.H, c.W)
	}
	return c
}

func TestZCAWhiteningIdentityCovariance(t *testing.T) {
	train := correlatedDataset(2000, 1)
	_, before := datasetCov(train)
	if math.Abs(before[0*16+1]) < 0.05 {
		t.Fatalf("synthetic data is not correlated: cov[0,1] = %g", before[1])
	}
	p := mustFit(t, PreprocessConfig{Method: MethodZCA}, train)
	out := mustApply(t, p, train)
	if out.C != 1 || out.H != 4 || out.W != 4 || out.N != 2000 {
		t.Fatalf("zca changed the shape: (%d,%d,%d,%d)", out.N, out.C, out.H, out.W)
	}
	checkIdentityCov(t, out, 1e-3)
	if !slices.Equal(out.Y, train.Y) {
		t.Error("labels changed")
	}

	// ZCA is symmetric: W = Wᵀ, and it is the whitening closest to the
	// identity, so each output stays correlated with its own input.
	st := p.State()
	w, _ := st.Tensor(TensorProjection)
	if !slices.Equal(w.Shape, []int{16, 16}) {
		t.Fatalf("projection shape %v", w.Shape)
	}
	for i := range 16 {
		for j := range 16 {
			if d := math.Abs(float64(w.Data[i*16+j] - w.Data[j*16+i])); d > 1e-4*math.Abs(float64(w.Data[i*16+j]))+1e-5 {
				t.Fatalf("W not symmetric at (%d,%d): %g vs %g", i, j, w.Data[i*16+j], w.Data[j*16+i])
			}
		}
		if w.Data[i*16+i] <= 0 {
			t.Errorf("W[%d,%d] = %g, want > 0", i, i, w.Data[i*16+i])
		}
	}
	if st.Header.Explained != 1 || st.Header.OutShape != [3]int{1, 4, 4} {
		t.Errorf("header %+v", st.Header)
	}

	// With ε > 0 the variance along direction j becomes λ/(λ+ε) < 1.
	pe := mustFit(t, PreprocessConfig{Method: MethodZCA, Epsilon: 0.1}, train)
	_, cov := datasetCov(mustApply(t, pe, train))
	for a := range 16 {
		if v := cov[a*16+a]; v >= 1 || v <= 0 {
			t.Errorf("ε = 0.1: variance of feature %d is %g, want in (0,1)", a, v)
		}
	}
}

func TestPCAWhiteningIdentityCovariance(t *testing.T) {
	train := correlatedDataset(2000, 2)
	for _, k := range []int{1, 5, 16} {
		p := mustFit(t, PreprocessConfig{Method: MethodPCAWhiten, Components: k}, train)
		out := mustApply(t, p, train)
		if out.C != k || out.H != 1 || out.W != 1 {
			t.Fatalf("k=%d: shape (%d,%d,%d), want (%d,1,1)", k, out.C, out.H, out.W, k)
		}
		if c, h, w := p.OutShape(1, 4, 4); c != k || h != 1 || w != 1 {
			t.Errorf("OutShape = (%d,%d,%d)", c, h, w)
		}
		checkIdentityCov(t, out, 1e-3)
	}
}

func TestPCAKeepsVarianceFraction(t *testing.T) {
	train := correlatedDataset(2000, 3)
	_, cov := datasetCov(train)
	total := 0.0
	for a := range 16 {
		total += cov[a*16+a]
	}
	prevK := 0
	for _, frac := range []float64{0.5, 0.9, 0.99, 1} {
		p := mustFit(t, PreprocessConfig{Method: MethodPCA, Variance: frac}, train)
		st := p.State()
		k := st.Header.OutShape[0]
		eig, _ := st.Tensor(TensorEigenvalues)
		if len(eig.Data) != k {
			t.Fatalf("frac %g: %d eigenvalues for k=%d", frac, len(eig.Data), k)
		}
		if k < prevK {
			t.Errorf("frac %g: k=%d fewer than for a smaller fraction (%d)", frac, k, prevK)
		}
		prevK = k
		kept, withoutLast := 0.0, 0.0
		for j, l := range eig.Data {
			if j > 0 && l > eig.Data[j-1] {
				t.Errorf("eigenvalues not decreasing: %v", eig.Data)
			}
			kept += float64(l)
			if j < k-1 {
				withoutLast += float64(l)
			}
		}
		if kept/total < frac-1e-6 || (k > 1 && withoutLast/total >= frac) {
			t.Errorf("frac %g: k=%d keeps %.4f, k-1 keeps %.4f of the variance", frac, k, kept/total, withoutLast/total)
		}
		if math.Abs(st.Header.Explained-kept/total) > 1e-5 {
			t.Errorf("frac %g: header explained %g, eigenvalues say %g", frac, st.Header.Explained, kept/total)
		}
		// The projected data carries exactly that variance, in decorrelated
		// components of decreasing variance.
		out := mustApply(t, p, train)
		_, pc := datasetCov(out)
		sum := 0.0
		for j := range k {
			sum += pc[j*k+j]
			if math.Abs(pc[j*k+j]-float64(eig.Data[j])) > 1e-3*float64(eig.Data[0]) {
				t.Errorf("frac %g: variance of component %d is %g, eigenvalue %g", frac, j, pc[j*k+j], eig.Data[j])
			}
			for i := range j {
				if math.Abs(pc[i*k+j]) > 1e-3*float64(eig.Data[0]) {
					t.Errorf("frac %g: components %d and %d correlated: %g", frac, i, j, pc[i*k+j])
				}
			}
		}
		if math.Abs(sum/total-kept/total) > 1e-3 {
			t.Errorf("frac %g: projected variance %.4f of the total, want %.4f", frac, sum/total, kept/total)
		}
		if frac == 1 && k != 16 {
			t.Errorf("variance 1 keeps %d of 16 components", k)
		}
	}
	// Components and no variance.
	p := mustFit(t, PreprocessConfig{Method: MethodPCA, Components: 3}, train)
	if st := p.State(); st.Header.OutShape != [3]int{3, 1, 1} {
		t.Errorf("components 3: out shape %v", st.Header.OutShape)
	}
	// Neither: all components (a rotation), which preserves distances.
	p = mustFit(t, PreprocessConfig{Method: MethodPCA}, train)
	out := mustApply(t, p, train)
	if out.C != 16 {
		t.Fatalf("default pca keeps %d components", out.C)
	}
	_, pc := datasetCov(out)
	sum := 0.0
	for j := range 16 {
		sum += pc[j*16+j]
	}
	if math.Abs(sum-total) > 1e-4*total {
		t.Errorf("full rotation: variance %g, want %g", sum, total)
	}
}

// rgbDataset is 2 examples of shape (3,1,2) with known per-channel values:
// red {0,1,2,3}, green constant 0.5, blue {0,0,1,1}.
func rgbDataset() *Dataset {
	return &Dataset{
		X: []float32{
			0, 1, 0.5, 0.5, 0, 1, // example 0: R R G G B B
			2, 3, 0.5, 0.5, 0, 1, // example 1
		},
		Y: []int32{0, 1}, N: 2, C: 3, H: 1, W: 2, Classes: 2,
	}
}

func TestPerChannelStandardization(t *testing.T) {
	train := rgbDataset()
	p := mustFit(t, PreprocessConfig{Method: MethodChannel}, train)
	st := p.State()
	mean, _ := st.Tensor(TensorMean)
	std, _ := st.Tensor(TensorStd)
	wantMean := []float32{1.5, 0.5, 0.5}
	wantStd := []float32{float32(math.Sqrt(1.25)), 1, 0.5} // green is constant: std 1
	if !slices.Equal(mean.Shape, []int{3}) || !slices.Equal(std.Shape, []int{3}) {
		t.Fatalf("shapes %v %v, want (3,)", mean.Shape, std.Shape)
	}
	for c := range 3 {
		if math.Abs(float64(mean.Data[c]-wantMean[c])) > 1e-6 || math.Abs(float64(std.Data[c]-wantStd[c])) > 1e-6 {
			t.Errorf("channel %d: mean %g std %g, want %g %g", c, mean.Data[c], std.Data[c], wantMean[c], wantStd[c])
		}
	}
	out := mustApply(t, p, train)
	s5 := float32(1 / math.Sqrt(1.25))
	want := []float32{-1.5 * s5, -0.5 * s5, 0, 0, -1, 1, 0.5 * s5, 1.5 * s5, 0, 0, -1, 1}
	for i := range want {
		if math.Abs(float64(out.X[i]-want[i])) > 1e-6 {
			t.Fatalf("standardized X = %v, want %v", out.X, want)
		}
	}

	// Epsilon floors the std: blue's 0.5 becomes 0.8, red's 1.118 stays.
	p = mustFit(t, PreprocessConfig{Method: MethodChannel, Epsilon: 0.8}, train)
	std, _ = p.State().Tensor(TensorStd)
	if math.Abs(float64(std.Data[0])-math.Sqrt(1.25)) > 1e-6 || std.Data[1] != 0.8 || std.Data[2] != 0.8 {
		t.Errorf("floored std %v", std.Data)
	}
}

func TestPerFeatureStandardization(t *testing.T) {
	train := rgbDataset()
	p := mustFit(t, PreprocessConfig{Method: MethodFeature}, train)
	st := p.State()
	mean, _ := st.Tensor(TensorMean)
	std, _ := st.Tensor(TensorStd)
	// Each of the 6 positions over the 2 examples.
	wantMean := []float32{1, 2, 0.5, 0.5, 0, 1}
	wantStd := []float32{1, 1, 1, 1, 1, 1} // |a-b|/2 = 1, or constant -> 1
	if !slices.Equal(mean.Data, wantMean) || !slices.Equal(std.Data, wantStd) || !slices.Equal(mean.Shape, []int{6}) {
		t.Errorf("mean %v std %v shape %v", mean.Data, std.Data, mean.Shape)
	}
	out := mustApply(t, p, train)
	mu, cov := datasetCov(out)
	for j := range 6 {
		wantVar := 1.0
		if j >= 2 { // constant features: centred only
			wantVar = 0
		}
		if math.Abs(mu[j]) > 1e-6 || math.Abs(cov[j*6+j]-wantVar) > 1e-6 {
			t.Errorf("feature %d: mean %g var %g", j, mu[j], cov[j*6+j])
		}
	}
	// A constant feature of the training set does not blow up a test value.
	test := rgbDataset()
	test.X[2] = 0.6
	got := mustApply(t, p, test)
	if math.Abs(float64(got.X[2])-0.1) > 1e-6 {
		t.Errorf("constant feature on a new value: %g, want 0.1", got.X[2])
	}

	// Fashion-MNIST: each pixel gets zero mean and unit (or zero) variance.
	fm, err := LoadIDXDir(smallDir, "test")
	if err != nil {
		t.Fatal(err)
	}
	pf := mustFit(t, PreprocessConfig{Method: MethodFeature}, fm)
	mustApply(t, pf, fm) // must not fail
	if err := pf.Apply(fm, 2); err != nil {
		t.Fatal(err)
	}
	x := values(fm)
	for j := range 784 {
		var s, ss float64
		for i := range fm.N {
			v := float64(x[i*784+j])
			s += v
			ss += v * v
		}
		m := s / float64(fm.N)
		v := ss/float64(fm.N) - m*m
		if math.Abs(m) > 1e-4 || (math.Abs(v-1) > 1e-3 && v > 1e-6) {
			t.Fatalf("pixel %d: mean %g var %g", j, m, v)
		}
	}
}

// TestApplyUsesTrainingStatistics fits on one split and applies to another
// whose distribution differs: the output is (x - train mean) / train std,
// not re-standardized.
func TestApplyUsesTrainingStatistics(t *testing.T) {
	train := correlatedDataset(500, 4)
	other := correlatedDataset(300, 5)
	for i := range other.X {
		other.X[i] = 2*other.X[i] + 3 // a shifted, scaled split
	}
	tm, tc := datasetCov(train)
	for _, method := range []string{MethodGlobal, MethodChannel, MethodFeature} {
		p := mustFit(t, PreprocessConfig{Method: method}, train)
		out := mustApply(t, p, other)
		for j := range 16 {
			var m, s float64
			switch method {
			case MethodFeature:
				m, s = tm[j], math.Sqrt(tc[j*16+j])
			default: // one channel: global and channel agree
				g := FitStandardizer(train)
				m, s = float64(g.Mean), float64(g.Std)
			}
			for i := range other.N {
				want := (float64(other.X[i*16+j]) - m) / s
				if got := float64(out.X[i*16+j]); math.Abs(got-want) > 1e-4*(1+math.Abs(want)) {
					t.Fatalf("%s: example %d feature %d = %g, want %g (training statistics)", method, i, j, got, want)
				}
			}
		}
		om, _ := datasetCov(out)
		if math.Abs(om[0]) < 0.5 {
			t.Errorf("%s: other split re-centred (mean %g): statistics were not the training ones", method, om[0])
		}
	}
	// Projection methods: y = P (x - train mean).
	for _, method := range []string{MethodPCA, MethodPCAWhiten, MethodZCA} {
		p := mustFit(t, PreprocessConfig{Method: method, Components: 4 * boolInt(method != MethodZCA)}, train)
		st := p.State()
		mean, _ := st.Tensor(TensorMean)
		proj, _ := st.Tensor(TensorProjection)
		out := mustApply(t, p, other)
		k := proj.Shape[0]
		for i := range 3 {
			for j := range k {
				want := 0.0
				for f := range 16 {
					want += float64(proj.Data[j*16+f]) * float64(other.X[i*16+f]-mean.Data[f])
				}
				if got := float64(out.X[i*k+j]); math.Abs(got-want) > 1e-4*(1+math.Abs(want)) {
					t.Fatalf("%s: example %d output %d = %g, want %g", method, i, j, got, want)
				}
			}
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// allConfigs is one config of every method.
var allConfigs = []PreprocessConfig{
	{Method: MethodNone},
	{Method: MethodGlobal},
	{Method: MethodChannel, Epsilon: 1e-3},
	{Method: MethodFeature},
	{Method: MethodPCA, Components: 5},
	{Method: MethodPCA, Variance: 0.9},
	{Method: MethodPCAWhiten, Variance: 0.95, Epsilon: 1e-4},
	{Method: MethodZCA, Epsilon: 1e-2},
}

// TestPreprocessStateRoundTrip serializes every method (header through
// JSON, tensors copied), restores it and checks bit-identical outputs on a
// different split, for Apply and ApplyExample.
func TestPreprocessStateRoundTrip(t *testing.T) {
	train := correlatedDataset(800, 6)
	train.C, train.H, train.W = 4, 2, 2 // 4 channels for the channel method
	other := correlatedDataset(50, 7)
	other.C, other.H, other.W = 4, 2, 2
	for _, cfg := range allConfigs {
		t.Run(cfg.Method, func(t *testing.T) {
			p := mustFit(t, cfg, train)
			st := p.State()
			for _, tn := range st.Tensors {
				if !strings.HasPrefix(tn.Name, PreprocessTensorPrefix) {
					t.Errorf("tensor name %q lacks the prefix", tn.Name)
				}
				n := 1
				for _, d := range tn.Shape {
					n *= d
				}
				if n != len(tn.Data) {
					t.Errorf("tensor %s: shape %v, %d values", tn.Name, tn.Shape, len(tn.Data))
				}
			}
			js, err := json.Marshal(st.Header)
			if err != nil {
				t.Fatal(err)
			}
			var h PreprocessHeader
			if err := json.Unmarshal(js, &h); err != nil {
				t.Fatal(err)
			}
			if h != st.Header {
				t.Errorf("header JSON round trip: %+v != %+v", h, st.Header)
			}
			var tensors []Tensor
			for _, tn := range st.Tensors {
				tensors = append(tensors, Tensor{tn.Name, slices.Clone(tn.Shape), slices.Clone(tn.Data)})
			}
			// Unrelated tensors (the model's) are ignored.
			tensors = append(tensors, Tensor{"fc1.weight", []int{2}, []float32{1, 2}})
			q, err := RestorePreprocessor(PreprocessState{Header: h, Tensors: tensors})
			if err != nil {
				t.Fatalf("restore %s: %v", js, err)
			}
			a, b := mustApply(t, p, other), mustApply(t, q, other)
			if !slices.Equal(a.X, b.X) || a.C != b.C || a.H != b.H || a.W != b.W {
				t.Errorf("restored preprocessor gives different outputs")
			}
			for i := range other.N {
				ex, err := q.ApplyExample(slices.Clone(other.Example(i)))
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ex, a.Example(i)) {
					t.Fatalf("ApplyExample(%d) differs from Apply", i)
				}
			}
			// State of the restored one is the same state.
			st2 := q.State()
			if st2.Header != st.Header || len(st2.Tensors) != len(st.Tensors) {
				t.Errorf("restored state %+v, want %+v", st2.Header, st.Header)
			}
			for i := range st2.Tensors {
				if !slices.Equal(st2.Tensors[i].Data, st.Tensors[i].Data) {
					t.Errorf("tensor %s changed", st2.Tensors[i].Name)
				}
			}
		})
	}
}

func TestRestorePreprocessorErrors(t *testing.T) {
	train := correlatedDataset(100, 8)
	good := mustFit(t, PreprocessConfig{Method: MethodPCA, Components: 3}, train).State()
	mod := func(f func(*PreprocessState)) PreprocessState {
		s := PreprocessState{Header: good.Header}
		for _, tn := range good.Tensors {
			s.Tensors = append(s.Tensors, Tensor{tn.Name, slices.Clone(tn.Shape), slices.Clone(tn.Data)})
		}
		f(&s)
		return s
	}
	tests := []struct {
		name string
		s    PreprocessState
		want string
	}{
		{"version", mod(func(s *PreprocessState) { s.Header.Version = 2 }), "unsupported state version 2"},
		{"method", mod(func(s *PreprocessState) { s.Header.Method = "fft" }), `unknown method "fft"`},
		{"in shape", mod(func(s *PreprocessState) { s.Header.InShape = [3]int{0, 4, 4} }), "invalid in_shape"},
		{"out shape", mod(func(s *PreprocessState) { s.Header.OutShape = [3]int{17, 1, 1} }), "out_shape"},
		{"missing", mod(func(s *PreprocessState) { s.Tensors = s.Tensors[1:] }), "no tensor preprocess.mean"},
		{"shape", mod(func(s *PreprocessState) { s.Tensors[1].Shape = []int{16, 3} }), "tensor preprocess.projection has shape [16 3]"},
		{"nan", mod(func(s *PreprocessState) { s.Tensors[0].Data[2] = float32(math.NaN()) }), "element 2 is NaN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := RestorePreprocessor(tt.s)
			checkOneLine(t, err)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
		})
	}
	std := mustFit(t, PreprocessConfig{Method: MethodFeature}, train).State()
	std.Tensors[1].Data[0] = 0
	if _, err := RestorePreprocessor(std); err == nil || !strings.Contains(err.Error(), "preprocess.std: element 0 is 0") {
		t.Errorf("zero std: err = %v", err)
	}
}

func TestPreprocessConfigErrors(t *testing.T) {
	tests := []struct {
		cfg  PreprocessConfig
		want string
	}{
		{PreprocessConfig{Method: "whiten"}, `preprocess.method: unknown method "whiten"; allowed: none, global, channel, feature, pca, pca_whiten, zca`},
		{PreprocessConfig{Method: MethodPCA, Variance: 1.5}, "preprocess.variance: must be in (0,1], got 1.5"},
		{PreprocessConfig{Method: MethodPCAWhiten, Variance: -0.1}, "preprocess.variance: must be in (0,1], got -0.1"},
		{PreprocessConfig{Method: MethodPCA, Variance: math.NaN()}, "preprocess.variance: must be in (0,1], got NaN"},
		{PreprocessConfig{Method: MethodPCA, Components: -1}, "preprocess.components: must be >= 1 (0 = use preprocess.variance), got -1"},
		{PreprocessConfig{Method: MethodPCA, Components: 2, Variance: 0.5}, "preprocess.components and preprocess.variance: set only one (got 2 and 0.5)"},
		{PreprocessConfig{Method: MethodZCA, Epsilon: -1e-5}, "preprocess.epsilon: must be a finite number >= 0, got -1e-05"},
		{PreprocessConfig{Method: MethodFeature, Epsilon: math.Inf(1)}, "preprocess.epsilon: must be a finite number >= 0, got +Inf"},
	}
	for _, tt := range tests {
		p, err := NewPreprocessor(tt.cfg)
		checkOneLine(t, err)
		if p != nil || err.Error() != tt.want {
			t.Errorf("%+v: err = %q, want %q", tt.cfg, err, tt.want)
		}
	}
	if p, err := NewPreprocessor(PreprocessConfig{}); err != nil || p.Name() != MethodNone {
		t.Errorf("zero config: %v, %v; want none", p, err)
	}

	// Fit-time errors: k > F, empty data, too many features.
	train := correlatedDataset(50, 9)
	_, err := Fit(PreprocessConfig{Method: MethodPCAWhiten, Components: 17}, train, 2)
	if want := "preprocess.components: 17 exceeds the 16 features (C*H*W = 1*4*4) of the training data"; err == nil || err.Error() != want {
		t.Errorf("k > F: err = %v, want %q", err, want)
	}
	for _, m := range []string{MethodGlobal, MethodFeature, MethodZCA} {
		if _, err := Fit(PreprocessConfig{Method: m}, &Dataset{C: 1, H: 2, W: 2}, 2); err == nil || !strings.Contains(err.Error(), "empty training set") {
			t.Errorf("%s on empty data: err = %v", m, err)
		}
	}
	big := &Dataset{X: make([]float32, 2*4097), N: 2, C: 1, H: 1, W: 4097}
	if _, err := Fit(PreprocessConfig{Method: MethodZCA}, big, 2); err == nil || !strings.Contains(err.Error(), "more than the limit of 4096") {
		t.Errorf("F too large: err = %v", err)
	}

	// Apply errors: not fitted, shape mismatch, bad example length.
	for _, cfg := range allConfigs[1:] {
		p, _ := NewPreprocessor(cfg)
		if err := p.Apply(cloneDataset(train), 2); err == nil {
			t.Errorf("%s: Apply before Fit: no error", cfg.Method)
		}
		if _, err := p.ApplyExample(make([]float32, 16)); err == nil {
			t.Errorf("%s: ApplyExample before Fit: no error", cfg.Method)
		}
	}
	for _, m := range []string{MethodChannel, MethodFeature, MethodPCA, MethodZCA} {
		p := mustFit(t, PreprocessConfig{Method: m}, train)
		wrong := markedDataset(3, 1, 2, 8, 2)
		err := p.Apply(wrong, 2)
		checkOneLine(t, err)
		if !strings.Contains(err.Error(), "examples are (1,2,8) but the preprocessing was fitted on (1,4,4)") {
			t.Errorf("%s: err = %v", m, err)
		}
		if _, err := p.ApplyExample(make([]float32, 15)); err == nil {
			t.Errorf("%s: short example: no error", m)
		}
	}
}

// TestPreprocessDeterministic fits and applies with 1 and 4 workers: same
// state, same outputs.
func TestPreprocessDeterministic(t *testing.T) {
	train := correlatedDataset(3000, 10) // several covariance groups
	fit := func(workers int) ([]PreprocessState, []float32) {
		var out []PreprocessState
		var xs []float32
		for _, cfg := range allConfigs {
			p, err := Fit(cfg, train, workers)
			if err != nil {
				t.Fatalf("Fit(%+v): %v", cfg, err)
			}
			out = append(out, p.State())
			c := cloneDataset(train)
			if err := p.Apply(c, workers); err != nil {
				t.Fatal(err)
			}
			xs = append(xs, c.X...)
		}
		return out, xs
	}
	a, ax := fit(1)
	b, bx := fit(4)
	for i := range a {
		for j := range a[i].Tensors {
			if !slices.Equal(a[i].Tensors[j].Data, b[i].Tensors[j].Data) {
				t.Errorf("%s: tensor %s depends on the number of workers", a[i].Header.Method, a[i].Tensors[j].Name)
			}
		}
	}
	if !slices.Equal(ax, bx) {
		t.Error("Apply output depends on the number of workers")
	}
}

// TestGlobalMatchesStandardizer: the global method is the Standardizer.
func TestGlobalMatchesStandardizer(t *testing.T) {
	d := correlatedDataset(100, 11)
	s := FitStandardizer(d)
	p := mustFit(t, PreprocessConfig{Method: MethodGlobal}, d)
	st := p.State()
	mean, _ := st.Tensor(TensorMean)
	std, _ := st.Tensor(TensorStd)
	if mean.Data[0] != s.Mean || std.Data[0] != s.Std || !slices.Equal(mean.Shape, []int{1}) {
		t.Errorf("global state %v %v, standardizer %+v", mean, std, s)
	}
	a := cloneDataset(d)
	s.Apply(a)
	if b := mustApply(t, p, d); !slices.Equal(a.X, b.X) {
		t.Error("global differs from Standardizer.Apply")
	}
}

// TestZCAFashionMNIST whitens the real 784-feature data (F = 784, N = 500).
func TestZCAFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("784×784 eigen-decomposition")
	}
	d, err := LoadIDXDir(smallDir, "test")
	if err != nil {
		t.Fatal(err)
	}
	p := mustFit(t, PreprocessConfig{Method: MethodPCA, Variance: 0.9}, d)
	k := p.State().Header.OutShape[0]
	if k < 5 || k > 200 {
		t.Errorf("90%% of Fashion-MNIST variance in %d components", k)
	}
	z := mustFit(t, PreprocessConfig{Method: MethodZCA, Epsilon: 0.1}, d)
	out := mustApply(t, z, d)
	for _, v := range out.X {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatal("non-finite ZCA output")
		}
	}
}
