package data

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Preprocessing method names, the values of [PreprocessConfig.Method].
const (
	// MethodNone is the identity transform.
	MethodNone = "none"
	// MethodGlobal is global standardization: one mean and one standard
	// deviation over every value (the [Standardizer]).
	MethodGlobal = "global"
	// MethodChannel is per-channel standardization: one mean and standard
	// deviation per channel c, over all N*H*W values of that channel.
	MethodChannel = "channel"
	// MethodFeature is per-feature standardization: one mean and standard
	// deviation per value position (c,h,w), over the N examples.
	MethodFeature = "feature"
	// MethodPCA projects each centred example onto the top k principal
	// components of the training data; examples become (k,1,1).
	MethodPCA = "pca"
	// MethodPCAWhiten is MethodPCA with each component scaled by
	// 1/sqrt(λ+ε), so the projected training data has identity covariance.
	MethodPCAWhiten = "pca_whiten"
	// MethodZCA is ZCA whitening, x' = U diag(1/sqrt(λ+ε)) Uᵀ (x-μ); it
	// keeps the (C,H,W) shape.
	MethodZCA = "zca"
)

// Elementwise reports whether method transforms each value on its own
// (none and the standardizations): applied to a data set read lazily
// (byte storage, a streamed folder), it is deferred to every read and the
// data set stays as it is stored. The projections (pca, pca_whiten, zca)
// mix values and turn the data set into float storage.
func Elementwise(method string) bool {
	switch method {
	case MethodNone, MethodGlobal, MethodChannel, MethodFeature:
		return true
	}
	return false
}

// PreprocessMethods lists the accepted values of [PreprocessConfig.Method].
var PreprocessMethods = []string{
	MethodNone, MethodGlobal, MethodChannel, MethodFeature,
	MethodPCA, MethodPCAWhiten, MethodZCA,
}

// Names of the tensors a fitted [Preprocessor] stores (see
// [Preprocessor.State]); all start with [PreprocessTensorPrefix].
const (
	// PreprocessTensorPrefix starts the name of every preprocessing tensor.
	PreprocessTensorPrefix = "preprocess."
	// TensorMean holds the fitted mean: shape (1,) for global, (C,) for
	// channel, (F,) = (C*H*W,) for feature, pca, pca_whiten and zca.
	TensorMean = "preprocess.mean"
	// TensorStd holds the fitted standard deviation, same shape as
	// TensorMean (global, channel and feature only).
	TensorStd = "preprocess.std"
	// TensorProjection holds the matrix P applied to centred examples,
	// y = P (x - mean): shape (k,F) for pca (the components, one per row)
	// and pca_whiten (the components scaled by 1/sqrt(λ+ε)), (F,F) for zca.
	TensorProjection = "preprocess.projection"
	// TensorEigenvalues holds the covariance eigenvalues λ of the kept
	// components in decreasing order: (k,) for pca and pca_whiten, (F,) for
	// zca. It is informational; Apply does not read it.
	TensorEigenvalues = "preprocess.eigenvalues"
)

// preprocessVersion is the version of the [PreprocessHeader] layout.
const preprocessVersion = 1

// PreprocessConfig selects and parameterizes a preprocessing method; it
// is also the config's "preprocess" section, with its keys (the yaml tags),
// ranges (the range tags, see package spec), defaults
// ([DefaultPreprocess], [PreprocessConfig.ApplyDefaults]) and checks
// ([PreprocessConfig.Validate]). The transform is fitted on the training
// split only, stored in every checkpoint and reapplied by eval. Fields a
// method does not use are ignored by [NewPreprocessor].
type PreprocessConfig struct {
	// Method is the input transform (key "preprocess.method"), one of
	// [PreprocessMethods]: "none", "global" (one mean and standard deviation
	// over every value), "channel" (per channel, torchvision's Normalize
	// with fitted statistics), "feature" (per pixel position, scikit-learn's
	// StandardScaler), "pca" (project onto the top principal components;
	// the model then sees (k,1,1) inputs), "pca_whiten" (pca with unit
	// variance per component) or "zca" (ZCA whitening, same shape). Default
	// "global" in a config; "" means "none" to NewPreprocessor.
	Method string `yaml:"method"`
	// Normalize is the deprecated spelling of Method (key
	// "preprocess.normalize"): "global" or "none". ApplyDefaults moves it
	// into Method and clears it, so a resolved config holds Method only;
	// NewPreprocessor ignores it.
	Normalize string `yaml:"normalize,omitempty"`
	// Components is the number k of principal components pca and
	// pca_whiten keep (key "preprocess.components"), 1 <= k <= C*H*W
	// (checked by Fit, once the data is loaded); 0 means use Variance.
	// Default 0.
	Components int `yaml:"components" range:"0|>=1; 0 = use preprocess.variance"`
	// Variance keeps, for pca and pca_whiten, the fewest leading components
	// whose eigenvalues carry at least this fraction of the training
	// variance (key "preprocess.variance"), in (0, 1]; 0 with Components 0
	// keeps all of them. Only one of Components and Variance may be set.
	// Default 0.
	Variance float64 `yaml:"variance" range:"0|(0,1]; 0 = keep every component"`
	// Epsilon is added to each eigenvalue before whitening (pca_whiten,
	// zca: scale 1/sqrt(λ+ε)) or is the floor of the standard deviation
	// (channel, feature) (key "preprocess.epsilon"), >= 0; the global
	// method ignores it. Default 0.01 for pca_whiten and zca in a config (on
	// [0,1] pixels this damps the noisy low-variance directions; Keras's
	// zca_epsilon is 1e-6), 0 otherwise.
	Epsilon float64 `yaml:"epsilon" range:">=0"`
}

