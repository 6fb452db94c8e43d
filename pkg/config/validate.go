package config

import (
	"errors"
	"fmt"
	"math"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/nettrain/nettrain/pkg/augment"
	"github.com/nettrain/nettrain/pkg/lrsched"
	"github.com/nettrain/nettrain/pkg/optim"
)

// Validate checks every range and cross-key rule of a resolved Config in one
// pass, section by section. It returns nil, or every problem found, one
// [*Error] per line (joined with errors.Join when there are several; use
// errors.As to get at one). The errors carry Path and Msg only; [Parse] adds
// the file and line of the offending key.
func (c *Config) Validate() error {
	return joinErrors(c.validate())
}

// checker collects validation errors.
type checker struct {
	errs []*Error
}

func (ck *checker) add(path, format string, args ...any) {
	ck.errs = append(ck.errs, &Error{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// finite reports whether v is finite, and records an error if it is not.
func (ck *checker) finite(path string, v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		ck.add(path, "must be a finite number, got %s", fmtFloat(v))
		return false
	}
	return true
}

// oneOf records an error unless v is one of allowed.
func (ck *checker) oneOf(path, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	q := make([]string, len(allowed))
	for i, a := range allowed {
		q[i] = strconv.Quote(a)
	}
	if len(allowed) == 1 {
		ck.add(path, "must be %s (the only value for now), got %q", q[0], v)
		return
	}
	ck.add(path, "must be one of %s, got %q", strings.Join(q, ", "), v)
}

// atLeast records an error unless v >= lo.
func (ck *checker) atLeast(path string, v, lo int) {
	if v < lo {
		ck.add(path, "must be >= %d, got %d", lo, v)
	}
}

// fmtFloat formats v as in YAML: the shortest decimal that reads back to v,
// or .inf, -.inf, .nan.
func fmtFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return ".nan"
	case math.IsInf(v, 1):
		return ".inf"
	case math.IsInf(v, -1):
		return "-.inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var (
	runNameRE   = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	layerNameRE = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
)

// validate runs every section's checks; the errors have Path and Msg only.
func (c *Config) validate() []*Error {
	var ck checker
	if c.Version != 1 {
		ck.add("version", "unsupported schema version %d; this nettrain reads version 1", c.Version)
	}
	switch {
	case !runNameRE.MatchString(c.Name):
		ck.add("name", "must match [A-Za-z0-9._-]+ (it names the run folder), got %q", c.Name)
	case c.Name == "." || c.Name == "..":
		ck.add("name", "must not be %q (it names the run folder)", c.Name)
	}
	c.Data.validate(&ck)
	c.Preprocess.validate(&ck)
	c.validateAugment(&ck)
	c.Model.validate(&ck)
	c.Optimizer.validate(&ck)
	c.Regularization.validate(&ck)
	c.Schedule.validate(&ck, c.Optimizer.LR, c.Train.Epochs)
	c.Train.validate(&ck, c.Data.ValSplit != 0)
	c.EMA.validate(&ck)
	c.Checkpoint.validate(&ck, c.Data.ValSplit != 0)
	c.Output.validate(&ck)
	return ck.errs
}

// maxCount is the largest whole count val_split may hold: above 2^53 a
// float64 no longer holds every integer.
const maxCount = 1 << 53

func (d *Data) validate(ck *checker) {
	if d.Dir == "" {
		ck.add("data.dir", "required: the folder holding the dataset files (relative to the config file's folder)")
	}
	ck.oneOf("data.format", d.Format, "idx", "folder", "csv")
	if d.LabelColumn != "" && d.Format != "csv" {
		ck.add("data.label_column", "only used by data.format csv (format is %q)", d.Format)
	}
	if d.Format == "csv" && strings.TrimSpace(d.LabelColumn) == "" {
		ck.add("data.label_column", `must not be empty (default "label")`)
	}
	if v := d.ValSplit; ck.finite("data.val_split", v) {
		switch {
		case v < 0:
			ck.add("data.val_split", "must be >= 0 (a fraction 0 < v < 1, a count >= 1, or 0 for none), got %s", fmtFloat(v))
		case v >= 1 && v != math.Trunc(v):
			ck.add("data.val_split", "must be a whole number when >= 1 (a count of examples; use 0 < v < 1 for a fraction), got %s", fmtFloat(v))
		case v > maxCount:
			ck.add("data.val_split", "count too large, got %s", fmtFloat(v))
		case v >= 1 && d.TrainLimit > 0 && v >= float64(d.TrainLimit):
			ck.add("data.val_split", "%s validation examples leave none for training out of data.train_limit %d", fmtFloat(v), d.TrainLimit)
		}
	}
	if d.TrainLimit < 0 {
		ck.add("data.train_limit", "must be >= 0 (0 = all examples), got %d", d.TrainLimit)
	}
}

// PreprocessMethods lists the values of preprocess.method.
var PreprocessMethods = []string{"none", "global", "channel", "feature", "pca", "pca_whiten", "zca"}

func (p *Preprocess) validate(ck *checker) {
	if p.Normalize != "" {
		// Parse has moved a valid value into method unless method was set too.
		if p.Normalize == "global" || p.Normalize == "none" {
			ck.add("preprocess.normalize", "is the deprecated spelling of preprocess.method; remove it (preprocess.method is %q)", p.Method)
		} else {
			ck.oneOf("preprocess.normalize", p.Normalize, "global", "none")
		}
	}
	ck.oneOf("preprocess.method", p.Method, PreprocessMethods...)
	pca := p.Method == "pca" || p.Method == "pca_whiten"
	if p.Components < 0 {
		ck.add("preprocess.components", "must be >= 1 (0 = use preprocess.variance), got %d", p.Components)
	} else if p.Components > 0 && !pca {
		ck.add("preprocess.components", "only used by preprocess.method pca and pca_whiten (method is %q)", p.Method)
	}
	if ck.finite("preprocess.variance", p.Variance) {
		switch {
		case p.Variance < 0 || p.Variance > 1:
			ck.add("preprocess.variance", "must be in (0, 1] (0 = keep every component), got %s", fmtFloat(p.Variance))
		case p.Variance != 0 && !pca:
			ck.add("preprocess.variance", "only used by preprocess.method pca and pca_whiten (method is %q)", p.Method)
		case p.Variance != 0 && p.Components > 0:
			ck.add("preprocess.variance", "set only one of preprocess.components (%d) and preprocess.variance", p.Components)
		}
	}
	if ck.finite("preprocess.epsilon", p.Epsilon) {
		switch {
		case p.Epsilon < 0:
			ck.add("preprocess.epsilon", "must be >= 0, got %s", fmtFloat(p.Epsilon))
		case p.Epsilon != 0 && !slices.Contains([]string{"channel", "feature", "pca_whiten", "zca"}, p.Method):
			ck.add("preprocess.epsilon", "only used by preprocess.method channel, feature, pca_whiten and zca (method is %q)", p.Method)
		}
	}
}

// AugmentSpecs converts the augment list into the augmentation package's
// plain specs. A range key that is not a list of two numbers becomes the
// zero range here; Validate reports it.
func (c *Config) AugmentSpecs() []augment.Spec {
	pair := func(v []float64) [2]float64 {
		if len(v) != 2 {
			return [2]float64{}
		}
		return [2]float64{v[0], v[1]}
	}
	specs := make([]augment.Spec, len(c.Augment))
	for i, a := range c.Augment {
		specs[i] = augment.Spec{
			Op: a.Op, P: a.P, Pad: a.Pad, Size: a.Size, Scale: pair(a.Scale), Ratio: pair(a.Ratio),
			Brightness: a.Brightness, Contrast: a.Contrast, Saturation: a.Saturation, Hue: a.Hue,
			Translate: pair(a.Translate), Degrees: a.Degrees, Stretch: pair(a.Stretch), K: pair(a.K),
			Fill: a.Fill, FillValue: a.FillValue, N: a.N, Magnitude: a.Magnitude, Ops: a.Ops,
		}
	}
	return specs
}

// validateAugment checks the augment list: two-number ranges here, every
// op, probability and parameter through augment.New (whose errors name
// augment[i].key). Shape-dependent checks wait for the data.
func (c *Config) validateAugment(ck *checker) {
	bad := false
	for i, a := range c.Augment {
		for _, r := range []struct {
			key string
			v   []float64
		}{{"scale", a.Scale}, {"ratio", a.Ratio}, {"translate", a.Translate}, {"stretch", a.Stretch}, {"k", a.K}} {
			if len(r.v) != 0 && len(r.v) != 2 {
				ck.add(fmt.Sprintf("augment[%d].%s", i, r.key), "must be two numbers [min, max], got %d", len(r.v))
				bad = true
			}
		}
	}
	if bad || len(c.Augment) == 0 {
		return
	}
	if _, err := augment.New(c.AugmentSpecs()); err != nil {
		for _, e := range unjoin(err) {
			var se *augment.SpecError
			if errors.As(e, &se) {
				msg := se.Msg
				if se.Param != "op" && se.Op != "" {
					msg = se.Op + ": " + msg
				}
				ck.add(fmt.Sprintf("augment[%d].%s", se.Index, se.Param), "%s", msg)
				continue
			}
			ck.add("augment", "%v", e)
		}
	}
}

// unjoin splits an errors.Join error into its parts.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func (m *Model) validate(ck *checker) {
	if m.Arch == "" {
		ck.add("model.arch", `must not be empty ("mlp" or "layers")`)
	}
	for i, h := range m.Hidden {
		ck.atLeast(fmt.Sprintf("model.hidden[%d]", i), h, 1)
	}
	m.validateArchKeys(ck)
	if m.Activation == "" {
		ck.add("model.activation", `must not be empty (e.g. "relu")`)
	}
	if m.Init == "" {
		ck.add("model.init", `must not be empty (e.g. "kaiming_normal")`)
	}
	if ck.finite("model.init_std", m.InitStd) && m.InitStd <= 0 {
		ck.add("model.init_std", "must be > 0, got %s", fmtFloat(m.InitStd))
	}
	ck.oneOf("model.init_mode", m.InitMode, "fan_in", "fan_out")
	if ck.finite("model.init_bound", m.InitBound) && m.InitBound <= 0 {
		ck.add("model.init_bound", "must be > 0, got %s", fmtFloat(m.InitBound))
	}
	ck.finite("model.init_value", m.InitValue)
	if ck.finite("model.head_init_scale", m.HeadInitScale) && m.HeadInitScale < 0 {
		ck.add("model.head_init_scale", "must be >= 0, got %s", fmtFloat(m.HeadInitScale))
	}
	switch {
	case m.Arch == "layers" && len(m.Layers) == 0:
		ck.add("model.layers", `required when model.arch is "layers": a non-empty list such as [{type: flatten}, {type: linear, out: 10}]`)
	case m.Arch != "layers" && len(m.Layers) > 0:
		ck.add("model.layers", `only used with model.arch "layers" (arch is %q)`, m.Arch)
	}
	names := make(map[string]int)
	for i := range m.Layers {
		m.Layers[i].validate(ck, i, names)
	}
}

