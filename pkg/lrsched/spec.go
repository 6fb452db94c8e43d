package lrsched

import (
	"fmt"

	"github.com/nettrain/nettrain/pkg/spec"
)

// Spec is the "schedule" section of a config: how the learning rate
// changes over training. It is the one definition of the section's keys
// (the yaml tags), their ranges (the range tags, see package spec) and, in
// the field comments, their meaning and defaults. A [Config] embeds it with
// the numbers only a run knows (the base rate, steps per epoch, total
// steps); [New] ignores the keys it does not use (ScaleRule and
// BaseBatchSize are [ScaleLR]'s, Plateau is [NewPlateau]'s).
type Spec struct {
	// Type is the schedule (key "schedule.type"), a pure function of the
	// optimizer step: "constant", "step" (StepLR), "multistep"
	// (MultiStepLR), "exponential" (ExponentialLR), "cosine"
	// (CosineAnnealingLR, closed form), "cosine_restarts"
	// (CosineAnnealingWarmRestarts), "linear" (LinearLR), "poly"
	// (PolynomialLR), "invsqrt" (inverse square root) or "onecycle"
	// (OneCycleLR). Default "constant".
	Type string `yaml:"type"`
	// Interval is how often the rate changes (key "schedule.interval"):
	// "step" (every optimizer step, torch's scheduler.step() after every
	// batch) or "epoch" (at epoch boundaries); empty selects the type's
	// default ("epoch" for step, multistep and exponential, "step" for the
	// others). step and multistep only accept "epoch"; onecycle and invsqrt
	// only "step"; constant ignores it.
	Interval string `yaml:"interval"`
	// Milestones are the epochs at whose start "multistep" multiplies the
	// rate by Gamma (key "schedule.milestones"), strictly increasing, >= 1.
	Milestones []int `yaml:"milestones" range:">=1"`
	// T0 is the first period in epochs of "cosine_restarts" (key
	// "schedule.t0"), >= 1. Default 10.
	T0 int `yaml:"t0" range:">=1"`
	// TMult is the period growth factor of "cosine_restarts" (key
	// "schedule.t_mult"), >= 1. Default 1.
	TMult int `yaml:"t_mult" range:">=1"`
	// StartFactor and EndFactor are the factors of optimizer.lr at the
	// start and end of "linear" (keys "schedule.start_factor",
	// "schedule.end_factor"), in [0, 1]. Defaults 1 and 0; a start factor
	// of 0 means 1 (torch cannot start at 0 either).
	StartFactor float64 `yaml:"start_factor" range:"[0,1]"`
	EndFactor   float64 `yaml:"end_factor" range:"[0,1]"`
	// TotalIters is the length of the "linear" or "poly" decay in interval
	// units (steps, or epochs with interval "epoch"), after which the rate
	// stays at its final value (key "schedule.total_iters"); 0 means the
	// whole run after the warmup. Default 0.
	TotalIters int `yaml:"total_iters" range:">=0; 0 = the whole run"`
	// Power is the exponent of "poly" (key "schedule.power"), > 0.
	// Default 1.
	Power float64 `yaml:"power" range:">0"`
	// InvSqrtSteps is the step w from which "invsqrt" decays as
	// sqrt(w/step) (key "schedule.invsqrt_steps"); 0 means the warmup
	// length. Default 0.
	InvSqrtSteps int `yaml:"invsqrt_steps" range:">=0"`
	// MaxLR is the peak rate of "onecycle" (key "schedule.max_lr"); 0
	// means optimizer.lr. Default 0.
	MaxLR float64 `yaml:"max_lr" range:">=0; 0 = optimizer.lr"`
	// PctStart is the fraction of "onecycle" spent rising (key
	// "schedule.pct_start"), in (0, 1) (below 0.5 with three_phase).
	// Default 0.3.
	PctStart float64 `yaml:"pct_start" range:"(0,1)"`
	// DivFactor: "onecycle" starts at max_lr/div_factor (key
	// "schedule.div_factor"), >= 1. Default 25.
	DivFactor float64 `yaml:"div_factor" range:">=1"`
	// FinalDivFactor: "onecycle" ends at max_lr/(div_factor·final_div_factor)
	// (key "schedule.final_div_factor"), >= 1. Default 1e4.
	FinalDivFactor float64 `yaml:"final_div_factor" range:">=1"`
	// AnnealStrategy is the interpolation of "onecycle" (key
	// "schedule.anneal_strategy"): "cos" (default) or "linear".
	AnnealStrategy string `yaml:"anneal_strategy"`
	// ThreePhase selects the three-phase "onecycle" (key
	// "schedule.three_phase"): up, back down to the initial rate
	// symmetrically, then annihilation to the final rate (fastai's
	// original). Default false.
	ThreePhase bool `yaml:"three_phase"`
	// StepSize is the period in epochs of schedule "step" (key
	// "schedule.step_size"). Must be >= 1. Default 10.
	StepSize int `yaml:"step_size" range:">=1"`
	// Gamma is the decay factor of schedules "step", "multistep" and
	// "exponential" (per epoch for exponential) (key "schedule.gamma").
	// Must satisfy 0 < gamma <= 1. Default 0.1.
	Gamma float64 `yaml:"gamma" range:">0,<=1"`
	// MinLR is the final (floor) learning rate of "cosine",
	// "cosine_restarts" and "poly" (key "schedule.min_lr"). Must satisfy
	// 0 <= min_lr < optimizer.lr. Default 0.
	MinLR float64 `yaml:"min_lr" range:">=0"`
	// WarmupEpochs is the length of a linear warmup from 0 to optimizer.lr at
	// the start of training, in epochs; fractions are allowed (key
	// "schedule.warmup_epochs"): the warmup is round(warmup_epochs · steps
	// per epoch) steps. Applies to every schedule type. Must satisfy
	// 0 <= warmup_epochs < train.epochs. Default 0 (no warmup).
	WarmupEpochs float64 `yaml:"warmup_epochs" range:">=0"`
	// WarmupStartFactor is the warmup's starting factor a (key
	// "schedule.warmup_start_factor"): step s < W runs at
	// lr·(a + (1−a)(s+1)/W). In [0, 1). Default 0.
	WarmupStartFactor float64 `yaml:"warmup_start_factor" range:"[0,1)"`
	// ScaleRule scales optimizer.lr with the batch size (key
	// "schedule.scale_rule"): "none" (default), "linear" (lr ×
	// batch_size/base_batch_size, Goyal et al. 2017) or "sqrt" (× the square
	// root of that ratio). Pair it with a warmup.
	ScaleRule string `yaml:"scale_rule"`
	// BaseBatchSize is the batch size optimizer.lr was tuned for (key
	// "schedule.base_batch_size"), >= 1. Default 256.
	BaseBatchSize int `yaml:"base_batch_size" range:">=1"`
	// Plateau multiplies the schedule by a factor whenever a validation
	// metric stops improving (key "schedule.plateau").
	Plateau PlateauSpec `yaml:"plateau"`
}