// Tensor is one named float32 array, row-major. It mirrors
// checkpoint.Tensor so that this package does not depend on the checkpoint
// format.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// PreprocessHeader is the JSON-serializable description of a fitted
// [Preprocessor]; together with its tensors it restores the preprocessor
// exactly ([RestorePreprocessor]).
type PreprocessHeader struct {
	// Version is the header layout version (1).
	Version int `json:"version"`
	// Method is one of [PreprocessMethods].
	Method string `json:"method"`
	// InShape is the (C,H,W) of the examples the preprocessor was fitted on
	// and accepts.
	InShape [3]int `json:"in_shape"`
	// OutShape is the (C,H,W) of the transformed examples: InShape, or
	// (k,1,1) for pca and pca_whiten.
	OutShape [3]int `json:"out_shape"`
	// Components, Variance and Epsilon are the configuration used to fit.
	Components int     `json:"components,omitempty"`
	Variance   float64 `json:"variance,omitempty"`
	Epsilon    float64 `json:"epsilon,omitempty"`
	// Explained is, for pca, pca_whiten and zca, the fraction of the
	// training variance carried by the kept components (1 for zca).
	Explained float64 `json:"explained_variance,omitempty"`
}

// PreprocessState is the serializable state of a fitted [Preprocessor]: a
// small JSON header and named float32 tensors (see the Tensor* constants).
type PreprocessState struct {
	Header  PreprocessHeader
	Tensors []Tensor
}

// Tensor returns the tensor called name and whether it exists.
func (s PreprocessState) Tensor(name string) (Tensor, bool) {
	for _, t := range s.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return Tensor{}, false
}

// Preprocessor is an input transform fitted on the training split only and
// then applied, unchanged, to every split and to single examples at
// inference. Implementations are created unfitted by [NewPreprocessor] (or
// fitted by [Fit]) and restored from a checkpoint by [RestorePreprocessor].
//
// A fitted Preprocessor is safe for concurrent Apply/ApplyExample calls;
// Fit must not run concurrently with anything else. Fit and Apply take the
// caller's worker budget: the methods that split their work (pca,
// pca_whiten and zca) use at most that many goroutines at once, ≤ 1
// meaning one; the results do not depend on it.
type Preprocessor interface {
	// Name returns the method name, one of [PreprocessMethods].
	Name() string
	// Fit computes the statistics of train (shape (N,C,H,W), N >= 1),
	// replacing any earlier fit, on up to workers goroutines. train is not
	// modified.
	Fit(train *Dataset, workers int) error
	// Apply transforms every example of d, whose (C,H,W) must be the
	// fitted InShape (any shape for none and global). Shape-preserving
	// methods work in place; pca and pca_whiten replace d.X with a new
	// slice of shape (N,k,1,1) and set d.C, d.H, d.W = k, 1, 1. On a
	// byte-stored d, global, channel and feature keep the bytes and defer
	// the arithmetic to each read (see [Dataset]); pca, pca_whiten and zca
	// leave d in float storage. It uses up to workers goroutines.
	Apply(d *Dataset, workers int) error
	// ApplyExample transforms one example x of shape InShape (len C*H*W)
	// and returns the result, shape OutShape: x itself, modified in place,
	// for none, global, channel and feature; a new slice for pca,
	// pca_whiten and zca (x is then left unchanged). It gives bit-identical
	// values to Apply.
	ApplyExample(x []float32) ([]float32, error)
	// OutShape returns the (C,H,W) of transformed examples for inputs of
	// shape (c,h,w).
	OutShape(c, h, w int) (oc, oh, ow int)
	// State returns the fitted state: a header and the tensors, which
	// share no memory with the Preprocessor.
	State() PreprocessState
}