// validateArchKeys checks the keys that belong to one architecture.
func (m *Model) validateArchKeys(ck *checker) {
	only := func(key string, set bool, archs ...string) {
		if set && !slices.Contains(archs, m.Arch) {
			ck.add("model."+key, "only used by model.arch %s (arch is %q)", strings.Join(archs, " and "), m.Arch)
		}
	}
	only("hidden", len(m.Hidden) > 0, "mlp", "cnn")
	only("widths", len(m.Widths) > 0, "cnn")
	only("convs_per_stage", m.ConvsPerStage != 0, "cnn")
	only("batch_norm", m.BatchNorm, "cnn")
	only("pool", m.Pool != "", "cnn")
	only("depth", m.Depth != 0, "resnet")
	only("width", m.Width != 0, "resnet")
	only("zero_init_residual", m.ZeroInitResidual, "resnet")
	only("pool_ratio", m.PoolRatio != 0, "cnn")
	only("stochastic_depth", m.StochasticDepth != 0, "resnet", "layers")
	if m.StochasticDepthMode != "" {
		ck.oneOf("model.stochastic_depth_mode", m.StochasticDepthMode, "linear", "constant")
		if m.StochasticDepth == 0 {
			ck.add("model.stochastic_depth_mode", "only used with model.stochastic_depth > 0")
		}
	}
	if ck.finite("model.dropconnect", m.DropConnect) && (m.DropConnect < 0 || m.DropConnect >= 1) {
		ck.add("model.dropconnect", "must be in [0, 1), got %s", fmtFloat(m.DropConnect))
	}
	if ck.finite("model.stochastic_depth", m.StochasticDepth) && (m.StochasticDepth < 0 || m.StochasticDepth >= 1) {
		ck.add("model.stochastic_depth", "must be in [0, 1), got %s", fmtFloat(m.StochasticDepth))
	}
	only("dropout", m.Dropout != 0, "mlp", "cnn", "lenet5", "resnet")
	if m.Arch == "cnn" {
		if len(m.Widths) == 0 {
			ck.add("model.widths", "arch cnn needs at least one stage width, e.g. [32, 64]")
		}
		for i, w := range m.Widths {
			ck.atLeast(fmt.Sprintf("model.widths[%d]", i), w, 1)
		}
		ck.atLeast("model.convs_per_stage", m.ConvsPerStage, 1)
		ck.oneOf("model.pool", m.Pool, "max", "avg", "fractional")
		if m.Pool == "fractional" && ck.finite("model.pool_ratio", m.PoolRatio) && !(m.PoolRatio > 1 && m.PoolRatio < 2) {
			ck.add("model.pool_ratio", "must be in (1, 2) (√2 ≈ 1.414 in the paper), got %s", fmtFloat(m.PoolRatio))
		}
		if m.PoolRatio != 0 && m.Pool != "fractional" {
			ck.add("model.pool_ratio", "only used with model.pool fractional (pool is %q)", m.Pool)
		}
	}
	if m.Arch == "resnet" {
		if m.Depth < 8 || (m.Depth-2)%6 != 0 {
			ck.add("model.depth", "must be 6n+2 with n >= 1 (8, 14, 20, 32, 44, 56, ...), got %d", m.Depth)
		}
		ck.atLeast("model.width", m.Width, 1)
	}
	if ck.finite("model.dropout", m.Dropout) && (m.Dropout < 0 || m.Dropout >= 1) {
		ck.add("model.dropout", "must be in [0, 1), got %s", fmtFloat(m.Dropout))
	}
	if ck.finite("model.activation_slope", m.ActivationSlope) && m.ActivationSlope < 0 {
		ck.add("model.activation_slope", "must be >= 0, got %s", fmtFloat(m.ActivationSlope))
	}
	if ck.finite("model.activation_alpha", m.ActivationAlpha) && m.ActivationAlpha <= 0 {
		ck.add("model.activation_alpha", "must be > 0, got %s", fmtFloat(m.ActivationAlpha))
	}
	ck.oneOf("model.gelu_approximate", m.GELUApproximate, "none", "tanh")
}

