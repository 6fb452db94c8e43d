package engine

import (
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
	// schedule is the schedule's settings; StepsPerEpoch and TotalSteps
	// are filled in by Schedule, which knows the data.
	schedule lrsched.Config
	// Plateau is reduce-on-plateau's settings, nil when it is off;
	// PlateauMetric the validation metric it watches.
	Plateau       *lrsched.PlateauConfig
	PlateauMetric string
	// Penalty is the weight penalty added to the loss.
	Penalty optim.Penalty
	// EMA is the moving average of the weights (EMA.Enabled false: off).
	EMA config.EMA
	// SWA is stochastic weight averaging (SWA.Enabled false: off).
	SWA config.SWA
	// EarlyStopping is train.early_stopping (Enabled false: off).
	EarlyStopping config.EarlyStopping
	// DivergenceFactor is train.divergence_factor (0: off).
	DivergenceFactor float64
	// MaxLossFactor is train.max_loss_factor (0: off).
	MaxLossFactor float64
	// Monitor is the monitor section: what is measured beside training.
	Monitor config.Monitor
	// Freeze, FreezeBN and UnfreezeAt are train.freeze, train.freeze_bn
	// and train.unfreeze_at (see freeze.go).
	Freeze     []string
	FreezeBN   bool
	UnfreezeAt int
	// GhostBatchSize is train.ghost_batch_size (0: off).
	GhostBatchSize int
	// Distributed is the distributed section: how the ranks of an mpirun
	// job train together (see Trainer.Distribute).
	Distributed config.Distributed
}

// NewPlan resolves cfg (already validated) into the plan the loop runs.
// Errors are *InputError naming the key.
func NewPlan(cfg *config.Config) (*Plan, error) {
	tr, sc := cfg.Train, cfg.Schedule
	base, err := lrsched.ScaleLR(cfg.Optimizer.LR, tr.BatchSize, sc.BaseBatchSize, sc.ScaleRule)
	if err != nil {
		return nil, InputErrorf("schedule.scale_rule: %w", err)
	}
	p := &Plan{
		Seed: cfg.Seed, Epochs: tr.Epochs, BatchSize: tr.BatchSize, EvalBatchSize: tr.EvalBatchSize,
		Accumulate: max(tr.Accumulate, 1), LabelSmoothing: tr.LabelSmoothing, Mixup: tr.Mixup, CutMix: tr.CutMix,
		Augment: cfg.Augment, Model: cfg.Model, Optimizer: cfg.Optimizer.Config(),
		ClipGradValue: cfg.Optimizer.ClipGradValue, ClipGradNorm: cfg.Optimizer.ClipGradNorm, BaseLR: base,
		Penalty: cfg.Regularization, EMA: cfg.EMA, SWA: cfg.SWA, EarlyStopping: tr.EarlyStopping, DivergenceFactor: tr.DivergenceFactor,
		MaxLossFactor: tr.MaxLossFactor, Monitor: cfg.Monitor,
		Freeze: tr.Freeze, FreezeBN: tr.FreezeBN, UnfreezeAt: tr.UnfreezeAt,
		GhostBatchSize: tr.GhostBatchSize, Distributed: cfg.Distributed,
		schedule: lrsched.Config{Spec: sc, BaseLR: base},
	}
	if pc := sc.Plateau; pc.Enabled {
		c := lrsched.DefaultPlateauConfig(base)
		c.PlateauSpec = pc
		p.Plateau, p.PlateauMetric = &c, pc.Metric
	}
	return p, nil
}

// StepsPerEpoch is the number of optimizer steps of an epoch of batches
// mini-batches accumulated Accumulate at a time (the last group may be
// shorter).
func (p *Plan) StepsPerEpoch(batches int) int {
	return (batches + p.Accumulate - 1) / p.Accumulate
}

// Schedule returns the learning-rate schedule for a run of perEpoch
// optimizer steps per epoch: a pure function of the global step, with
// SWALR from swa.start on when swa.lr is set.
func (p *Plan) Schedule(perEpoch int) (lrsched.Schedule, error) {
	c := p.schedule
	c.StepsPerEpoch, c.TotalSteps = perEpoch, perEpoch*p.Epochs
	s, err := lrsched.New(c)
	if err != nil {
		return nil, InputErrorf("schedule: %w", err)
	}
	return p.swaSchedule(s, perEpoch)
}

// WarmupSteps is schedule.warmup_epochs in optimizer steps for a run of
// perEpoch steps per epoch.
func (p *Plan) WarmupSteps(perEpoch int) int {
	return p.schedule.Spec.WarmupSteps(perEpoch)
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
