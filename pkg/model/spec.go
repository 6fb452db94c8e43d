package model

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/spec"
)

// Spec is the "model" section of a config: the network architecture. It is
// the one definition of the section's keys (the yaml tags), their ranges
// (the range tags, see package spec) and, in the field comments, their
// meaning and defaults. [DefaultSpec] and [Spec.ApplyDefaults] fill in the
// defaults, [Spec.Validate] checks it, [Build] builds it.
type Spec struct {
	// Arch is the architecture (key "model.arch"): "mlp" (a multi-layer
	// perceptron built from Hidden), "lenet5", "cnn" (VGG-style stages built
	// from Widths, ConvsPerStage, BatchNorm and Pool), "resnet" (CIFAR-style,
	// Depth and Width) or "layers" (the explicit list in Layers). Default
	// "mlp".
	Arch string `yaml:"arch"`
	// Hidden lists the sizes of the hidden fully connected layers, input to
	// output (key "model.hidden"): the whole network of arch "mlp", and the
	// layers between the convolutional features and the classifier of arch
	// "cnn". Each must be >= 1. Default [256] when arch is "mlp", empty
	// otherwise. An explicit empty list [] means no hidden layer. Must be
	// empty for arch "layers", "lenet5" and "resnet".
	Hidden []int `yaml:"hidden" range:">=1"`
	// Widths are the output channels of the stages of arch "cnn" (key
	// "model.widths"), each >= 1; every stage is ConvsPerStage 3x3
	// convolutions followed by a 2x2 pooling. Default [32, 64] for arch
	// "cnn"; must be empty for other archs.
	Widths []int `yaml:"widths" range:">=1"`
	// ConvsPerStage is the number of 3x3 convolutions per stage of arch
	// "cnn" (key "model.convs_per_stage"), >= 1. Default 2.
	ConvsPerStage int `yaml:"convs_per_stage" range:">=1"`
	// BatchNorm puts a batch-norm layer after every convolution of arch
	// "cnn" (the convolutions then have no bias) (key "model.batch_norm").
	// Default true.
	BatchNorm bool `yaml:"batch_norm"`
	// Pool is the pooling at the end of each stage of arch "cnn" (key
	// "model.pool"): "max" (default), "avg" or "fractional" (fractional
	// max-pooling, Graham 2014, shrinking by PoolRatio instead of 2).
	Pool string `yaml:"pool"`
	// PoolRatio is the reduction per axis of pool "fractional" (key
	// "model.pool_ratio"), in (1, 2). Default 1.4142135623730951 (√2, as
	// in the paper) when pool is fractional.
	PoolRatio float64 `yaml:"pool_ratio" range:"(1,2); √2 ≈ 1.414 in the paper"`
	// Depth is the number of weighted layers of arch "resnet" (key
	// "model.depth"): 6n+2, e.g. 8, 14, 20, 32, 56. Default 20.
	Depth int `yaml:"depth"`
	// Width is the number of channels of the first stage of arch "resnet"
	// (key "model.width"); the three stages have Width, 2·Width and 4·Width
	// channels. Default 16, as in He et al. (2016).
	Width int `yaml:"width" range:">=1"`
	// ZeroInitResidual starts the last batch-norm scale of every residual
	// block at 0, so each block starts as the identity (key
	// "model.zero_init_residual", torchvision's zero_init_residual; Goyal et
	// al. 2017). Arch "resnet" only. Default false.
	ZeroInitResidual bool `yaml:"zero_init_residual"`
	// Dropout is the probability of inverted dropout on the input of every
	// fully connected layer that follows hidden features (key
	// "model.dropout"): after each hidden activation of an mlp, and after the
	// convolutional features and each hidden layer of a cnn, lenet5 or
	// resnet. 0 <= p < 1. Default 0 (none).
	Dropout float64 `yaml:"dropout" range:"[0,1)"`
	// DropConnect is the probability of dropping each weight of every
	// linear and conv2d layer in training (key "model.dropconnect"), Wan et
	// al. 2013, in the inverted form with one mask per mini-batch. In
	// [0, 1); 0 (default) is off. For arch "layers" a layer's own
	// "dropconnect" key overrides it.
	DropConnect float64 `yaml:"dropconnect" range:"[0,1)"`
	// StochasticDepth is the largest probability of dropping a residual
	// block's branch in training (key "model.stochastic_depth"), Huang et
	// al. 2016, per example, for the basic blocks of arch "resnet" and
	// "layers" (where a block's own "drop" key overrides it). In [0, 1);
	// default 0 (off).
	StochasticDepth float64 `yaml:"stochastic_depth" range:"[0,1)"`
	// StochasticDepthMode spreads StochasticDepth over the blocks (key
	// "model.stochastic_depth_mode"): "linear" (block l of L drops with
	// probability l/L·p, the paper's rule; default) or "constant" (every
	// block p).
	StochasticDepthMode string `yaml:"stochastic_depth_mode"`
	// Activation is the activation function of every architecture except
	// "layers" (key "model.activation"): relu, leaky_relu, prelu, elu, selu,
	// gelu, tanh or sigmoid (the nn registry's names). Default "relu".
	Activation string `yaml:"activation"`
	// ActivationSlope is the negative slope of leaky_relu (key
	// "model.activation_slope"), >= 0. Default 0.01, as PyTorch.
	ActivationSlope float64 `yaml:"activation_slope" range:">=0"`
	// ActivationAlpha is the α of elu (key "model.activation_alpha"), > 0.
	// Default 1, as PyTorch.
	ActivationAlpha float64 `yaml:"activation_alpha" range:">0"`
	// GELUApproximate selects gelu's form (key "model.gelu_approximate"):
	// "none" (the exact erf form, default) or "tanh", as PyTorch's
	// approximate argument.
	GELUApproximate string `yaml:"gelu_approximate"`
	// PReLUPerChannel gives prelu one learned slope per channel (or feature)
	// instead of one shared slope (key "model.prelu_per_channel"), as
	// PyTorch's num_parameters. Default false.
	PReLUPerChannel bool `yaml:"prelu_per_channel"`
	// Init is the weight initialization of linear and convolution layers
	// (key "model.init"), e.g. "kaiming_normal" or "normal" (the nn
	// registry's names). Biases start at zero. Default "kaiming_normal".
	Init string `yaml:"init"`
	// InitStd is the standard deviation used by init "normal" (key
	// "model.init_std"). Must be > 0 and finite. Default 0.01.
	InitStd float64 `yaml:"init_std" range:">0"`
	// InitMode is the fan the Kaiming inits use (key "model.init_mode"):
	// "fan_in" (default: preserves the forward variance) or "fan_out"
	// (the backward one), as PyTorch's mode argument.
	InitMode string `yaml:"init_mode"`
	// InitBound is the half-width a of init "uniform", U(−a, a) (key
	// "model.init_bound"), > 0. Default 0.05.
	InitBound float64 `yaml:"init_bound" range:">0"`
	// InitValue is the fill value of init "constant" (key
	// "model.init_value"). Default 0.
	InitValue float64 `yaml:"init_value"`
	// HeadInitScale multiplies the initial weights of the last linear layer
	// (the classifier) (key "model.head_init_scale"), as timm's
	// head_init_scale. Values below 1 start the logits near zero, so the
	// initial loss is close to ln(C). Must be >= 0 and finite. Default 1
	// (the plain init, as in PyTorch).
	HeadInitScale float64 `yaml:"head_init_scale" range:">=0"`
	// InitFrom is a nettrain checkpoint whose weights and buffers
	// initialize the model by name (key "model.init_from"): transfer
	// learning from a model trained on another task. Every tensor of the
	// model that the checkpoint has, and that InitInclude and InitExclude
	// select, is loaded and must have the same shape (else an error naming
	// it); the others keep the init of model.init (a new head). Training
	// prints what was loaded, excluded and newly initialized. A relative
	// path is resolved as data.dir's. It applies when a run starts, not on
	// --resume. Default empty (model.init only).
	InitFrom string `yaml:"init_from"`
	// InitInclude restricts model.init_from to the tensors matching one of
	// these globs on tensor names (key "model.init_include"), e.g.
	// ["stage1.*"]. Default empty: every tensor.
	InitInclude []string `yaml:"init_include"`
	// InitExclude leaves the tensors matching any of these globs to
	// model.init (key "model.init_exclude"), e.g. ["fc3.*"] for a new
	// classifier of another number of classes. Default empty.
	InitExclude []string `yaml:"init_exclude"`
	// Layers is the explicit layer list of arch "layers", input to output
	// (key "model.layers"). Required and non-empty when arch is "layers";
	// must be empty for any other arch. Default empty.
	Layers []LayerSpec `yaml:"layers"`
}

