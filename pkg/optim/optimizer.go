package optim

import (
	"fmt"
	"math"
	"path"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// Optimizer updates parameters from their accumulated gradients.
//
// Every implementation follows the corresponding torch.optim algorithm of
// PyTorch 1.13 (single-tensor CPU path, float32 state) down to the order of
// the float32 operations and the multiply-adds PyTorch's kernels fuse: the
// golden cases (testdata/torch/optim_golden.json) agree bit for bit.
type Optimizer interface {
	// Step applies one update to every parameter from its gradient,
	// skipping the Frozen ones (their values and state stay as they are).
	// lr is the base learning rate of this step (from the schedule); a
	// parameter group scales it by its LRScale.
	Step(lr float64)
	// State returns a snapshot (deep copies) of the optimizer's state as
	// named tensors "<param>.<key>", with the keys of PyTorch's state dict:
	// "momentum_buffer" (SGD, RMSProp), "exp_avg", "exp_avg_sq",
	// "max_exp_avg_sq" (Adam, AdamW), "square_avg", "grad_avg" (RMSProp),
	// "sum" (Adagrad), and "step", the number of steps taken, as a float32
	// scalar (shape [], one element; exact up to 2^24 steps, like PyTorch's).
	// SGD without momentum has no state.
	State() map[string]*tensor.Tensor
	// LoadState restores the state from tensors named as State names them,
	// copying their values: continuing afterwards gives bit-identical
	// results to the run that produced the state. It returns an error, and
	// changes nothing, when a tensor is missing, has the wrong shape, holds
	// an invalid step count or is not part of this optimizer's state.
	LoadState(state map[string]*tensor.Tensor) error
}

// Group selects parameters by name and sets their learning-rate scale and
// weight decay, like a PyTorch parameter group. It is also one entry of a
// config's optimizer.groups.
type Group struct {
	// Pattern is a path.Match glob on dotted parameter names (key
	// "pattern"), e.g. "*.bias" or "stage1.*"; "*" matches everything. A
	// parameter belongs to the first group whose pattern matches it, and to
	// the default group when none does. Required.
	Pattern string `yaml:"pattern"`
	// LRScale multiplies the learning rate of the group's parameters (key
	// "lr_scale"), > 0. Default 1 (in a Group built in code, 0 means 1).
	LRScale float64 `yaml:"lr_scale" range:">0"`
	// WeightDecay overrides optimizer.weight_decay for the group (key
	// "weight_decay"), >= 0: it is the weight decay of every parameter of
	// the group, whether or not it has Decay set. Unset (nil) keeps the
	// default rule: the weight decay for parameters with Decay (weights),
	// none for the others (biases, batch-norm and PReLU parameters).
	WeightDecay *float64 `yaml:"weight_decay" range:">=0"`
}

// Config selects and configures an optimizer; New builds it. Zero values
// mean PyTorch's defaults. Fields that do not apply to Type must be zero
// (typeKeys says which apply). A config's optimizer section is a [Spec];
// [Spec.Config] makes the Config. The golden files of the tests hold
// Configs, as PyTorch's keyword arguments.
type Config struct {
	// Type is "sgd", "adam", "adamw", "rmsprop" or "adagrad".
	Type string
	// Momentum (SGD, RMSProp): momentum factor in [0, 1); 0 disables it.
	Momentum float64
	// Dampening (SGD): dampening of the momentum buffer update, in [0, 1).
	Dampening float64
	// Nesterov (SGD): Nesterov momentum; needs Momentum > 0, Dampening 0.
	Nesterov bool
	// Beta1, Beta2 (Adam, AdamW): decay rates of the moment estimates, in
	// (0, 1); 0 means 0.9 and 0.999.
	Beta1, Beta2 float64
	// Eps (Adam, AdamW, RMSProp, Adagrad): term added to the denominator;
	// 0 means 1e-8 (Adagrad: 1e-10).
	Eps float64
	// Alpha (RMSProp): smoothing constant in (0, 1); 0 means 0.99.
	Alpha float64
	// Centered (RMSProp): normalize by the estimated variance of the
	// gradient instead of its second moment.
	Centered bool
	// AMSGrad (Adam, AdamW): use the maximum of the second moment
	// estimates so far.
	AMSGrad bool
	// WeightDecay (all): >= 0. For SGD, Adam, RMSProp and Adagrad it adds
	// WeightDecay·θ to the gradient (an L2 penalty of WeightDecay/2·θ²), for
	// AdamW it is decoupled: θ ← θ·(1 − lr·WeightDecay) before the update.
	// By default it applies only to parameters with Decay set (see Group).
	// 0 means none, for AdamW too (PyTorch's AdamW defaults to 0.01).
	WeightDecay float64
	// LRDecay (Adagrad): the step-t learning rate is lr/(1 + (t−1)·LRDecay).
	LRDecay float64
	// InitialAccumulator (Adagrad): initial value of the sum of squared
	// gradients, >= 0.
	InitialAccumulator float64
	// Groups assign learning-rate scales and weight decays by parameter
	// name; the first matching group wins.
	Groups []Group
}

// Types lists the optimizer types New accepts.
var Types = []string{"sgd", "adam", "adamw", "rmsprop", "adagrad"}

// field is one Config setting for validation: its name in error messages,
// the section key it comes from (typeKeys says which types read it) and
// whether it is set.
type field struct {
	name, key string
	set       bool
}

// New returns the optimizer cfg describes over params. Its Step runs its
// parallel parts (SGD's momentum update) on pool, the caller's thread
// budget; nil runs them on the caller. The pool changes speed only, never
// a bit of the update. An error names the first bad field.
func New(cfg Config, params []*nn.Param, pool *tensor.Pool) (Optimizer, error) {
	known := false
	for _, t := range Types {
		known = known || cfg.Type == t
	}
	if !known {
		return nil, fmt.Errorf("optim: type: unknown optimizer %q (want one of %v)", cfg.Type, Types)
	}
	for _, f := range []field{
		{"momentum", "momentum", cfg.Momentum != 0},
		{"dampening", "dampening", cfg.Dampening != 0},
		{"nesterov", "nesterov", cfg.Nesterov},
		{"beta1", "betas", cfg.Beta1 != 0},
		{"beta2", "betas", cfg.Beta2 != 0},
		{"eps", "eps", cfg.Eps != 0},
		{"alpha", "alpha", cfg.Alpha != 0},
		{"centered", "centered", cfg.Centered},
		{"amsgrad", "amsgrad", cfg.AMSGrad},
		{"lr_decay", "lr_decay", cfg.LRDecay != 0},
		{"initial_accumulator", "initial_accumulator", cfg.InitialAccumulator != 0},
	} {
		if f.set && !reads(cfg.Type, f.key) {
			return nil, fmt.Errorf("optim: %s does not apply to %s (only to %v)", f.name, cfg.Type, readers(f.key))
		}
	}
	if err := checkFinite(cfg); err != nil {
		return nil, err
	}
	if cfg.WeightDecay < 0 {
		return nil, fmt.Errorf("optim: weight_decay must be >= 0, got %g", cfg.WeightDecay)
	}
	b, err := newBase(params, cfg.WeightDecay, cfg.Groups)
	if err != nil {
		return nil, err
	}
	b.pool = pool
	switch cfg.Type {
	case "sgd":
		return newSGD(b, SGDConfig{Momentum: cfg.Momentum, Dampening: cfg.Dampening, Nesterov: cfg.Nesterov, WeightDecay: cfg.WeightDecay})
	case "adam", "adamw":
		return newAdam(b, cfg)
	case "rmsprop":
		return newRMSProp(b, cfg)
	default: // "adagrad"
		return newAdagrad(b, cfg)
	}
}

// checkFinite rejects NaN and infinite settings.
func checkFinite(cfg Config) error {
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"momentum", cfg.Momentum}, {"dampening", cfg.Dampening}, {"beta1", cfg.Beta1}, {"beta2", cfg.Beta2},
		{"eps", cfg.Eps}, {"alpha", cfg.Alpha}, {"weight_decay", cfg.WeightDecay}, {"lr_decay", cfg.LRDecay},
		{"initial_accumulator", cfg.InitialAccumulator},
	} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("optim: %s must be finite, got %g", f.name, f.v)
		}
	}
	return nil
}

