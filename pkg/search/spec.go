package search

import (
	"fmt"
	"math"
	"strings"

	"github.com/nettrain/nettrain/pkg/spec"
)

// Methods are the values of search.method.
var Methods = []string{"grid", "random"}

// SchedulerTypes are the values of search.scheduler.type.
var SchedulerTypes = []string{"none", "asha"}

// Spec is the "search" section of a config: which keys a hyperparameter
// search varies, how it picks their values, how long each trial trains and
// which trials it stops early. It is the one definition of the section's
// keys; pkg/config composes it and checks what needs the rest of the
// config (the searched keys and values, the metric's name).
type Spec struct {
	// Method picks the trials (key "search.method"): "grid" tries every
	// combination of the space's value lists; "random" samples ranges (and
	// lists, uniformly) independently per trial. Default "random".
	Method string `yaml:"method"`
	// Trials is the number of trials of the first stage (key
	// "search.trials"), >= 0. Random: default 16. Grid: 0 (default) means
	// every grid point; otherwise it must be at least the number of grid
	// points.
	Trials int `yaml:"trials" range:">=0"`
	// Seed seeds the sampling of trials (key "search.seed"): the same seed
	// gives the same trials in the same order. Default: the config's seed.
	// The trials themselves train with the config's seed.
	Seed uint64 `yaml:"seed"`
	// Metric ranks the trials (key "search.metric"): "val_acc", "val_loss",
	// "train_acc" or "train_loss", the value at the last epoch a trial
	// trained. Default "val_acc" ("train_acc" without a validation split).
	Metric string `yaml:"metric"`
	// Mode is "max" or "min" (key "search.mode"); default max for
	// accuracies, min for losses.
	Mode string `yaml:"mode"`
	// Epochs is the epoch budget of a first-stage trial (key
	// "search.epochs"), >= 0; 0 (default) means train.epochs. With the ASHA
	// scheduler it is the top rung.
	Epochs int `yaml:"epochs" range:">=0; 0 = train.epochs"`
	// MaxLossFactor stops a trial at once, as diverged, at the first step
	// whose batch loss exceeds this multiple of its first step's (key
	// "search.max_loss_factor"; it sets train.max_loss_factor of every
	// trial). 0 turns it off; otherwise > 1. Default 4.
	MaxLossFactor float64 `yaml:"max_loss_factor" range:"0|>1; 0 = off"`
	// Space lists the keys searched and their values (key "search.space"),
	// at least one.
	Space []Param `yaml:"space"`
	// Scheduler stops unpromising trials early (key "search.scheduler").
	Scheduler Scheduler `yaml:"scheduler"`
	// Stages are the later, finer stages (key "search.stages"): each one
	// narrows the space around the best trials of the stage before it and
	// trains longer. Empty (default): one stage.
	Stages []Stage `yaml:"stages"`
}

// Param is one element of search.space: a config key and its values, as
// a list or as a range.
type Param struct {
	// Key is the config key searched (key "key"), e.g. "optimizer.lr":
	// any key --set can set, except search.*, output.*, name and
	// train.epochs (a trial's epochs are search.epochs).
	Key string `yaml:"key"`
	// Values lists the values to try (key "values"), each a YAML scalar
	// of the key's type: a grid axis with method grid, a uniform choice with
	// method random. Exclusive with min/max.
	Values []spec.Scalar `yaml:"values"`
	// Min and Max bound a range (keys "min", "max"), min < max; method
	// random samples it, uniformly or on the log scale.
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
	// Log samples the range uniformly in log(value) (key "log"); then min
	// must be > 0. Default false.
	Log bool `yaml:"log"`
	// Int rounds sampled values to integers (key "int"), for integer keys
	// (train.batch_size); min and max must then be whole numbers. Default
	// false.
	Int bool `yaml:"int"`
}

// IsRange reports whether p is a range (min/max) rather than a list.
func (p Param) IsRange() bool { return p.Min != nil || p.Max != nil }