// NewPreprocessor validates cfg and returns an unfitted Preprocessor for
// it. Errors are one line naming the parameter, e.g.
//
//	preprocess.variance: must be in (0,1], got 1.5
func NewPreprocessor(cfg PreprocessConfig) (Preprocessor, error) {
	if cfg.Method == "" {
		cfg.Method = MethodNone
	}
	if math.IsNaN(cfg.Epsilon) || math.IsInf(cfg.Epsilon, 0) || cfg.Epsilon < 0 {
		return nil, fmt.Errorf("preprocess.epsilon: must be a finite number >= 0, got %g", cfg.Epsilon)
	}
	switch cfg.Method {
	case MethodNone:
		return &identity{}, nil
	case MethodGlobal, MethodChannel, MethodFeature:
		return &standardize{cfg: cfg}, nil
	case MethodPCA, MethodPCAWhiten, MethodZCA:
		if cfg.Method != MethodZCA {
			if cfg.Components < 0 {
				return nil, fmt.Errorf("preprocess.components: must be >= 1 (0 = use preprocess.variance), got %d", cfg.Components)
			}
			if cfg.Variance != 0 && !(cfg.Variance > 0 && cfg.Variance <= 1) {
				return nil, fmt.Errorf("preprocess.variance: must be in (0,1], got %g", cfg.Variance)
			}
			if cfg.Components > 0 && cfg.Variance != 0 {
				return nil, fmt.Errorf("preprocess.components and preprocess.variance: set only one (got %d and %g)", cfg.Components, cfg.Variance)
			}
		}
		return &projection{cfg: cfg}, nil
	}
	return nil, fmt.Errorf("preprocess.method: unknown method %q; allowed: %s", cfg.Method, strings.Join(PreprocessMethods, ", "))
}

// Fit returns a Preprocessor for cfg fitted on train, the training split
// only (never the validation or test split), on up to workers goroutines.
func Fit(cfg PreprocessConfig, train *Dataset, workers int) (Preprocessor, error) {
	p, err := NewPreprocessor(cfg)
	if err != nil {
		return nil, err
	}
	if err := p.Fit(train, workers); err != nil {
		return nil, err
	}
	return p, nil
}

// RestorePreprocessor rebuilds a fitted Preprocessor from its state, as
// returned by [Preprocessor.State] and stored in a checkpoint. s.Tensors may
// hold other tensors too; only the ones the method needs are read, by name,
// and their shapes and values are checked. The restored Preprocessor gives
// bit-identical outputs to the original.
func RestorePreprocessor(s PreprocessState) (Preprocessor, error) {
	h := s.Header
	if h.Version != preprocessVersion {
		return nil, fmt.Errorf("preprocess: unsupported state version %d, want %d", h.Version, preprocessVersion)
	}
	if h.Method != MethodNone && !validShape(h.InShape) {
		return nil, fmt.Errorf("preprocess: invalid in_shape %v", h.InShape)
	}
	cfg := PreprocessConfig{Method: h.Method, Components: h.Components, Variance: h.Variance, Epsilon: h.Epsilon}
	p, err := NewPreprocessor(cfg)
	if err != nil {
		return nil, fmt.Errorf("preprocess: restoring: %w", err)
	}
	f := h.InShape[0] * h.InShape[1] * h.InShape[2]
	switch p := p.(type) {
	case *identity:
		return p, nil
	case *standardize:
		p.in = h.InShape
		n := p.statLen()
		if p.mean, err = stateTensor(s, TensorMean, []int{n}); err != nil {
			return nil, err
		}
		if p.std, err = stateTensor(s, TensorStd, []int{n}); err != nil {
			return nil, err
		}
		for i, v := range p.std {
			if !(v > 0) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("preprocess: tensor %s: element %d is %v, want a finite number > 0", TensorStd, i, v)
			}
		}
		p.fitted = true
		return p, nil
	case *projection:
		k := f
		if h.Method != MethodZCA {
			k = h.OutShape[0]
			if k < 1 || k > f || h.OutShape[1] != 1 || h.OutShape[2] != 1 {
				return nil, fmt.Errorf("preprocess: out_shape %v does not fit %s of %d features", h.OutShape, h.Method, f)
			}
		}
		p.in, p.k, p.explained = h.InShape, k, h.Explained
		if p.mean, err = stateTensor(s, TensorMean, []int{f}); err != nil {
			return nil, err
		}
		if p.proj, err = stateTensor(s, TensorProjection, []int{k, f}); err != nil {
			return nil, err
		}
		if t, ok := s.Tensor(TensorEigenvalues); ok && slices.Equal(t.Shape, []int{k}) && len(t.Data) == k {
			p.eig = slices.Clone(t.Data)
		}
		p.fitted = true
		return p, nil
	}
	panic("unreachable")
}

