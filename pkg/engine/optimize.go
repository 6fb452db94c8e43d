package engine

import (
	"fmt"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/lrsched"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/optim"
)

// newOptimizer builds the optimizer of cfg over m's parameters.
func newOptimizer(c optim.Spec, m *model.Model) (optim.Optimizer, error) {
	o, err := optim.New(c.Config(), m.Params())
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
	s, err := lrsched.New(lrsched.Config{Spec: cfg.Schedule, BaseLR: base, StepsPerEpoch: perEpoch, TotalSteps: perEpoch * cfg.Train.Epochs})
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
	c.PlateauSpec = pc
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
