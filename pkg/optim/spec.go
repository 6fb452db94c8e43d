package optim

import (
	"fmt"
	"path"
	"reflect"
	"slices"
	"strings"

	"github.com/nettrain/nettrain/pkg/spec"
)

// Spec is the "optimizer" section of a config. It is the one definition of
// the section's keys (the yaml tags), their ranges (the range tags, see
// package spec) and, in the field comments, their meaning and defaults.
// [Spec.Config] turns it into the arguments of [New], passing each
// optimizer only the keys it reads (typeKeys); LR and the clipping keys are
// the training loop's.
type Spec struct {
	// Type is the optimizer (key "optimizer.type"), each as its torch.optim
	// namesake: "sgd", "adam", "adamw", "rmsprop" or "adagrad". Default
	// "sgd".
	Type string `yaml:"type"`
	// LR is the (initial) learning rate (key "optimizer.lr"). Must be > 0 and
	// finite. Default 0.01.
	LR float64 `yaml:"lr" range:">0"`
	// Momentum is the momentum factor of sgd and rmsprop (key
	// "optimizer.momentum"). Must satisfy 0 <= momentum < 1. Default 0.
	Momentum float64 `yaml:"momentum" range:">=0,<1"`
	// Dampening of sgd's momentum (key "optimizer.dampening"), in [0, 1).
	// Default 0.
	Dampening float64 `yaml:"dampening" range:">=0,<1"`
	// Nesterov enables Nesterov momentum for sgd (key
	// "optimizer.nesterov"). Requires momentum > 0, as in PyTorch. Default
	// false.
	Nesterov bool `yaml:"nesterov"`
	// Betas are adam/adamw's moment decay rates (key "optimizer.betas"),
	// two numbers in (0, 1). Default [0.9, 0.999].
	Betas []float64 `yaml:"betas" range:">0,<1"`
	// Eps is the denominator term of adam, adamw, rmsprop and adagrad (key
	// "optimizer.eps"), > 0. Default 1e-8 (adagrad 1e-10).
	Eps float64 `yaml:"eps" range:">0"`
	// Alpha is rmsprop's smoothing constant (key "optimizer.alpha"), in
	// (0, 1). Default 0.99.
	Alpha float64 `yaml:"alpha" range:">0,<1"`
	// Centered selects centered rmsprop (key "optimizer.centered").
	// Default false.
	Centered bool `yaml:"centered"`
	// AMSGrad selects the AMSGrad variant of adam/adamw (key
	// "optimizer.amsgrad"). Default false.
	AMSGrad bool `yaml:"amsgrad"`
	// WeightDecay is torch's weight_decay (key "optimizer.weight_decay"),
	// >= 0: for adamw it is decoupled (θ ← θ·(1 − lr·wd) before the update);
	// for the others it adds wd·θ to the gradient, like an L2 penalty of
	// (wd/2)·Σθ² (see regularization.l2 for a penalty in the loss). Applies
	// to weights, not biases or batch-norm parameters, unless groups say
	// otherwise. Default 0 (also for adamw, whose torch default is 0.01).
	WeightDecay float64 `yaml:"weight_decay" range:">=0"`
	// LRDecay is adagrad's lr_decay (key "optimizer.lr_decay"), >= 0.
	// Default 0.
	LRDecay float64 `yaml:"lr_decay" range:">=0"`
	// InitialAccumulator is adagrad's initial_accumulator_value (key
	// "optimizer.initial_accumulator"), >= 0. Default 0.
	InitialAccumulator float64 `yaml:"initial_accumulator" range:">=0"`
	// ClipGradNorm clips the global L2 norm of all gradients to this value
	// before each step (key "optimizer.clip_grad_norm"), as
	// torch.nn.utils.clip_grad_norm_; 0 = off. Default 0.
	ClipGradNorm float64 `yaml:"clip_grad_norm" range:">=0"`
	// ClipGradValue clamps every gradient to [−v, v] before each step (key
	// "optimizer.clip_grad_value"); 0 = off. Default 0.
	ClipGradValue float64 `yaml:"clip_grad_value" range:">=0"`
	// Groups set per-parameter learning-rate scales and weight decays by
	// name pattern (key "optimizer.groups"); the first matching group wins.
	Groups []Group `yaml:"groups"`
}

// typeKeys says which optimizer types read each key of the section that not
// every type reads. It is the one statement of it: Validate rejects such a
// key set for another type (when its default is 0, so a resolved config
// holds it only when it was set), Spec.Config passes each optimizer only
// the keys it reads, and New rejects a Config field set for a type that
// does not read it.
var typeKeys = []struct {
	key   string
	types []string
}{
	{"momentum", []string{"sgd", "rmsprop"}},
	{"dampening", []string{"sgd"}},
	{"nesterov", []string{"sgd"}},
	{"betas", []string{"adam", "adamw"}},
	{"eps", []string{"adam", "adamw", "rmsprop", "adagrad"}},
	{"alpha", []string{"rmsprop"}},
	{"centered", []string{"rmsprop"}},
	{"amsgrad", []string{"adam", "adamw"}},
	{"lr_decay", []string{"adagrad"}},
	{"initial_accumulator", []string{"adagrad"}},
}