// stateTensor returns a copy of tensor name of s, checking its shape and
// that its values are finite.
func stateTensor(s PreprocessState, name string, shape []int) ([]float32, error) {
	t, ok := s.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("preprocess: %s state has no tensor %s", s.Header.Method, name)
	}
	n := 1
	for _, d := range shape {
		n *= d
	}
	if !slices.Equal(t.Shape, shape) || len(t.Data) != n {
		return nil, fmt.Errorf("preprocess: tensor %s has shape %v (%d values), want %v", name, t.Shape, len(t.Data), shape)
	}
	for i, v := range t.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("preprocess: tensor %s: element %d is %v", name, i, v)
		}
	}
	return slices.Clone(t.Data), nil
}

// validShape reports whether every dimension of s is >= 1 and the product
// fits in an int.
func validShape(s [3]int) bool {
	n := 1
	for _, d := range s {
		if d < 1 || n > math.MaxInt32/d {
			return false
		}
		n *= d
	}
	return true
}

// errNotFitted is returned by Apply and ApplyExample before Fit.
var errNotFitted = errors.New("preprocess: Apply before Fit")

// checkTrain validates a training set for Fit.
func checkTrain(method string, d *Dataset) error {
	if d == nil || d.N < 1 {
		return fmt.Errorf("preprocess %s: fit on an empty training set", method)
	}
	if d.stored() != d.N*d.FeatureLen() {
		return fmt.Errorf("preprocess %s: dataset has %d values, want N*C*H*W = %d", method, d.stored(), d.N*d.FeatureLen())
	}
	return nil
}

// checkShape verifies that d is (N, in...) for Apply.
func checkShape(method string, in [3]int, d *Dataset) error {
	if d == nil {
		return fmt.Errorf("preprocess %s: Apply to a nil dataset", method)
	}
	if d.C != in[0] || d.H != in[1] || d.W != in[2] {
		return fmt.Errorf("preprocess %s: examples are (%d,%d,%d) but the preprocessing was fitted on (%d,%d,%d)",
			method, d.C, d.H, d.W, in[0], in[1], in[2])
	}
	if d.stored() != d.N*d.FeatureLen() {
		return fmt.Errorf("preprocess %s: dataset has %d values, want N*C*H*W = %d", method, d.stored(), d.N*d.FeatureLen())
	}
	return nil
}

// identity is the "none" method.
type identity struct{}

// Name implements [Preprocessor].
func (*identity) Name() string { return MethodNone }

// Fit implements [Preprocessor]; there is nothing to fit.
func (*identity) Fit(*Dataset, int) error { return nil }

// Apply implements [Preprocessor]; d is left unchanged.
func (*identity) Apply(*Dataset, int) error { return nil }

// ApplyExample implements [Preprocessor]; it returns x unchanged.
func (*identity) ApplyExample(x []float32) ([]float32, error) { return x, nil }

// OutShape implements [Preprocessor].
func (*identity) OutShape(c, h, w int) (int, int, int) { return c, h, w }

// State implements [Preprocessor]: a header only, no tensors.
func (*identity) State() PreprocessState {
	return PreprocessState{Header: PreprocessHeader{Version: preprocessVersion, Method: MethodNone}}
}

// standardize is the global, channel and feature methods: x' = (x-mean)/std
// with statistics per value (global), per channel or per feature.
type standardize struct {
	cfg       PreprocessConfig
	in        [3]int    // fitted (C,H,W)
	mean, std []float32 // len statLen()
	fitted    bool
}

// Name implements [Preprocessor].
func (s *standardize) Name() string { return s.cfg.Method }

// statLen is the number of (mean, std) pairs: 1, C or C*H*W.
func (s *standardize) statLen() int {
	switch s.cfg.Method {
	case MethodChannel:
		return s.in[0]
	case MethodFeature:
		return s.in[0] * s.in[1] * s.in[2]
	}
	return 1
}