// LayerSpec is one entry of model.layers. Which keys a type takes is
// [LayerKeys]; a key the type does not take must be left out.
type LayerSpec struct {
	// Type is the layer kind (key "type"): "linear", "conv2d", "maxpool2d",
	// "avgpool2d", "fractional_maxpool2d", "global_avgpool", "batchnorm",
	// "dropout", "flatten", "basic_block" (a ResNet basic block), or an
	// activation name such as "relu". Required.
	Type string `yaml:"type"`
	// Name names the layer in parameter names, e.g. "fc1" gives "fc1.weight"
	// (key "name"). Optional: when empty the model builder picks one
	// ("<type><index>"). When set it must match [A-Za-z0-9_]+ and be unique
	// within the list.
	Name string `yaml:"name"`
	// Out is the number of output features of a linear layer or output
	// channels of a conv2d or basic_block (key "out"). Required (>= 1) for
	// those types, not allowed on others.
	Out int `yaml:"out" range:">=1"`
	// Bias says whether a linear or conv2d layer adds a bias (key "bias").
	// Default true, as in PyTorch; [Spec.ApplyDefaults] fills it in for
	// those types.
	Bias *bool `yaml:"bias"`
	// Init overrides model.init for this linear or conv2d layer (key
	// "init"). Default empty: use model.init.
	Init string `yaml:"init"`
	// Kernel is the kernel size of conv2d, maxpool2d and avgpool2d (key
	// "kernel"), >= 1. Required for those types.
	Kernel int `yaml:"kernel" range:">=1"`
	// Stride of conv2d, the pools and basic_block (key "stride"), >= 1.
	// Default 1 for conv2d and basic_block, the kernel size for pools (as
	// PyTorch).
	Stride int `yaml:"stride" range:">=1"`
	// Padding is the zero padding of conv2d and the pools (key "padding"),
	// >= 0. Default 0.
	Padding int `yaml:"padding" range:">=0"`
	// P is the drop probability of a dropout layer (key "p"), 0 <= p < 1.
	// Default 0.5, as PyTorch.
	P float64 `yaml:"p" range:"[0,1)"`
	// Slope is the negative slope of a leaky_relu layer (key "slope"),
	// >= 0; 0 (unset) means the default 0.01.
	Slope float64 `yaml:"slope" range:">=0"`
	// Alpha is the α of an elu layer (key "alpha"), > 0; 0 (unset) means
	// the default 1.
	Alpha float64 `yaml:"alpha" range:"0|>0; 0 = the default 1"`
	// Approximate selects a gelu layer's form (key "approximate"): "none"
	// (default) or "tanh".
	Approximate string `yaml:"approximate"`
	// PerChannel gives a prelu layer one slope per channel (key
	// "per_channel"). Default false.
	PerChannel bool `yaml:"per_channel"`
	// DropConnect is the DropConnect probability of a linear or conv2d
	// layer (key "dropconnect"), in [0, 1); unset: model.dropconnect.
	DropConnect *float64 `yaml:"dropconnect" range:"[0,1)"`
	// Drop is the stochastic depth probability of a basic_block (key
	// "drop"), in [0, 1); unset: from model.stochastic_depth.
	Drop *float64 `yaml:"drop" range:"[0,1)"`
	// Ratio is the reduction per axis of a fractional_maxpool2d layer (key
	// "ratio"), in (1, 2). Default √2.
	Ratio float64 `yaml:"ratio" range:"(1,2); √2 ≈ 1.414 in the paper"`
	// Overlapping makes the regions of a fractional_maxpool2d layer share
	// their boundary row and column (key "overlapping"). Default false.
	Overlapping bool `yaml:"overlapping"`
	// PseudoRandom selects the pseudo-random region sequence of a
	// fractional_maxpool2d layer instead of the random one (key
	// "pseudo_random"). Default false.
	PseudoRandom bool `yaml:"pseudo_random"`
	// TestDraws is how many fixed poolings a fractional_maxpool2d layer
	// averages in evaluation (key "test_draws"), >= 1. Default 1.
	TestDraws int `yaml:"test_draws" range:">=1"`
}

