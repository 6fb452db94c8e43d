package engine

import (
	"fmt"
	"math"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/lrsched"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/optim"
)

// newOptimizer builds the optimizer of cfg over m's parameters.
func newOptimizer(c config.Optimizer, m *model.Model) (optim.Optimizer, error) {
	// The config holds every key with its default; pass each optimizer
	// only the settings it takes (the config rejects explicit misuse).
	oc := optim.Config{Type: c.Type, WeightDecay: c.WeightDecay}
	switch c.Type {
	case "sgd":
		oc.Momentum, oc.Dampening, oc.Nesterov = c.Momentum, c.Dampening, c.Nesterov
	case "adam", "adamw":
		oc.Beta1, oc.Beta2, oc.Eps, oc.AMSGrad = c.Betas[0], c.Betas[1], c.Eps, c.AMSGrad
	case "rmsprop":
		oc.Momentum, oc.Alpha, oc.Eps, oc.Centered = c.Momentum, c.Alpha, c.Eps, c.Centered
	case "adagrad":
		oc.Eps, oc.LRDecay, oc.InitialAccumulator = c.Eps, c.LRDecay, c.InitialAccumulator
	}
	for _, g := range c.Groups {
		oc.Groups = append(oc.Groups, optim.Group{Pattern: g.Pattern, LRScale: g.LRScale, WeightDecay: g.WeightDecay})
	}
	o, err := optim.New(oc, m.Params())
	if err != nil {
		return nil, inputErrorf("optimizer: %w", err)
	}
	return o, nil
}

// baseLR is optimizer.lr scaled for the batch size by schedule.scale_rule.
func baseLR(cfg *config.Config) (float64, error) {
	lr, err := lrsched.ScaleLR(cfg.Optimizer.LR, cfg.Train.BatchSize, cfg.Schedule.BaseBatchSize, cfg.Schedule.ScaleRule)
	if err != nil {
		return 0, inputErrorf("schedule.scale_rule: %w", err)
	}
	return lr, nil
}

// newSchedule builds the learning-rate schedule of cfg for a run of
// perEpoch optimizer steps per epoch.
func newSchedule(cfg *config.Config, perEpoch int) (lrsched.Schedule, error) {
	base, err := baseLR(cfg)
	if err != nil {
		return nil, err
	}
	sc := cfg.Schedule
	s, err := lrsched.New(lrsched.Config{
		Type: sc.Type, BaseLR: base, StepsPerEpoch: perEpoch, TotalSteps: perEpoch * cfg.Train.Epochs,
		StepSize: sc.StepSize, Gamma: sc.Gamma, MinLR: sc.MinLR,
		WarmupSteps: int(math.Round(sc.WarmupEpochs * float64(perEpoch))), WarmupStartFactor: sc.WarmupStartFactor,
		Interval: sc.Interval, Milestones: sc.Milestones, T0: sc.T0, TMult: sc.TMult,
		StartFactor: sc.StartFactor, EndFactor: sc.EndFactor, TotalIters: sc.TotalIters, Power: sc.Power,
		InvSqrtSteps: sc.InvSqrtSteps, MaxLR: sc.MaxLR, PctStart: sc.PctStart, DivFactor: sc.DivFactor,
		FinalDivFactor: sc.FinalDivFactor, AnnealStrategy: sc.AnnealStrategy, ThreePhase: sc.ThreePhase,
	})
	if err != nil {
		return nil, inputErrorf("schedule: %w", err)
	}
	return s, nil
}

// newPlateau builds schedule.plateau, or returns nil when it is off.
func newPlateau(cfg *config.Config) (*lrsched.Plateau, error) {
	pc := cfg.Schedule.Plateau
	if !pc.Enabled {
		return nil, nil
	}
	base, err := baseLR(cfg)
	if err != nil {
		return nil, err
	}
	c := lrsched.DefaultPlateauConfig(base)
	c.Mode, c.Factor, c.Patience, c.Threshold, c.ThresholdMode, c.Cooldown, c.MinLR =
		pc.Mode, pc.Factor, pc.Patience, pc.Threshold, pc.ThresholdMode, pc.Cooldown, pc.MinLR
	p, err := lrsched.NewPlateau(c)
	if err != nil {
		return nil, inputErrorf("schedule.plateau: %w", err)
	}
	return p, nil
}

// plateauHook feeds the watched validation metric to reduce-on-plateau
// after every epoch; the trainer multiplies the schedule by its scale.
type plateauHook struct {
	BaseHook
	metric string
}

func (h plateauHook) EpochEnd(t *Trainer, m *EpochMetrics) error {
	if t.Plateau == nil {
		return nil
	}
	if !m.HasVal {
		return fmt.Errorf("schedule.plateau watches %s but the run has no validation split (data.val_split is 0)", h.metric)
	}
	v := m.ValLoss
	if h.metric == "val_acc" {
		v = m.ValAcc
	}
	t.lrScale = t.Plateau.Observe(v)
	return nil
}
