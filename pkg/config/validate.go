package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strings"

	"github.com/nettrain/nettrain/pkg/augment"
	"github.com/nettrain/nettrain/pkg/lrsched"
	"github.com/nettrain/nettrain/pkg/spec"
)

// Validate checks every range and cross-key rule of a resolved Config in one
// pass, section by section. It returns nil, or every problem found, one
// [*Error] per line (joined with errors.Join when there are several; use
// errors.As to get at one). The errors carry Path and Msg only; [Parse] adds
// the file and line of the offending key.
func (c *Config) Validate() error {
	return joinErrors(c.validate())
}

// fmtFloat formats v as in YAML: the shortest decimal that reads back to v,
// or .inf, -.inf, .nan.
func fmtFloat(v float64) string { return spec.FormatFloat(v) }

var runNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// validate runs every section's checks; the errors have Path and Msg only.
// A domain section is checked by its package's Validate, whose key paths
// are relative to the section; the rules between sections and the
// sections only the training loop reads are checked here.
func (c *Config) validate() []*Error {
	var ck spec.Checker
	section := func(name string, err error) {
		var ps spec.Problems
		if errors.As(err, &ps) {
			for _, p := range ps {
				ck.At(name).Add(p.Path, "%s", p.Msg)
			}
		} else if err != nil {
			ck.Add(name, "%v", err)
		}
	}
	if c.Version != 1 {
		ck.Add("version", "unsupported schema version %d; this nettrain reads version 1", c.Version)
	}
	switch {
	case !runNameRE.MatchString(c.Name):
		ck.Add("name", "must match [A-Za-z0-9._-]+ (it names the run folder), got %q", c.Name)
	case c.Name == "." || c.Name == "..":
		ck.Add("name", "must not be %q (it names the run folder)", c.Name)
	}
	section("data", c.Data.Validate())
	section("preprocess", c.Preprocess.Validate())
	c.validateAugment(&ck)
	section("model", c.Model.Validate())
	section("optimizer", c.Optimizer.Validate())
	section("regularization", c.Regularization.Validate())
	section("schedule", c.Schedule.Validate())
	c.validateAcross(ck.At("schedule"))
	hasVal := c.Data.ValSplit != 0
	c.Train.validate(ck.At("train"), hasVal)
	spec.CheckFields(ck.At("ema"), c.EMA)
	spec.CheckFields(ck.At("swa"), c.SWA)
	if s := c.SWA; s.Enabled && s.Start > c.Train.Epochs && c.Train.Epochs >= 1 {
		ck.Add("swa.start", "must be <= train.epochs (%d), got %d", c.Train.Epochs, s.Start)
	}
	c.Checkpoint.validate(ck.At("checkpoint"), hasVal)
	spec.CheckFields(ck.At("monitor"), c.Monitor)
	spec.CheckFields(ck.At("distributed"), c.Distributed)
	if c.Distributed.SyncBN && c.Train.GhostBatchSize > 0 {
		ck.Add("distributed.sync_bn", "cannot be combined with train.ghost_batch_size (%d): synchronized batch norm normalizes over the whole global batch, ghost batch norm over its parts; set one", c.Train.GhostBatchSize)
	}
	if m := c.Monitor; m.RatioLow >= m.RatioHigh && m.RatioHigh > 0 {
		ck.Add("monitor.ratio_low", "must be < monitor.ratio_high (%s), got %s", fmtFloat(m.RatioHigh), fmtFloat(m.RatioLow))
	}
	if c.Output.Dir == "" {
		ck.Add("output.dir", `must not be empty (default "runs/<name>")`)
	}
	if !reflect.ValueOf(c.Search).IsZero() {
		before := len(ck.Problems())
		section("search", c.Search.Validate())
		c.validateSearch(ck.At("search"), hasVal, len(ck.Problems()) == before)
	}
	errs := make([]*Error, len(ck.Problems()))
	for i, p := range ck.Problems() {
		errs[i] = &Error{Path: p.Path, Msg: p.Msg}
	}
	return errs
}