// Names of the model section's fixed-choice keys.
var (
	// Pools lists the values of model.pool.
	Pools = []string{"max", "avg", "fractional"}
	// StochasticDepthModes lists the values of model.stochastic_depth_mode.
	StochasticDepthModes = []string{"linear", "constant"}
	// GELUApproximations lists the values of model.gelu_approximate and of
	// a gelu layer's approximate.
	GELUApproximations = []string{"none", "tanh"}
	// InitModes lists the values of model.init_mode.
	InitModes = []string{nn.ModeFanIn, nn.ModeFanOut}
)

// archKeys says which architectures read each key that not every
// architecture reads: Validate rejects such a key set for another arch, and
// its range is only checked for these archs.
var archKeys = []struct {
	key   string
	archs []string
}{
	{"hidden", []string{"mlp", "cnn"}},
	{"widths", []string{"cnn"}},
	{"convs_per_stage", []string{"cnn"}},
	{"batch_norm", []string{"cnn"}},
	{"pool", []string{"cnn"}},
	{"depth", []string{"resnet"}},
	{"width", []string{"resnet"}},
	{"zero_init_residual", []string{"resnet"}},
	{"pool_ratio", []string{"cnn"}},
	{"stochastic_depth", []string{"resnet", "layers"}},
	{"dropout", []string{"mlp", "cnn", "lenet5", "resnet"}},
}