// validate checks layer i of model.layers; names maps the layer names seen so
// far to their index.
func (l *Layer) validate(ck *checker, i int, names map[string]int) {
	p := fmt.Sprintf("model.layers[%d]", i)
	if l.Type == "" {
		ck.add(p+".type", "required: linear, flatten, or an activation name such as relu")
	}
	if l.Name != "" {
		if !layerNameRE.MatchString(l.Name) {
			ck.add(p+".name", "must match [A-Za-z0-9_]+, got %q", l.Name)
		} else if j, dup := names[l.Name]; dup {
			ck.add(p+".name", "%q is already the name of model.layers[%d]", l.Name, j)
		} else {
			names[l.Name] = i
		}
	}
	keys, known := layerKeys[l.Type]
	if !known {
		keys = activationLayerKeys // any other type is an activation name, checked by the registry
	}
	used := map[string]bool{}
	for _, k := range keys {
		used[k] = true
	}
	present := []struct {
		key string
		set bool
	}{
		{"out", l.Out != 0}, {"bias", l.Bias != nil}, {"init", l.Init != ""}, {"kernel", l.Kernel != 0},
		{"stride", l.Stride != 0}, {"padding", l.Padding != 0}, {"p", l.P != 0}, {"slope", l.Slope != 0},
		{"alpha", l.Alpha != 0}, {"approximate", l.Approximate != ""}, {"per_channel", l.PerChannel},
		{"dropconnect", l.DropConnect != nil}, {"drop", l.Drop != nil}, {"ratio", l.Ratio != 0},
		{"overlapping", l.Overlapping}, {"pseudo_random", l.PseudoRandom}, {"test_draws", l.TestDraws != 0},
	}
	for _, k := range present {
		if k.set && !used[k.key] && l.Type != "" {
			ck.add(p+"."+k.key, "not used by a %q layer (it takes: %s)", l.Type, keyList(keys))
		}
	}
	if used["out"] && l.Out < 1 {
		ck.add(p+".out", "required for a %q layer: must be >= 1, got %d", l.Type, l.Out)
	}
	if used["kernel"] && l.Kernel < 1 {
		ck.add(p+".kernel", "required for a %q layer: must be >= 1, got %d", l.Type, l.Kernel)
	}
	if used["stride"] && l.Stride < 1 {
		ck.add(p+".stride", "must be >= 1, got %d", l.Stride)
	}
	if l.Padding < 0 {
		ck.add(p+".padding", "must be >= 0, got %d", l.Padding)
	}
	if ck.finite(p+".p", l.P) && (l.P < 0 || l.P >= 1) {
		ck.add(p+".p", "must be in [0, 1), got %s", fmtFloat(l.P))
	}
	if ck.finite(p+".slope", l.Slope) && l.Slope < 0 {
		ck.add(p+".slope", "must be >= 0, got %s", fmtFloat(l.Slope))
	}
	if ck.finite(p+".alpha", l.Alpha) && l.Alpha < 0 {
		ck.add(p+".alpha", "must be > 0, got %s", fmtFloat(l.Alpha))
	}
	if l.Approximate != "" {
		ck.oneOf(p+".approximate", l.Approximate, "none", "tanh")
	}
	for _, f := range []struct {
		key string
		v   *float64
	}{{"dropconnect", l.DropConnect}, {"drop", l.Drop}} {
		if f.v != nil && ck.finite(p+"."+f.key, *f.v) && (*f.v < 0 || *f.v >= 1) {
			ck.add(p+"."+f.key, "must be in [0, 1), got %s", fmtFloat(*f.v))
		}
	}
	if used["ratio"] && ck.finite(p+".ratio", l.Ratio) && !(l.Ratio > 1 && l.Ratio < 2) {
		ck.add(p+".ratio", "must be in (1, 2) (√2 ≈ 1.414 in the paper), got %s", fmtFloat(l.Ratio))
	}
	if used["test_draws"] && l.TestDraws < 1 {
		ck.add(p+".test_draws", "must be >= 1, got %d", l.TestDraws)
	}
}