// inUnit checks 0 <= v < 1 (or 0 < v < 1 when open) for the named field.
func inUnit(name string, v float64, open bool) error {
	if v < 0 || v >= 1 || (open && v == 0) {
		lo := "["
		if open {
			lo = "("
		}
		return fmt.Errorf("optim: %s must be in %s0, 1), got %g", name, lo, v)
	}
	return nil
}

// orDefault returns v, or def when v is 0.
func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// newBase resolves each parameter's group: its learning-rate scale and its
// weight decay (wd for parameters with Decay in the default group).
func newBase(params []*nn.Param, wd float64, groups []Group) (*base, error) {
	b := &base{
		params:  params,
		lrScale: make([]float64, len(params)),
		decay:   make([]float64, len(params)),
		steps:   make([]int64, len(params)),
	}
	for i, g := range groups {
		if _, err := path.Match(g.Pattern, ""); err != nil || g.Pattern == "" {
			return nil, fmt.Errorf("optim: groups[%d].pattern: invalid glob %q", i, g.Pattern)
		}
		if math.IsNaN(g.LRScale) || math.IsInf(g.LRScale, 0) || g.LRScale < 0 {
			return nil, fmt.Errorf("optim: groups[%d].lr_scale must be finite and >= 0, got %g", i, g.LRScale)
		}
		if w := g.WeightDecay; w != nil && (math.IsNaN(*w) || math.IsInf(*w, 0) || *w < 0) {
			return nil, fmt.Errorf("optim: groups[%d].weight_decay must be finite and >= 0, got %g", i, *w)
		}
	}
	used := make([]bool, len(groups))
	seen := make(map[string]bool, len(params))
	for i, p := range params {
		if p.Value == nil || p.Grad == nil || p.Value.Len() != p.Grad.Len() {
			return nil, fmt.Errorf("optim: parameter %q has no gradient of its shape", p.Name)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("optim: parameter name %q is repeated", p.Name)
		}
		seen[p.Name] = true
		b.lrScale[i] = 1
		if p.Decay {
			b.decay[i] = wd
		}
		for j, g := range groups {
			if ok, _ := path.Match(g.Pattern, p.Name); !ok {
				continue
			}
			used[j] = true
			b.lrScale[i] = orDefault(g.LRScale, 1)
			if g.WeightDecay != nil {
				b.decay[i] = *g.WeightDecay
			}
			break
		}
	}
	for j, u := range used {
		if !u {
			return nil, fmt.Errorf("optim: groups[%d].pattern %q matches no parameter (or only parameters of earlier groups)", j, groups[j].Pattern)
		}
	}
	return b, nil
}