// layerKeys lists, per layer type of model.layers, the keys it takes
// besides type and name; an activation layer takes activationLayerKeys.
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

// LayerTypes returns every layer type of model.layers, sorted: the types
// of [LayerKeys] and the activation names.
func LayerTypes() []string {
	return slices.Sorted(slices.Values(append(slices.Collect(maps.Keys(layerKeys)), nn.ActivationNames()...)))
}

// LayerKeys returns the keys a layer of type typ takes besides type and
// name, in declaration order; an unknown type is taken for an activation.
func LayerKeys(typ string) []string {
	if keys, ok := layerKeys[typ]; ok {
		return slices.Clone(keys)
	}
	return slices.Clone(activationLayerKeys)
}

// DefaultSpec returns the model section's defaults, before the ones that
// depend on other keys ([Spec.ApplyDefaults]).
func DefaultSpec() Spec {
	return Spec{
		Arch:            "mlp",
		Hidden:          []int{256},
		Activation:      "relu",
		Init:            "kaiming_normal",
		InitStd:         0.01,
		InitMode:        nn.ModeFanIn,
		InitBound:       0.05,
		HeadInitScale:   1,
		ActivationSlope: 0.01,
		ActivationAlpha: 1,
		GELUApproximate: "none",
	}
}

// ApplyDefaults fills in the defaults that depend on other keys; isSet
// reports whether a key (relative to the section, e.g. "hidden" or
// "layers[2].p") was given a value. Keys of one architecture get their
// defaults only for it, so the resolved config shows what is used; set
// explicitly for another arch they are kept and Validate reports them.
func (s *Spec) ApplyDefaults(isSet func(key string) bool) {
	if s.Arch != "mlp" && !isSet("hidden") {
		s.Hidden = nil // [256] is the default of arch mlp only
	}
	if s.Arch == "cnn" {
		if !isSet("widths") {
			s.Widths = []int{32, 64}
		}
		if !isSet("convs_per_stage") {
			s.ConvsPerStage = 2
		}
		if !isSet("batch_norm") {
			s.BatchNorm = true
		}
		if !isSet("pool") {
			s.Pool = "max"
		}
		if s.Pool == "fractional" && !isSet("pool_ratio") {
			s.PoolRatio = math.Sqrt2
		}
	}
	if s.StochasticDepth != 0 && !isSet("stochastic_depth_mode") {
		s.StochasticDepthMode = "linear"
	}
	if s.Arch == "resnet" {
		if !isSet("depth") {
			s.Depth = 20
		}
		if !isSet("width") {
			s.Width = 16
		}
	}
	for i := range s.Layers {
		s.Layers[i].applyDefaults(func(key string) bool { return isSet(fmt.Sprintf("layers[%d].%s", i, key)) })
	}
}