// layerKeys lists, per layer type of model.layers, the keys it takes
// besides type and name.
var layerKeys = map[string][]string{
	"linear":               {"out", "bias", "init", "dropconnect"},
	"conv2d":               {"out", "kernel", "stride", "padding", "bias", "init", "dropconnect"},
	"maxpool2d":            {"kernel", "stride", "padding"},
	"fractional_maxpool2d": {"ratio", "overlapping", "pseudo_random", "test_draws"},
	"avgpool2d":            {"kernel", "stride", "padding"},
	"global_avgpool":       {},
	"flatten":              {},
	"batchnorm":            {},
	"dropout":              {"p"},
	"basic_block":          {"out", "stride", "drop"},
}

// activationLayerKeys are the keys an activation layer takes.
var activationLayerKeys = []string{"slope", "alpha", "approximate", "per_channel"}

func keyList(keys []string) string {
	if len(keys) == 0 {
		return "no other keys"
	}
	return strings.Join(keys, ", ")
}

func (o *Optimizer) validate(ck *checker) {
	ck.oneOf("optimizer.type", o.Type, optim.Types...)
	if ck.finite("optimizer.lr", o.LR) && o.LR <= 0 {
		ck.add("optimizer.lr", "must be > 0, got %s", fmtFloat(o.LR))
	}
	if ck.finite("optimizer.momentum", o.Momentum) && (o.Momentum < 0 || o.Momentum >= 1) {
		ck.add("optimizer.momentum", "must be >= 0 and < 1, got %s", fmtFloat(o.Momentum))
	}
	if o.Nesterov && !(o.Momentum > 0) {
		ck.add("optimizer.nesterov", "requires optimizer.momentum > 0")
	}
	only := func(key string, set bool, types ...string) {
		if set && !slices.Contains(types, o.Type) {
			ck.add("optimizer."+key, "only used by optimizer.type %s (type is %q)", strings.Join(types, " and "), o.Type)
		}
	}
	only("momentum", o.Momentum != 0, "sgd", "rmsprop")
	only("dampening", o.Dampening != 0, "sgd")
	only("nesterov", o.Nesterov, "sgd")
	only("centered", o.Centered, "rmsprop")
	only("amsgrad", o.AMSGrad, "adam", "adamw")
	only("lr_decay", o.LRDecay != 0, "adagrad")
	only("initial_accumulator", o.InitialAccumulator != 0, "adagrad")
	if ck.finite("optimizer.dampening", o.Dampening) && (o.Dampening < 0 || o.Dampening >= 1) {
		ck.add("optimizer.dampening", "must be >= 0 and < 1, got %s", fmtFloat(o.Dampening))
	}
	if o.Nesterov && o.Dampening != 0 {
		ck.add("optimizer.dampening", "must be 0 with nesterov, as in PyTorch")
	}
	if len(o.Betas) != 2 {
		ck.add("optimizer.betas", "must be two numbers [beta1, beta2], e.g. [0.9, 0.999]")
	}
	for i, b := range o.Betas {
		if key := fmt.Sprintf("optimizer.betas[%d]", i); ck.finite(key, b) && (b <= 0 || b >= 1) {
			ck.add(key, "must be > 0 and < 1, got %s", fmtFloat(b))
		}
	}
	if ck.finite("optimizer.eps", o.Eps) && o.Eps <= 0 {
		ck.add("optimizer.eps", "must be > 0, got %s", fmtFloat(o.Eps))
	}
	if ck.finite("optimizer.alpha", o.Alpha) && (o.Alpha <= 0 || o.Alpha >= 1) {
		ck.add("optimizer.alpha", "must be > 0 and < 1, got %s", fmtFloat(o.Alpha))
	}
	for _, f := range []struct {
		key string
		v   float64
	}{{"optimizer.weight_decay", o.WeightDecay}, {"optimizer.lr_decay", o.LRDecay}, {"optimizer.initial_accumulator", o.InitialAccumulator},
		{"optimizer.clip_grad_norm", o.ClipGradNorm}, {"optimizer.clip_grad_value", o.ClipGradValue}} {
		if ck.finite(f.key, f.v) && f.v < 0 {
			ck.add(f.key, "must be >= 0, got %s", fmtFloat(f.v))
		}
	}
	for i, g := range o.Groups {
		p := fmt.Sprintf("optimizer.groups[%d]", i)
		if g.Pattern == "" {
			ck.add(p+".pattern", `required: a glob on parameter names, e.g. "*.bias"`)
		} else if _, err := path.Match(g.Pattern, ""); err != nil {
			ck.add(p+".pattern", "bad glob %q: %v", g.Pattern, err)
		}
		if ck.finite(p+".lr_scale", g.LRScale) && g.LRScale <= 0 {
			ck.add(p+".lr_scale", "must be > 0, got %s", fmtFloat(g.LRScale))
		}
		if g.WeightDecay != nil && ck.finite(p+".weight_decay", *g.WeightDecay) && *g.WeightDecay < 0 {
			ck.add(p+".weight_decay", "must be >= 0, got %s", fmtFloat(*g.WeightDecay))
		}
	}
}