// Scheduler is "search.scheduler".
type Scheduler struct {
	// Type is "none" (every trial trains its whole budget) or "asha"
	// (asynchronous successive halving, Li et al. 2020: a trial is paused
	// at each rung and continued from its checkpoint only while it is in
	// the top 1/reduction_factor of the trials that reached that rung)
	// (key "search.scheduler.type"). Default "none".
	Type string `yaml:"type"`
	// GracePeriod is the first rung, in epochs (key
	// "search.scheduler.grace_period"), >= 1; the rungs are grace_period ×
	// reduction_factor^k below the stage's epochs, and the epochs
	// themselves. Default 1.
	GracePeriod int `yaml:"grace_period" range:">=1"`
	// ReductionFactor η keeps the top 1/η of a rung (key
	// "search.scheduler.reduction_factor"), >= 2. Default 3.
	ReductionFactor int `yaml:"reduction_factor" range:">=2"`
}

// Stage is one element of search.stages: a finer stage after the first.
type Stage struct {
	// TopK is how many of the previous stage's best trials the space is
	// narrowed around (key "top_k"), >= 1. Default 3.
	TopK int `yaml:"top_k" range:">=1"`
	// Trials is the number of random trials of the stage (key "trials"),
	// >= 0; 0 (default) means the first stage's. A stage whose space is
	// lists only (a grid search) runs every remaining combination instead.
	Trials int `yaml:"trials" range:">=0"`
	// Epochs is each trial's budget (key "epochs"), >= 0; 0 (default)
	// means 3 × the previous stage's.
	Epochs int `yaml:"epochs" range:">=0"`
}

// Defaults are the values of the rest of the config that the section's
// defaults depend on.
type Defaults struct {
	Epochs int    // train.epochs
	Seed   uint64 // seed
	HasVal bool   // data.val_split > 0
}

// ApplyDefaults fills in the keys isSet (relative to the section) reports
// unset.
func (s *Spec) ApplyDefaults(isSet func(key string) bool, d Defaults) {
	if !isSet("method") {
		s.Method = "random"
	}
	if !isSet("trials") && s.Method == "random" {
		s.Trials = 16
	}
	if !isSet("seed") {
		s.Seed = d.Seed
	}
	if !isSet("metric") {
		s.Metric = "val_acc"
		if !d.HasVal {
			s.Metric = "train_acc"
		}
	}
	if !isSet("mode") {
		s.Mode = "min"
		if strings.HasSuffix(s.Metric, "_acc") {
			s.Mode = "max"
		}
	}
	if !isSet("epochs") || s.Epochs == 0 {
		s.Epochs = d.Epochs
	}
	if !isSet("max_loss_factor") {
		s.MaxLossFactor = 4
	}
	if !isSet("scheduler.type") {
		s.Scheduler.Type = "none"
	}
	if !isSet("scheduler.grace_period") {
		s.Scheduler.GracePeriod = 1
	}
	if !isSet("scheduler.reduction_factor") {
		s.Scheduler.ReductionFactor = 3
	}
	prevEpochs := s.Epochs
	for i := range s.Stages {
		st := &s.Stages[i]
		at := func(k string) bool { return isSet(fmt.Sprintf("stages[%d].%s", i, k)) }
		if !at("top_k") {
			st.TopK = 3
		}
		if st.Trials == 0 {
			st.Trials = s.Trials
		}
		if st.Epochs == 0 {
			st.Epochs = 3 * prevEpochs
		}
		prevEpochs = st.Epochs
	}
}

// KeyNames lists the names of the section's name keys ([spec.Namer]); the
// names of metric and mode are the config's, which checks them.
func (s Spec) KeyNames() map[string]spec.Names {
	return map[string]spec.Names{"method": {List: Methods}}
}