// applyDefaults fills in a layer's defaults that depend on its type.
func (l *LayerSpec) applyDefaults(isSet func(key string) bool) {
	switch l.Type {
	case "linear", "conv2d":
		if l.Bias == nil {
			t := true
			l.Bias = &t
		}
	case "dropout":
		if !isSet("p") {
			l.P = 0.5
		}
	case "fractional_maxpool2d":
		if !isSet("ratio") {
			l.Ratio = math.Sqrt2
		}
		if !isSet("test_draws") {
			l.TestDraws = 1
		}
	}
	switch l.Type {
	case "conv2d", "basic_block":
		if l.Stride == 0 {
			l.Stride = 1
		}
	case "maxpool2d", "avgpool2d":
		if l.Stride == 0 {
			l.Stride = l.Kernel
		}
	}
}

// KeyNames lists the names of the section's name keys ([spec.Namer]).
func (s Spec) KeyNames() map[string]spec.Names {
	return map[string]spec.Names{
		"arch":                  {List: Architectures(), Noun: "architecture", EmptyMsg: `must not be empty ("mlp" or "layers")`},
		"pool":                  {List: Pools, Empty: true},
		"stochastic_depth_mode": {List: StochasticDepthModes, Empty: true},
		"activation":            {List: nn.ActivationNames(), Noun: "activation", EmptyMsg: `must not be empty (e.g. "relu")`},
		"gelu_approximate":      {List: GELUApproximations},
		"init":                  {List: nn.InitNames(), Noun: "init", EmptyMsg: `must not be empty (e.g. "kaiming_normal")`},
		"init_mode":             {List: InitModes},
	}
}

// Uses reports whether the spec's architecture reads key ([spec.KeyUser]).
func (s Spec) Uses(key string) bool {
	if key == "pool_ratio" && s.Pool != "fractional" {
		return false
	}
	for _, k := range archKeys {
		if k.key == key {
			return slices.Contains(k.archs, s.Arch)
		}
	}
	return true
}

// KeyNames lists the names of a layer's name keys ([spec.Namer]).
func (l LayerSpec) KeyNames() map[string]spec.Names {
	return map[string]spec.Names{
		"type":        {List: LayerTypes(), Noun: "layer type", EmptyMsg: "required: linear, flatten, or an activation name such as relu"},
		"init":        {List: nn.InitNames(), Noun: "init", Empty: true},
		"approximate": {List: GELUApproximations, Empty: true},
	}
}

// Uses reports whether a layer of l's type takes key ([spec.KeyUser]).
func (l LayerSpec) Uses(key string) bool {
	return key == "type" || key == "name" || slices.Contains(LayerKeys(l.Type), key)
}

var layerNameRE = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// Validate checks every key and cross-key rule of a resolved model
// section. It returns nil or a [spec.Problems] (one problem per line) with
// key paths relative to the section ("hidden[1]", "layers[2].out").
func (s Spec) Validate() error {
	var ck spec.Checker
	s.check(&ck)
	return ck.Err()
}