func (r *Regularization) validate(ck *checker) {
	if ck.finite("regularization.l2", r.L2) && r.L2 < 0 {
		ck.add("regularization.l2", "must be >= 0, got %s", fmtFloat(r.L2))
	}
	if ck.finite("regularization.l1", r.L1) && r.L1 < 0 {
		ck.add("regularization.l1", "must be >= 0, got %s", fmtFloat(r.L1))
	}
	for _, list := range []struct {
		key  string
		pats []string
	}{{"regularization.include", r.Include}, {"regularization.exclude", r.Exclude}} {
		for i, pat := range list.pats {
			key := fmt.Sprintf("%s[%d]", list.key, i)
			if pat == "" {
				ck.add(key, `must not be empty: a glob on parameter names, e.g. "*.weight"`)
			} else if _, err := path.Match(pat, ""); err != nil {
				ck.add(key, "bad glob %q: %v", pat, err)
			}
		}
	}
}

// validate checks the schedule; lr and epochs are optimizer.lr and
// train.epochs, which bound min_lr and warmup_epochs.
func (s *Schedule) validate(ck *checker, lr float64, epochs int) {
	ck.oneOf("schedule.type", s.Type, lrsched.Names...)
	if s.Interval != "" {
		ck.oneOf("schedule.interval", s.Interval, "step", "epoch")
	}
	for i, m := range s.Milestones {
		ck.atLeast(fmt.Sprintf("schedule.milestones[%d]", i), m, 1)
		if i > 0 && m <= s.Milestones[i-1] {
			ck.add(fmt.Sprintf("schedule.milestones[%d]", i), "must be greater than the previous milestone (%d), got %d", s.Milestones[i-1], m)
		}
	}
	if s.Type == "multistep" && len(s.Milestones) == 0 {
		ck.add("schedule.milestones", "required for schedule.type multistep, e.g. [30, 60, 90]")
	}
	ck.atLeast("schedule.t0", s.T0, 1)
	ck.atLeast("schedule.t_mult", s.TMult, 1)
	for _, f := range []struct {
		key string
		v   float64
	}{{"schedule.start_factor", s.StartFactor}, {"schedule.end_factor", s.EndFactor}} {
		if ck.finite(f.key, f.v) && (f.v < 0 || f.v > 1) {
			ck.add(f.key, "must be in [0, 1], got %s", fmtFloat(f.v))
		}
	}
	if s.TotalIters < 0 {
		ck.add("schedule.total_iters", "must be >= 0 (0 = the whole run), got %d", s.TotalIters)
	}
	if ck.finite("schedule.power", s.Power) && s.Power <= 0 {
		ck.add("schedule.power", "must be > 0, got %s", fmtFloat(s.Power))
	}
	if s.InvSqrtSteps < 0 {
		ck.add("schedule.invsqrt_steps", "must be >= 0, got %d", s.InvSqrtSteps)
	}
	if ck.finite("schedule.max_lr", s.MaxLR) && s.MaxLR < 0 {
		ck.add("schedule.max_lr", "must be >= 0 (0 = optimizer.lr), got %s", fmtFloat(s.MaxLR))
	}
	if ck.finite("schedule.pct_start", s.PctStart) && (s.PctStart <= 0 || s.PctStart >= 1) {
		ck.add("schedule.pct_start", "must be in (0, 1), got %s", fmtFloat(s.PctStart))
	}
	for _, f := range []struct {
		key string
		v   float64
	}{{"schedule.div_factor", s.DivFactor}, {"schedule.final_div_factor", s.FinalDivFactor}} {
		if ck.finite(f.key, f.v) && f.v < 1 {
			ck.add(f.key, "must be >= 1, got %s", fmtFloat(f.v))
		}
	}
	ck.oneOf("schedule.anneal_strategy", s.AnnealStrategy, "cos", "linear")
	if ck.finite("schedule.warmup_start_factor", s.WarmupStartFactor) && (s.WarmupStartFactor < 0 || s.WarmupStartFactor >= 1) {
		ck.add("schedule.warmup_start_factor", "must be in [0, 1), got %s", fmtFloat(s.WarmupStartFactor))
	}
	ck.oneOf("schedule.scale_rule", s.ScaleRule, "none", "linear", "sqrt")
	ck.atLeast("schedule.base_batch_size", s.BaseBatchSize, 1)
	p := s.Plateau
	ck.oneOf("schedule.plateau.metric", p.Metric, "val_loss", "val_acc")
	ck.oneOf("schedule.plateau.mode", p.Mode, "min", "max")
	if ck.finite("schedule.plateau.factor", p.Factor) && (p.Factor <= 0 || p.Factor >= 1) {
		ck.add("schedule.plateau.factor", "must be in (0, 1), got %s", fmtFloat(p.Factor))
	}
	if p.Patience < 0 {
		ck.add("schedule.plateau.patience", "must be >= 0, got %d", p.Patience)
	}
	if ck.finite("schedule.plateau.threshold", p.Threshold) && p.Threshold < 0 {
		ck.add("schedule.plateau.threshold", "must be >= 0, got %s", fmtFloat(p.Threshold))
	}
	ck.oneOf("schedule.plateau.threshold_mode", p.ThresholdMode, "rel", "abs")
	if p.Cooldown < 0 {
		ck.add("schedule.plateau.cooldown", "must be >= 0, got %d", p.Cooldown)
	}
	if ck.finite("schedule.plateau.min_lr", p.MinLR) && p.MinLR < 0 {
		ck.add("schedule.plateau.min_lr", "must be >= 0, got %s", fmtFloat(p.MinLR))
	}
	ck.atLeast("schedule.step_size", s.StepSize, 1)
	if ck.finite("schedule.gamma", s.Gamma) && (s.Gamma <= 0 || s.Gamma > 1) {
		ck.add("schedule.gamma", "must be > 0 and <= 1, got %s", fmtFloat(s.Gamma))
	}
	if ck.finite("schedule.min_lr", s.MinLR) {
		switch {
		case s.MinLR < 0:
			ck.add("schedule.min_lr", "must be >= 0, got %s", fmtFloat(s.MinLR))
		case s.MinLR >= lr && lr > 0:
			ck.add("schedule.min_lr", "must be < optimizer.lr (%s), got %s", fmtFloat(lr), fmtFloat(s.MinLR))
		}
	}
	if ck.finite("schedule.warmup_epochs", s.WarmupEpochs) {
		switch {
		case s.WarmupEpochs < 0:
			ck.add("schedule.warmup_epochs", "must be >= 0, got %s", fmtFloat(s.WarmupEpochs))
		case s.WarmupEpochs >= float64(epochs) && epochs >= 1:
			ck.add("schedule.warmup_epochs", "must be < train.epochs (%d), got %s", epochs, fmtFloat(s.WarmupEpochs))
		}
	}
}