// readers returns the types that read key, or nil when every type reads it.
func readers(key string) []string {
	for _, k := range typeKeys {
		if k.key == key {
			return k.types
		}
	}
	return nil
}

// reads reports whether optimizer type typ reads key.
func reads(typ, key string) bool {
	types := readers(key)
	return types == nil || slices.Contains(types, typ)
}

// DefaultSpec returns the optimizer section's defaults, before the ones
// that depend on other keys ([Spec.ApplyDefaults]).
func DefaultSpec() Spec {
	return Spec{
		Type:  "sgd",
		LR:    0.01,
		Betas: []float64{0.9, 0.999},
		Eps:   1e-8,
		Alpha: 0.99,
	}
}

// ApplyDefaults fills in the defaults that depend on other keys; isSet
// reports whether a key (relative to the section, e.g. "eps" or
// "groups[0].lr_scale") was given a value.
func (s *Spec) ApplyDefaults(isSet func(key string) bool) {
	if s.Type == "adagrad" && !isSet("eps") {
		s.Eps = 1e-10 // torch's Adagrad default
	}
	for i := range s.Groups {
		if !isSet(fmt.Sprintf("groups[%d].lr_scale", i)) {
			s.Groups[i].LRScale = 1
		}
	}
}

// KeyNames lists the names of the section's name keys ([spec.Namer]).
func (s Spec) KeyNames() map[string]spec.Names {
	return map[string]spec.Names{"type": {List: Types}}
}

// Validate checks the keys of a resolved optimizer section and the rules
// between them. It returns nil or a [spec.Problems] with key paths relative
// to the section ("betas[1]", "groups[0].pattern").
func (s Spec) Validate() error {
	var ck spec.Checker
	spec.CheckFields(&ck, s)
	if s.Nesterov && !(s.Momentum > 0) {
		ck.Add("nesterov", "requires optimizer.momentum > 0")
	}
	def := reflect.ValueOf(DefaultSpec())
	v := reflect.ValueOf(s)
	for i := range v.NumField() {
		key := spec.Key(v.Type().Field(i))
		types := readers(key)
		// An unknown type is reported once, by its own check: whether it
		// reads a key is not a second problem.
		if types != nil && slices.Contains(Types, s.Type) && def.Field(i).IsZero() && !v.Field(i).IsZero() && !slices.Contains(types, s.Type) {
			ck.Add(key, "only used by optimizer.type %s (type is %q)", strings.Join(types, " and "), s.Type)
		}
	}
	if s.Nesterov && s.Dampening != 0 {
		ck.Add("dampening", "must be 0 with nesterov, as in PyTorch")
	}
	if len(s.Betas) != 2 {
		ck.Add("betas", "must be two numbers [beta1, beta2], e.g. [0.9, 0.999]")
	}
	for i, g := range s.Groups {
		gk := ck.At(fmt.Sprintf("groups[%d]", i))
		if g.Pattern == "" {
			gk.Add("pattern", `required: a glob on parameter names, e.g. "*.bias"`)
		} else if _, err := path.Match(g.Pattern, ""); err != nil {
			gk.Add("pattern", "bad glob %q: %v", g.Pattern, err)
		}
		spec.CheckFields(gk, g)
	}
	return ck.Err()
}

// Config returns the arguments of [New] for s: each optimizer gets only
// the keys it reads (typeKeys), the others stay zero. s must be valid.
func (s Spec) Config() Config {
	c := Config{Type: s.Type, WeightDecay: s.WeightDecay, Groups: s.Groups}
	if reads(s.Type, "momentum") {
		c.Momentum = s.Momentum
	}
	if reads(s.Type, "dampening") {
		c.Dampening = s.Dampening
	}
	if reads(s.Type, "nesterov") {
		c.Nesterov = s.Nesterov
	}
	if reads(s.Type, "betas") && len(s.Betas) == 2 {
		c.Beta1, c.Beta2 = s.Betas[0], s.Betas[1]
	}
	if reads(s.Type, "eps") {
		c.Eps = s.Eps
	}
	if reads(s.Type, "alpha") {
		c.Alpha = s.Alpha
	}
	if reads(s.Type, "centered") {
		c.Centered = s.Centered
	}
	if reads(s.Type, "amsgrad") {
		c.AMSGrad = s.AMSGrad
	}
	if reads(s.Type, "lr_decay") {
		c.LRDecay = s.LRDecay
	}
	if reads(s.Type, "initial_accumulator") {
		c.InitialAccumulator = s.InitialAccumulator
	}
	return c
}

// Validate checks a penalty as the config's "regularization" section: the
// coefficients (range tags) and the patterns. It returns nil or a
// [spec.Problems] with key paths relative to the section ("include[0]").
func (p Penalty) Validate() error {
	var ck spec.Checker
	spec.CheckFields(&ck, p)
	ck.Globs("include", p.Include)
	ck.Globs("exclude", p.Exclude)
	return ck.Err()
}
