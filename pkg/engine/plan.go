package engine

import (
	"math"

	"github.com/nettrain/nettrain/pkg/augment"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/lrsched"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/optim"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// Plan is a run resolved from its config once: every value the training
// loop and its built-in hooks read, with the derived ones (the learning
// rate scaled for the batch size, the optimizer's own settings, the
// penalty) computed here and nowhere else. The loop never reads the
// config.
type Plan struct {
	// Seed is the run's seed: every random stream is derived from it.
	Seed uint64
	// Epochs is train.epochs.
	Epochs int
	// BatchSize is train.batch_size, EvalBatchSize train.eval_batch_size.
	BatchSize, EvalBatchSize int
	// Accumulate is train.accumulate, at least 1: mini-batches per
	// optimizer step.
	Accumulate int
	// LabelSmoothing is train.label_smoothing.
	LabelSmoothing float64
	// Mixup and CutMix are train.mixup and train.cutmix (alpha 0: off).
	Mixup, CutMix config.Mix
	// Augment is the augmentation pipeline's steps (empty: none).
	Augment []augment.Spec
	// Model is the architecture, built by BuildModel.
	Model model.Spec
	// Optimizer holds the settings of optimizer.type only.
	Optimizer optim.Config
	// ClipGradValue and ClipGradNorm are optimizer.clip_grad_value and
	// optimizer.clip_grad_norm (0: off).
	ClipGradValue, ClipGradNorm float64
	// BaseLR is optimizer.lr scaled for the batch size by
	// schedule.scale_rule: the rate every schedule starts from.
	BaseLR float64
	// schedule is the schedule's settings; StepsPerEpoch, TotalSteps and
	// WarmupSteps are filled in by Schedule, which knows the data.
	schedule     lrsched.Config
	warmupEpochs float64
	// Plateau is reduce-on-plateau's settings, nil when it is off;
	// PlateauMetric the validation metric it watches.
	Plateau       *lrsched.PlateauConfig
	PlateauMetric string
	// Penalty is the weight penalty added to the loss.
	Penalty optim.Penalty
	// EMA is the moving average of the weights (EMA.Enabled false: off).
	EMA config.EMA
	// EarlyStopping is train.early_stopping (Enabled false: off).
	EarlyStopping config.EarlyStopping
	// DivergenceFactor is train.divergence_factor (0: off).
	DivergenceFactor float64
}

// NewPlan resolves cfg (already validated) into the plan the loop runs.
// Errors are *InputError naming the key.
func NewPlan(cfg *config.Config) (*Plan, error) {
	tr, o, sc, r := cfg.Train, cfg.Optimizer, cfg.Schedule, cfg.Regularization
	base, err := lrsched.ScaleLR(o.LR, tr.BatchSize, sc.BaseBatchSize, sc.ScaleRule)
	if err != nil {
		return nil, InputErrorf("schedule.scale_rule: %w", err)
	}
	p := &Plan{
		Seed: cfg.Seed, Epochs: tr.Epochs, BatchSize: tr.BatchSize, EvalBatchSize: tr.EvalBatchSize,
		Accumulate: max(tr.Accumulate, 1), LabelSmoothing: tr.LabelSmoothing, Mixup: tr.Mixup, CutMix: tr.CutMix,
		Augment: cfg.AugmentSpecs(), Model: ModelSpec(cfg.Model), Optimizer: optimizerConfig(o),
		ClipGradValue: o.ClipGradValue, ClipGradNorm: o.ClipGradNorm, BaseLR: base,
		Penalty: optim.Penalty{L1: r.L1, L2: r.L2, Include: r.Include, Exclude: r.Exclude},
		EMA:     cfg.EMA, EarlyStopping: tr.EarlyStopping, DivergenceFactor: tr.DivergenceFactor,
		warmupEpochs: sc.WarmupEpochs,
		schedule: lrsched.Config{
			Type: sc.Type, BaseLR: base, StepSize: sc.StepSize, Gamma: sc.Gamma, MinLR: sc.MinLR,
			WarmupStartFactor: sc.WarmupStartFactor, Interval: sc.Interval, Milestones: sc.Milestones, T0: sc.T0, TMult: sc.TMult,
			StartFactor: sc.StartFactor, EndFactor: sc.EndFactor, TotalIters: sc.TotalIters, Power: sc.Power,
			InvSqrtSteps: sc.InvSqrtSteps, MaxLR: sc.MaxLR, PctStart: sc.PctStart, DivFactor: sc.DivFactor,
			FinalDivFactor: sc.FinalDivFactor, AnnealStrategy: sc.AnnealStrategy, ThreePhase: sc.ThreePhase,
		},
	}
	if pc := sc.Plateau; pc.Enabled {
		c := lrsched.DefaultPlateauConfig(base)
		c.Mode, c.Factor, c.Patience, c.Threshold, c.ThresholdMode, c.Cooldown, c.MinLR =
			pc.Mode, pc.Factor, pc.Patience, pc.Threshold, pc.ThresholdMode, pc.Cooldown, pc.MinLR
		p.Plateau, p.PlateauMetric = &c, pc.Metric
	}
	return p, nil
}

// optimizerConfig passes the optimizer only the settings its type takes:
// the config holds every key with its default, and rejects explicit
// misuse.
func optimizerConfig(c config.Optimizer) optim.Config {
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
	return oc
}

// StepsPerEpoch is the number of optimizer steps of an epoch of batches
// mini-batches accumulated Accumulate at a time (the last group may be
// shorter).
func (p *Plan) StepsPerEpoch(batches int) int {
	return (batches + p.Accumulate - 1) / p.Accumulate
}

// Schedule returns the learning-rate schedule for a run of perEpoch
// optimizer steps per epoch: a pure function of the global step.
func (p *Plan) Schedule(perEpoch int) (lrsched.Schedule, error) {
	c := p.schedule
	c.StepsPerEpoch, c.TotalSteps = perEpoch, perEpoch*p.Epochs
	c.WarmupSteps = p.WarmupSteps(perEpoch)
	s, err := lrsched.New(c)
	if err != nil {
		return nil, InputErrorf("schedule: %w", err)
	}
	return s, nil
}

// WarmupSteps is schedule.warmup_epochs in optimizer steps for a run of
// perEpoch steps per epoch.
func (p *Plan) WarmupSteps(perEpoch int) int {
	return int(math.Round(p.warmupEpochs * float64(perEpoch)))
}

// newOptimizer builds the plan's optimizer over params, updating them on
// pool.
func (p *Plan) newOptimizer(params []*nn.Param, pool *tensor.Pool) (optim.Optimizer, error) {
	o, err := optim.New(p.Optimizer, params, pool)
	if err != nil {
		return nil, InputErrorf("optimizer: %w", err)
	}
	return o, nil
}

// newPlateau builds reduce-on-plateau, or returns nil when it is off.
func (p *Plan) newPlateau() (*lrsched.Plateau, error) {
	if p.Plateau == nil {
		return nil, nil
	}
	pl, err := lrsched.NewPlateau(*p.Plateau)
	if err != nil {
		return nil, InputErrorf("schedule.plateau: %w", err)
	}
	return pl, nil
}