func (s Spec) check(ck *spec.Checker) {
	spec.CheckFields(ck, s)
	for _, k := range archKeys {
		if fieldSet(s, k.key) && !slices.Contains(k.archs, s.Arch) {
			ck.Add(k.key, "only used by model.arch %s (arch is %q)", strings.Join(k.archs, " and "), s.Arch)
		}
	}
	if s.StochasticDepthMode != "" && s.StochasticDepth == 0 {
		ck.Add("stochastic_depth_mode", "only used with model.stochastic_depth > 0")
	}
	if s.Arch == "cnn" {
		if len(s.Widths) == 0 {
			ck.Add("widths", "arch cnn needs at least one stage width, e.g. [32, 64]")
		}
		if s.Pool == "" {
			ck.OneOf("pool", s.Pool, Pools...)
		}
		if s.PoolRatio != 0 && s.Pool != "fractional" {
			ck.Add("pool_ratio", "only used with model.pool fractional (pool is %q)", s.Pool)
		}
	}
	if s.Arch == "resnet" && (s.Depth < 8 || (s.Depth-2)%6 != 0) {
		ck.Add("depth", "must be 6n+2 with n >= 1 (8, 14, 20, 32, 44, 56, ...), got %d", s.Depth)
	}
	switch {
	case s.Arch == "layers" && len(s.Layers) == 0:
		ck.Add("layers", `required when model.arch is "layers": a non-empty list such as [{type: flatten}, {type: linear, out: 10}]`)
	case s.Arch != "layers" && len(s.Layers) > 0:
		ck.Add("layers", `only used with model.arch "layers" (arch is %q)`, s.Arch)
	}
	ck.Globs("init_include", s.InitInclude)
	ck.Globs("init_exclude", s.InitExclude)
	if s.InitFrom == "" {
		if len(s.InitInclude) > 0 {
			ck.Add("init_include", "only used with model.init_from")
		}
		if len(s.InitExclude) > 0 {
			ck.Add("init_exclude", "only used with model.init_from")
		}
	}
	names := make(map[string]int)
	for i, l := range s.Layers {
		l.check(ck.At(fmt.Sprintf("layers[%d]", i)), i, names)
	}
}

// check checks layer i of model.layers; names maps the layer names seen so
// far to their index.
func (l LayerSpec) check(ck *spec.Checker, i int, names map[string]int) {
	var fields spec.Checker
	spec.CheckFields(&fields, l)
	for _, p := range fields.Problems() {
		if p.Path == "out" || p.Path == "kernel" {
			p.Msg = fmt.Sprintf("required for a %q layer: %s", l.Type, p.Msg)
		}
		ck.Add(p.Path, "%s", p.Msg)
	}
	if l.Name != "" {
		if !layerNameRE.MatchString(l.Name) {
			ck.Add("name", "must match [A-Za-z0-9_]+, got %q", l.Name)
		} else if j, dup := names[l.Name]; dup {
			ck.Add("name", "%q is already the name of model.layers[%d]", l.Name, j)
		} else {
			names[l.Name] = i
		}
	}
	if l.Type == "" {
		return
	}
	keys := LayerKeys(l.Type)
	v := reflect.ValueOf(l)
	for j := range v.NumField() {
		key := spec.Key(v.Type().Field(j))
		if key != "type" && key != "name" && isSet(v.Field(j)) && !slices.Contains(keys, key) {
			ck.Add(key, "not used by a %q layer (it takes: %s)", l.Type, keyList(keys))
		}
	}
}

// fieldSet reports whether the key of struct v is set: a non-empty list,
// any other non-zero value.
func fieldSet(v any, key string) bool {
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		if spec.Key(rv.Type().Field(i)) == key {
			return isSet(rv.Field(i))
		}
	}
	panic("model: no key " + key)
}

func isSet(f reflect.Value) bool {
	if f.Kind() == reflect.Slice {
		return f.Len() > 0
	}
	return !f.IsZero()
}

func keyList(keys []string) string {
	if len(keys) == 0 {
		return "no other keys"
	}
	return strings.Join(keys, ", ")
}