// monitoredMetrics are the metrics early stopping and the best checkpoint
// can watch.
var monitoredMetrics = []string{"val_loss", "val_acc", "train_loss", "train_acc"}

// metric checks a monitored metric key; hasVal says whether the run has a
// validation split.
func (ck *checker) metric(path, v string, hasVal bool) {
	ck.oneOf(path, v, monitoredMetrics...)
	if strings.HasPrefix(v, "val_") && !hasVal {
		ck.add(path, "%s needs a validation split (data.val_split is 0); use train_loss or train_acc", v)
	}
}

func (t *Train) validate(ck *checker, hasVal bool) {
	ck.atLeast("train.epochs", t.Epochs, 1)
	ck.atLeast("train.batch_size", t.BatchSize, 1)
	ck.atLeast("train.eval_batch_size", t.EvalBatchSize, 1)
	ck.atLeast("train.accumulate", t.Accumulate, 1)
	if e := t.LabelSmoothing; ck.finite("train.label_smoothing", e) && (e < 0 || e >= 1) {
		ck.add("train.label_smoothing", "must be in [0, 1), got %s", fmtFloat(e))
	}
	for _, m := range []struct {
		key string
		mix Mix
	}{{"train.mixup", t.Mixup}, {"train.cutmix", t.CutMix}} {
		if ck.finite(m.key+".alpha", m.mix.Alpha) && m.mix.Alpha < 0 {
			ck.add(m.key+".alpha", "must be >= 0 (0 = off; typical 0.2 for mixup, 1 for cutmix), got %s", fmtFloat(m.mix.Alpha))
		}
		if ck.finite(m.key+".p", m.mix.P) && (m.mix.P < 0 || m.mix.P > 1) {
			ck.add(m.key+".p", "must be in [0, 1], got %s", fmtFloat(m.mix.P))
		}
	}
	if f := t.DivergenceFactor; ck.finite("train.divergence_factor", f) && f != 0 && f <= 1 {
		ck.add("train.divergence_factor", "must be 0 (off) or > 1, got %s", fmtFloat(f))
	}
	es := t.EarlyStopping
	if es.Enabled {
		ck.metric("train.early_stopping.metric", es.Metric, hasVal)
	} else {
		ck.oneOf("train.early_stopping.metric", es.Metric, monitoredMetrics...)
	}
	ck.oneOf("train.early_stopping.mode", es.Mode, "min", "max")
	ck.atLeast("train.early_stopping.patience", es.Patience, 1)
	if ck.finite("train.early_stopping.min_delta", es.MinDelta) && es.MinDelta < 0 {
		ck.add("train.early_stopping.min_delta", "must be >= 0, got %s", fmtFloat(es.MinDelta))
	}
}

func (e *EMA) validate(ck *checker) {
	if ck.finite("ema.decay", e.Decay) && (e.Decay <= 0 || e.Decay >= 1) {
		ck.add("ema.decay", "must be > 0 and < 1, got %s", fmtFloat(e.Decay))
	}
}

func (c *Checkpoint) validate(ck *checker, hasVal bool) {
	ck.metric("checkpoint.monitor", c.Monitor, hasVal)
	ck.oneOf("checkpoint.mode", c.Mode, "min", "max")
	ck.atLeast("checkpoint.keep_best", c.KeepBest, 1)
	ck.atLeast("checkpoint.every", c.Every, 0)
}

func (o *Output) validate(ck *checker) {
	if o.Dir == "" {
		ck.add("output.dir", `must not be empty (default "runs/<name>")`)
	}
}