// validateAcross checks the schedule keys bounded by other sections:
// schedule.min_lr by optimizer.lr and schedule.warmup_epochs by
// train.epochs. ck is at "schedule".
func (c *Config) validateAcross(ck *spec.Checker) {
	s, lr, epochs := c.Schedule, c.Optimizer.LR, c.Train.Epochs
	if s.MinLR >= lr && lr > 0 && !math.IsInf(s.MinLR, 1) {
		ck.Add("min_lr", "must be < optimizer.lr (%s), got %s", fmtFloat(lr), fmtFloat(s.MinLR))
	}
	if s.WarmupEpochs >= float64(epochs) && epochs >= 1 && !math.IsInf(s.WarmupEpochs, 1) {
		ck.Add("warmup_epochs", "must be < train.epochs (%d), got %s", epochs, fmtFloat(s.WarmupEpochs))
	}
}

// validateAugment checks the augment list through augment.New, whose
// errors name augment[i].key. Shape-dependent checks wait for the data.
func (c *Config) validateAugment(ck *spec.Checker) {
	if len(c.Augment) == 0 {
		return
	}
	if _, err := augment.New(c.Augment); err != nil {
		for _, e := range unjoin(err) {
			var se *augment.SpecError
			if errors.As(e, &se) {
				msg := se.Msg
				if se.Param != "op" && se.Op != "" {
					msg = se.Op + ": " + msg
				}
				ck.Add(fmt.Sprintf("augment[%d].%s", se.Index, se.Param), "%s", msg)
				continue
			}
			ck.Add("augment", "%v", e)
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

// MonitoredMetrics are the metrics early stopping and the best checkpoint
// can watch.
var MonitoredMetrics = []string{"val_loss", "val_acc", "train_loss", "train_acc"}

// MetricModes are the values of a monitored metric's mode.
var MetricModes = []string{"min", "max"}

// KeyNames lists the names of the swa name keys ([spec.Namer]).
func (SWA) KeyNames() map[string]spec.Names {
	return map[string]spec.Names{"anneal_strategy": {List: lrsched.AnnealStrategies}}
}

// KeyNames lists the names of the early-stopping name keys ([spec.Namer]).
func (EarlyStopping) KeyNames() map[string]spec.Names {
	return map[string]spec.Names{"metric": {List: MonitoredMetrics}, "mode": {List: MetricModes}}
}

// KeyNames lists the names of the checkpoint name keys ([spec.Namer]).
func (Checkpoint) KeyNames() map[string]spec.Names {
	return map[string]spec.Names{"monitor": {List: MonitoredMetrics}, "mode": {List: MetricModes}}
}

// needsVal records a problem at key when the monitored metric v is a
// validation metric and the run has no validation split.
func needsVal(ck *spec.Checker, key, v string, hasVal bool) {
	if strings.HasPrefix(v, "val_") && !hasVal {
		ck.Add(key, "%s needs a validation split (data.val_split is 0); use train_loss or train_acc", v)
	}
}

// validate checks the train section; ck is at "train", hasVal says whether
// the run has a validation split.
func (t *Train) validate(ck *spec.Checker, hasVal bool) {
	spec.CheckFields(ck, t)
	spec.CheckFields(ck.At("mixup"), t.Mixup)
	spec.CheckFields(ck.At("cutmix"), t.CutMix)
	spec.CheckFields(ck.At("early_stopping"), t.EarlyStopping)
	if es := t.EarlyStopping; es.Enabled {
		needsVal(ck.At("early_stopping"), "metric", es.Metric, hasVal)
	}
	ck.Globs("freeze", t.Freeze)
	if len(t.Freeze) == 0 {
		if t.FreezeBN {
			ck.Add("freeze_bn", "only used with train.freeze (the batch norms it freezes)")
		}
		if t.UnfreezeAt > 0 {
			ck.Add("unfreeze_at", "only used with train.freeze")
		}
	}
	if t.UnfreezeAt >= t.Epochs && t.Epochs >= 1 {
		ck.Add("unfreeze_at", "must be < train.epochs (%d), got %d", t.Epochs, t.UnfreezeAt)
	}
}

// validate checks the checkpoint section; ck is at "checkpoint".
func (c *Checkpoint) validate(ck *spec.Checker, hasVal bool) {
	spec.CheckFields(ck, c)
	needsVal(ck, "monitor", c.Monitor, hasVal)
}