// PlateauSpec is "schedule.plateau": reduce-on-plateau, as torch's
// ReduceLROnPlateau, applied on top of the schedule after every epoch's
// validation. A [PlateauConfig] embeds it.
type PlateauSpec struct {
	// Enabled turns it on (key "schedule.plateau.enabled"). Default false.
	Enabled bool `yaml:"enabled"`
	// Metric is the validation metric watched (key
	// "schedule.plateau.metric"): "val_loss" (default) or "val_acc".
	Metric string `yaml:"metric"`
	// Mode is "min" or "max" (key "schedule.plateau.mode"): whether a lower
	// or a higher metric is better; default min for val_loss, max for
	// val_acc.
	Mode string `yaml:"mode"`
	// Factor multiplies the rate at each reduction (key
	// "schedule.plateau.factor"), in (0, 1). Default 0.1.
	Factor float64 `yaml:"factor" range:"(0,1)"`
	// Patience is the number of epochs without improvement tolerated (key
	// "schedule.plateau.patience"), >= 0. Default 10.
	Patience int `yaml:"patience" range:">=0"`
	// Threshold is the minimum significant improvement (key
	// "schedule.plateau.threshold"), >= 0. Default 1e-4.
	Threshold float64 `yaml:"threshold" range:">=0"`
	// ThresholdMode is "rel" (default) or "abs" (key
	// "schedule.plateau.threshold_mode").
	ThresholdMode string `yaml:"threshold_mode"`
	// Cooldown is the number of epochs to wait after a reduction before
	// counting bad epochs again (key "schedule.plateau.cooldown"), >= 0.
	// Default 0.
	Cooldown int `yaml:"cooldown" range:">=0"`
	// MinLR is the floor of the reduced rate (key
	// "schedule.plateau.min_lr"), >= 0. Default 0.
	MinLR float64 `yaml:"min_lr" range:">=0"`
}

