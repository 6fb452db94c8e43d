package engine

import (
	"fmt"
	"math"
	"time"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/lrsched"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/optim"
	"github.com/nettrain/nettrain/pkg/rng"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// EpochMetrics is one row of metrics.csv.
type EpochMetrics struct {
	Epoch     int     `json:"epoch"` // 1-based
	Step      int64   `json:"step"`  // optimizer steps completed
	LR        float64 `json:"lr"`    // learning rate of the epoch's last step
	TrainLoss float64 `json:"train_loss"`
	TrainAcc  float64 `json:"train_acc"`
	HasVal    bool    `json:"has_val"`
	ValLoss   float64 `json:"val_loss"`
	ValAcc    float64 `json:"val_acc"`
	// EpochSeconds is the wall time of the epoch including validation;
	// ImagesPerSecond counts training images over the training part only.
	EpochSeconds    float64 `json:"epoch_seconds"`
	ImagesPerSecond float64 `json:"images_per_second"`
}

// StepStats describes one finished optimizer step.
type StepStats struct {
	Epoch, Batch, Batches int // Epoch is 0-based here; Batch in [0, Batches)
	N                     int // examples in the batch
	Loss                  float64
	Correct               int
	LR                    float64
}

// Hook observes the training loop. Hooks run in the order registered; an
// error from EpochEnd stops training.
type Hook interface {
	EpochStart(t *Trainer, epoch int)
	StepEnd(t *Trainer, s StepStats)
	EpochEnd(t *Trainer, m *EpochMetrics) error
}

// BaseHook implements Hook with no-ops, for embedding.
type BaseHook struct{}

// EpochStart does nothing.
func (BaseHook) EpochStart(*Trainer, int) {}

// StepEnd does nothing.
func (BaseHook) StepEnd(*Trainer, StepStats) {}

// EpochEnd does nothing.
func (BaseHook) EpochEnd(*Trainer, *EpochMetrics) error { return nil }

// Trainer holds one training run's state.
type Trainer struct {
	Cfg   *config.Config
	Model *model.Model
	Train *data.Dataset
	Val   *data.Dataset // may be nil
	Prep  Preprocessing
	Opt   optim.Optimizer
	LR    lrsched.Schedule
	// Plateau, when set, scales LR after every epoch (reduce-on-plateau).
	Plateau *lrsched.Plateau
	L2      float64
	Step    int64 // optimizer steps completed
	Epoch   int   // epochs completed

	loader  *data.Loader
	batches *batchPipeline
	ce      nn.SoftmaxCrossEntropy
	ctx     nn.Context // reused by every step
	lrScale float64    // reduce-on-plateau's factor, 1 without it
	hooks   []Hook
}

// NewTrainer sets up training of m on the prepared splits with cfg's
// optimizer, schedule and regularization.
func NewTrainer(cfg *config.Config, m *model.Model, s *Splits) (*Trainer, error) {
	opt, err := newOptimizer(cfg.Optimizer, m)
	if err != nil {
		return nil, err
	}
	bs := cfg.Train.BatchSize
	loader := data.NewLoader(s.Train, bs, true, false, rng.New(cfg.Seed, rng.Shuffle).Uint64())
	lr, err := newSchedule(cfg, loader.NumBatches())
	if err != nil {
		return nil, err
	}
	plateau, err := newPlateau(cfg)
	if err != nil {
		return nil, err
	}
	return &Trainer{
		Cfg: cfg, Model: m, Train: s.Train, Val: s.Val, Prep: s.Prep, Opt: opt, LR: lr, Plateau: plateau, lrScale: 1,
		L2:      cfg.Regularization.L2,
		loader:  loader,
		batches: newBatchPipeline(loader, s.Train, bs),
	}, nil
}

// AddHook registers h after the hooks already registered.
func (t *Trainer) AddHook(h Hook) { t.hooks = append(t.hooks, h) }

// TrainStep runs one optimizer step on the batch x (N,C,H,W) with labels y
// (N,): forward → loss → zero grad → backward → L2 penalty → clip →
// step(lr). It returns the loss (data loss plus penalty) and the number of
// correct predictions.
func (t *Trainer) TrainStep(x *tensor.Tensor, y []int32, lr float64) (loss float64, correct int) {
	t.ctx = nn.Context{Train: true, Seed: t.Cfg.Seed, Step: t.Step}
	ctx := &t.ctx
	params := t.Model.Params()
	logits := t.Model.Net.Forward(ctx, x)
	loss, correct = t.ce.Forward(logits, y)
	nn.ZeroGrad(params)
	t.Model.Net.Backward(ctx, t.ce.Backward())
	loss += optim.AddL2(params, t.L2)
	if c := t.Cfg.Optimizer.ClipGradValue; c > 0 {
		optim.ClipGradValue(params, c)
	}
	if c := t.Cfg.Optimizer.ClipGradNorm; c > 0 {
		optim.ClipGradNorm(params, c)
	}
	t.Opt.Step(lr)
	t.Step++
	return loss, correct
}

// Run trains from the current epoch to cfg.Train.Epochs.
func (t *Trainer) Run() error {
	for t.Epoch < t.Cfg.Train.Epochs {
		epoch := t.Epoch
		start := time.Now()
		for _, h := range t.hooks {
			h.EpochStart(t, epoch)
		}
		nb := t.loader.NumBatches()
		var lossSum float64
		var correct, seen int
		var lr float64
		err := t.batches.epoch(epoch, func(b int, x *tensor.Tensor, y []int32) error {
			n := len(y)
			lr = t.LR(int(t.Step)) * t.lrScale
			loss, c := t.TrainStep(x, y, lr)
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return fmt.Errorf("epoch %d, step %d: the loss is %v: training diverged; the learning rate (%g) is probably too high, or the inputs are not normalized", epoch+1, t.Step, loss, lr)
			}
			lossSum += loss * float64(n)
			correct += c
			seen += n
			for _, h := range t.hooks {
				h.StepEnd(t, StepStats{Epoch: epoch, Batch: b, Batches: nb, N: n, Loss: loss, Correct: c, LR: lr})
			}
			return nil
		})
		if err != nil {
			return err
		}
		if name := firstNonFinite(t.Model.Params()); name != "" {
			return fmt.Errorf("epoch %d, step %d: parameter %s holds NaN or Inf: training diverged; the learning rate (%g) is probably too high, or the inputs are not normalized", epoch+1, t.Step, name, lr)
		}
		trainTime := time.Since(start).Seconds()
		t.Epoch++
		m := &EpochMetrics{
			Epoch: t.Epoch, Step: t.Step, LR: lr,
			TrainLoss: lossSum / float64(seen), TrainAcc: float64(correct) / float64(seen),
			ImagesPerSecond: float64(seen) / trainTime,
		}
		m.EpochSeconds = trainTime
		for _, h := range t.hooks {
			if err := h.EpochEnd(t, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// firstNonFinite returns the name of the first parameter holding a NaN or
// an infinity, or "".
func firstNonFinite(params []*nn.Param) string {
	for _, p := range params {
		for _, v := range p.Value.Data {
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				return p.Name
			}
		}
	}
	return ""
}

// state captures what a checkpoint records now.
func (t *Trainer) state(m EpochMetrics) *state {
	return &state{cfg: t.Cfg, model: t.Model, optim: t.Opt.State(), prep: t.Prep, epoch: t.Epoch, step: t.Step, metrics: m}
}