// KeyNames lists the scheduler's types ([spec.Namer]).
func (Scheduler) KeyNames() map[string]spec.Names {
	return map[string]spec.Names{"type": {List: SchedulerTypes}}
}

// Validate checks a resolved section on its own: ranges, names, the shape
// of each space element, the grid's size against trials, and the stages.
// It returns nil or a [spec.Problems] with key paths relative to the
// section ("space[1].min"). Whether a key exists and takes the values
// listed is the config's to check.
func (s Spec) Validate() error {
	var ck spec.Checker
	spec.CheckFields(&ck, s)
	spec.CheckFields(ck.At("scheduler"), s.Scheduler)
	if len(s.Space) == 0 {
		ck.Add("space", "must list at least one key to search, e.g. [{key: optimizer.lr, min: 1.0e-4, max: 1, log: true}]")
	}
	seen := map[string]int{}
	for i, p := range s.Space {
		pc := ck.At(fmt.Sprintf("space[%d]", i))
		p.validate(pc, s.Method)
		if j, dup := seen[p.Key]; dup && p.Key != "" {
			pc.Add("key", "%q is already searched by search.space[%d]", p.Key, j)
		}
		seen[p.Key] = i
	}
	if s.Method == "grid" && len(ck.Problems()) == 0 {
		if n := GridSize(s.Space); s.Trials > 0 && n > s.Trials {
			ck.Add("trials", "the grid has %d points, more than trials %d allows: raise trials, or set it to 0 for every point", n, s.Trials)
		}
	}
	if s.Method == "random" && s.Trials == 0 {
		ck.Add("trials", "must be >= 1 with method random")
	}
	if sc := s.Scheduler; sc.Type == "asha" && sc.GracePeriod > s.Epochs {
		ck.Add("scheduler.grace_period", "must be <= search.epochs (%d), got %d", s.Epochs, sc.GracePeriod)
	}
	for i, st := range s.Stages {
		spec.CheckFields(ck.At(fmt.Sprintf("stages[%d]", i)), st)
	}
	return ck.Err()
}

// validate checks one space element; ck is at search.space[i].
func (p Param) validate(ck *spec.Checker, method string) {
	if p.Key == "" {
		ck.Add("key", "required: the config key to search, e.g. optimizer.lr")
	}
	switch {
	case p.IsRange() && len(p.Values) > 0:
		ck.Add("values", "a space element is either a list (values) or a range (min, max), not both")
		return
	case !p.IsRange() && len(p.Values) == 0:
		ck.Add("", "needs values: [a, b, ...] or a range min: and max:")
		return
	case !p.IsRange():
		if p.Log || p.Int {
			ck.Add("log", "log and int apply to a range (min, max), not to values")
		}
		return
	case p.Min == nil:
		ck.Add("min", "required with max")
		return
	case p.Max == nil:
		ck.Add("max", "required with min")
		return
	}
	lo, hi := *p.Min, *p.Max
	if !ck.Finite("min", lo) || !ck.Finite("max", hi) {
		return
	}
	if method == "grid" {
		ck.Add("", "method grid needs a list of values; a range (min, max) is sampled by method random")
		return
	}
	if lo >= hi {
		ck.Add("min", "must be < max (%s), got %s", spec.FormatFloat(hi), spec.FormatFloat(lo))
	}
	if p.Log && lo <= 0 {
		ck.Add("min", "must be > 0 for a log range (log of %s is undefined): use a positive min such as 1.0e-6, or log: false", spec.FormatFloat(lo))
	}
	if p.Int && (lo != math.Trunc(lo) || hi != math.Trunc(hi)) {
		ck.Add("min", "an int range needs whole-number bounds, got %s..%s", spec.FormatFloat(lo), spec.FormatFloat(hi))
	}
}

// GridSize is the number of combinations of the value lists of space
// (ranges count once).
func GridSize(space []Param) int {
	n := 1
	for _, p := range space {
		if !p.IsRange() {
			n *= len(p.Values)
		}
	}
	return n
}