// Names of the schedule section's fixed-choice keys.
var (
	// AnnealStrategies lists the values of onecycle's anneal_strategy.
	AnnealStrategies = []string{"cos", "linear"}
	// PlateauMetrics lists the validation metrics reduce-on-plateau can
	// watch.
	PlateauMetrics = []string{"val_loss", "val_acc"}
	// PlateauModes lists the values of the plateau's mode.
	PlateauModes = []string{"min", "max"}
	// ThresholdModes lists the values of the plateau's threshold_mode.
	ThresholdModes = []string{"rel", "abs"}
)

// DefaultSpec returns the schedule section's defaults, before the ones
// that depend on other keys ([Spec.ApplyDefaults]).
func DefaultSpec() Spec {
	return Spec{
		Type:           "constant",
		StepSize:       10,
		Gamma:          0.1,
		T0:             10,
		TMult:          1,
		StartFactor:    1,
		Power:          1,
		PctStart:       0.3,
		DivFactor:      25,
		FinalDivFactor: 1e4,
		AnnealStrategy: "cos",
		ScaleRule:      "none",
		BaseBatchSize:  256,
		Plateau: PlateauSpec{
			Metric:        "val_loss",
			Mode:          "min",
			Factor:        0.1,
			Patience:      10,
			Threshold:     1e-4,
			ThresholdMode: "rel",
		},
	}
}

// ApplyDefaults fills in the defaults that depend on other keys; isSet
// reports whether a key (relative to the section, e.g. "plateau.mode") was
// given a value.
func (s *Spec) ApplyDefaults(isSet func(key string) bool) {
	if pl := &s.Plateau; !isSet("plateau.mode") {
		pl.Mode = "min"
		if pl.Metric == "val_acc" {
			pl.Mode = "max"
		}
	}
}

// KeyNames lists the names of the section's name keys ([spec.Namer]).
func (s Spec) KeyNames() map[string]spec.Names {
	return map[string]spec.Names{
		"type":            {List: Names},
		"interval":        {List: Intervals, Empty: true},
		"anneal_strategy": {List: AnnealStrategies},
		"scale_rule":      {List: ScaleRules},
	}
}

// KeyNames lists the names of the plateau's name keys ([spec.Namer]).
func (p PlateauSpec) KeyNames() map[string]spec.Names {
	return map[string]spec.Names{
		"metric":         {List: PlateauMetrics},
		"mode":           {List: PlateauModes},
		"threshold_mode": {List: ThresholdModes},
	}
}

// Validate checks the keys of a resolved schedule section and the rules
// between them. It returns nil or a [spec.Problems] with key paths relative
// to the section ("milestones[1]", "plateau.factor"). The rules that need
// other sections (min_lr < optimizer.lr, warmup_epochs < train.epochs) are
// the config's.
func (s Spec) Validate() error {
	var ck spec.Checker
	spec.CheckFields(&ck, s)
	for i, m := range s.Milestones {
		if i > 0 && m <= s.Milestones[i-1] {
			ck.Add(fmt.Sprintf("milestones[%d]", i), "must be greater than the previous milestone (%d), got %d", s.Milestones[i-1], m)
		}
	}
	if s.Type == "multistep" && len(s.Milestones) == 0 {
		ck.Add("milestones", "required for schedule.type multistep, e.g. [30, 60, 90]")
	}
	spec.CheckFields(ck.At("plateau"), s.Plateau)
	return ck.Err()
}