// Fit implements [Preprocessor]. Global uses [FitStandardizer] (std floor
// 1e-8). Channel and feature compute population statistics in float64;
// std = max(std, Epsilon), and a std still below 1e-8 (a constant channel
// or feature) becomes 1, so that such a value is only centred, as
// scikit-learn's StandardScaler does, instead of blowing up values that
// differ at test time.
func (s *standardize) Fit(train *Dataset, _ int) error {
	if err := checkTrain(s.cfg.Method, train); err != nil {
		return err
	}
	s.in = [3]int{train.C, train.H, train.W}
	if s.cfg.Method == MethodGlobal {
		st := FitStandardizer(train)
		s.mean, s.std, s.fitted = []float32{st.Mean}, []float32{st.Std}, true
		return nil
	}
	n := s.statLen()
	hw := train.H * train.W
	group := func(j int) int { return j } // value position -> statistic
	if s.cfg.Method == MethodChannel {
		group = func(j int) int { return j / hw }
	}
	sum := make([]float64, n)
	cnt := make([]float64, n)
	train.each(func(_ int, x []float32) {
		for j, v := range x {
			g := group(j)
			sum[g] += float64(v)
			cnt[g]++
		}
	})
	mean := make([]float64, n)
	for g := range mean {
		mean[g] = sum[g] / cnt[g]
	}
	ss := make([]float64, n)
	train.each(func(_ int, x []float32) {
		for j, v := range x {
			g := group(j)
			dv := float64(v) - mean[g]
			ss[g] += dv * dv
		}
	})
	s.mean, s.std = make([]float32, n), make([]float32, n)
	for g := range n {
		std := max(math.Sqrt(ss[g]/cnt[g]), s.cfg.Epsilon)
		if std < minStd {
			std = 1
		}
		s.mean[g], s.std[g] = float32(mean[g]), float32(std)
	}
	s.fitted = true
	return nil
}

// Apply implements [Preprocessor], in place, on the calling goroutine. A
// byte-stored d stays in bytes: the standardization is deferred to every
// read of an example (converted and standardized together, the same
// values to the bit); a d that already defers one is turned into float
// storage first.
func (s *standardize) Apply(d *Dataset, _ int) error {
	if !s.fitted {
		return errNotFitted
	}
	if s.cfg.Method == MethodGlobal {
		if d == nil {
			return fmt.Errorf("preprocess %s: Apply to a nil dataset", s.cfg.Method)
		}
	} else if err := checkShape(s.cfg.Method, s.in, d); err != nil {
		return err
	}
	if d.lazy() && d.deferred == nil {
		d.deferred = s
		return nil
	}
	if s.cfg.Method == MethodGlobal {
		Standardizer{Mean: s.mean[0], Std: s.std[0]}.Apply(d)
		return nil
	}
	d.toFloat()
	f := d.FeatureLen()
	for i := range d.N {
		s.apply(d.X[i*f : (i+1)*f])
	}
	return nil
}

// apply standardizes one example of shape s.in in place.
func (s *standardize) apply(x []float32) {
	switch s.cfg.Method {
	case MethodGlobal:
		m, sd := s.mean[0], s.std[0]
		for j, v := range x {
			x[j] = (v - m) / sd
		}
	case MethodChannel:
		hw := s.in[1] * s.in[2]
		for c := range s.in[0] {
			m, sd := s.mean[c], s.std[c]
			ch := x[c*hw : (c+1)*hw]
			for j, v := range ch {
				ch[j] = (v - m) / sd
			}
		}
	case MethodFeature:
		for j, v := range x {
			x[j] = (v - s.mean[j]) / s.std[j]
		}
	}
}

// ApplyExample implements [Preprocessor], in place.
func (s *standardize) ApplyExample(x []float32) ([]float32, error) {
	if !s.fitted {
		return nil, errNotFitted
	}
	if f := s.in[0] * s.in[1] * s.in[2]; s.cfg.Method != MethodGlobal && len(x) != f {
		return nil, fmt.Errorf("preprocess %s: example has %d values, want %d (%d,%d,%d)", s.cfg.Method, len(x), f, s.in[0], s.in[1], s.in[2])
	}
	s.apply(x)
	return x, nil
}

// OutShape implements [Preprocessor]: the shape is kept.
func (s *standardize) OutShape(c, h, w int) (int, int, int) { return c, h, w }

// State implements [Preprocessor]: mean and std, shape (1,), (C,) or (F,).
func (s *standardize) State() PreprocessState {
	h := PreprocessHeader{Version: preprocessVersion, Method: s.cfg.Method, InShape: s.in, OutShape: s.in}
	if s.cfg.Method != MethodGlobal {
		h.Epsilon = s.cfg.Epsilon
	}
	n := len(s.mean)
	return PreprocessState{Header: h, Tensors: []Tensor{
		{Name: TensorMean, Shape: []int{n}, Data: slices.Clone(s.mean)},
		{Name: TensorStd, Shape: []int{n}, Data: slices.Clone(s.std)},
	}}
}
