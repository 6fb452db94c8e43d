package engine

import (
	"errors"
	"fmt"
	"math"
	"strings"
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
	// HasEMA is set when the EMA weights were scored on the validation
	// split: EMAValLoss and EMAValAcc.
	HasEMA     bool    `json:"has_ema"`
	EMAValLoss float64 `json:"ema_val_loss"`
	EMAValAcc  float64 `json:"ema_val_acc"`
	// EpochSeconds is the wall time of the epoch including validation;
	// ImagesPerSecond counts training images over the training part only.
	EpochSeconds    float64 `json:"epoch_seconds"`
	ImagesPerSecond float64 `json:"images_per_second"`
}

// StepStats describes one finished optimizer step.
type StepStats struct {
	// Epoch is 0-based here; Batch in [0, Batches) is the step's last
	// mini-batch (with train.accumulate > 1 a step spans several).
	Epoch, Batch, Batches int
	N                     int // examples in the step
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
	Val   *data.Dataset     // may be nil
	Prep  data.Preprocessor // fitted on the training split, stored in checkpoints
	Opt   optim.Optimizer
	LR    lrsched.Schedule
	// Plateau, when set, scales LR after every epoch (reduce-on-plateau).
	Plateau *lrsched.Plateau
	// EMA, when set, is the moving average of the weights (ema.enabled).
	EMA *EMA
	// Penalty is the weight penalty added to the loss (regularization.l1,
	// l2, include, exclude).
	Penalty optim.Penalty
	Step    int64 // optimizer steps completed
	Epoch   int   // epochs completed
	// StopReason, set by a hook at the end of an epoch (early stopping, for
	// one), ends training after that epoch; it is kept in checkpoints so a
	// resumed run that was stopped stays stopped.
	StopReason string
	// Pause, when set, is asked after every optimizer step and after every
	// epoch whether to end this invocation (an interrupt, --stop-after-epochs);
	// Run then returns errPaused with the position kept in the trainer.
	Pause func() bool

	loader  *data.Loader
	batches *batchPipeline
	ce      nn.SoftmaxCrossEntropy
	ctx     nn.Context // reused by every step
	lrScale float64    // reduce-on-plateau's factor, 1 without it
	hooks   []Hook
	pos     epochPos      // where the current epoch stands
	last    *EpochMetrics // metrics of the last finished epoch, nil before the first
	micro   []microBatch  // the mini-batches of the current accumulation group
}

// epochPos is the position inside the current epoch and its running sums,
// stored in checkpoints so an interrupted epoch resumes exactly.
type epochPos struct {
	Batch   int     `json:"batch"`    // mini-batches of the epoch done (a multiple of train.accumulate, or all)
	LossSum float64 `json:"loss_sum"` // Σ loss·n over them
	Correct int     `json:"correct"`
	Seen    int     `json:"seen"`
	LR      float64 `json:"lr"`      // rate of the last step
	Seconds float64 `json:"seconds"` // training time spent in the epoch so far
}

// microBatch is one mini-batch's result inside an accumulation group.
type microBatch struct {
	loss       float64 // data loss (mean over the batch)
	n, correct int
}

// errPaused is returned by Run when Pause asked to stop.
var errPaused = errors.New("engine: paused")

// NewTrainer sets up training of m on the prepared splits with cfg's
// optimizer, schedule and regularization.
func NewTrainer(cfg *config.Config, m *model.Model, s *Splits) (*Trainer, error) {
	opt, err := newOptimizer(cfg.Optimizer, m)
	if err != nil {
		return nil, err
	}
	bs := cfg.Train.BatchSize
	loader := data.NewLoader(s.Train, bs, true, false, rng.New(cfg.Seed, rng.Shuffle).Uint64())
	lr, err := newSchedule(cfg, stepsPerEpoch(loader.NumBatches(), cfg.Train.Accumulate))
	if err != nil {
		return nil, err
	}
	plateau, err := newPlateau(cfg)
	if err != nil {
		return nil, err
	}
	tf, err := newBatchTransform(cfg, s, m.Classes)
	if err != nil {
		return nil, err
	}
	t := &Trainer{
		Cfg: cfg, Model: m, Train: s.Train, Val: s.Val, Prep: s.Prep, Opt: opt, LR: lr, Plateau: plateau, lrScale: 1,
		Penalty: cfg.Regularization,
		loader:  loader,
		batches: newBatchPipelineWith(loader, s.Train, bs, tf),
	}
	t.ce.Smoothing = cfg.Train.LabelSmoothing
	if cfg.EMA.Enabled {
		if t.EMA, err = newEMA(cfg, m); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// stepsPerEpoch is the number of optimizer steps of an epoch of batches
// mini-batches accumulated k at a time (the last group may be shorter).
func stepsPerEpoch(batches, k int) int {
	if k < 1 {
		k = 1
	}
	return (batches + k - 1) / k
}

// AddHook registers h after the hooks already registered.
func (t *Trainer) AddHook(h Hook) { t.hooks = append(t.hooks, h) }

// addPenalty adds the weight penalty's gradient to the parameters'
// gradients and returns its value. A plain L2 penalty takes optim.AddL2,
// bit for bit the update of earlier versions.
func (t *Trainer) addPenalty(params []*nn.Param) float64 {
	p := t.Penalty
	if p.L1 == 0 && len(p.Include) == 0 && len(p.Exclude) == 0 {
		return optim.AddL2(params, p.L2)
	}
	return optim.AddPenalty(params, p)
}

// forwardBackward runs the batch x (N,C,H,W) with labels y (N,) — or soft
// targets (N,classes) when soft is not nil (a mixed batch) — forward and
// accumulates the gradient of scale × its mean loss into the parameters'
// gradients (+=). micro is the batch's index in its accumulation group: the
// dropout masks are keyed by step·accumulate + micro. It returns the data
// loss (unscaled) and the number of correct predictions (against the
// dominant target for soft targets). Label smoothing applies to both.
func (t *Trainer) forwardBackward(x *tensor.Tensor, y []int32, soft *tensor.Tensor, scale float64, micro int) (loss float64, correct int) {
	k := max(t.Cfg.Train.Accumulate, 1)
	t.ctx = nn.Context{Train: true, Seed: t.Cfg.Seed, Step: t.Step*int64(k) + int64(micro)}
	ctx := &t.ctx
	logits := t.Model.Net.Forward(ctx, x)
	if soft != nil {
		loss, correct = t.ce.ForwardSoft(logits, soft)
	} else {
		loss, correct = t.ce.Forward(logits, y)
	}
	dlogits := t.ce.Backward()
	if scale != 1 {
		s := float32(scale)
		for i := range dlogits.Data {
			dlogits.Data[i] *= s
		}
	}
	t.Model.Net.Backward(ctx, dlogits)
	return loss, correct
}

// clipAndStep clips the accumulated gradients as configured and applies
// one optimizer step at rate lr.
func (t *Trainer) clipAndStep(lr float64) {
	params := t.Model.Params()
	if c := t.Cfg.Optimizer.ClipGradValue; c > 0 {
		optim.ClipGradValue(params, c)
	}
	if c := t.Cfg.Optimizer.ClipGradNorm; c > 0 {
		optim.ClipGradNorm(params, c)
	}
	t.Opt.Step(lr)
	t.Step++
}

// TrainStep runs one optimizer step on the batch x (N,C,H,W) with labels y
// (N,): forward → loss → zero grad → backward → penalty → clip →
// step(lr). It returns the loss (data loss plus penalty) and the number of
// correct predictions. It does no divergence check (Run does).
func (t *Trainer) TrainStep(x *tensor.Tensor, y []int32, lr float64) (loss float64, correct int) {
	return t.TrainStepSoft(x, y, nil, lr)
}

// TrainStepSoft is TrainStep with soft targets (N,classes), as a mixup or
// cutmix batch has: the loss is the soft-target cross-entropy and correct
// counts the rows whose prediction is the target's dominant class. soft
// nil is TrainStep.
func (t *Trainer) TrainStepSoft(x *tensor.Tensor, y []int32, soft *tensor.Tensor, lr float64) (loss float64, correct int) {
	params := t.Model.Params()
	nn.ZeroGrad(params)
	loss, correct = t.forwardBackward(x, y, soft, 1, 0)
	loss += t.addPenalty(params)
	t.clipAndStep(lr)
	return loss, correct
}

// Run trains from the current position (epoch, and batch inside it) to
// cfg.Train.Epochs, or until a hook sets StopReason. It returns errPaused
// when Pause asked to stop; the trainer then holds the position to save.
func (t *Trainer) Run() error {
	for t.Epoch < t.Cfg.Train.Epochs && t.StopReason == "" {
		if err := t.runEpoch(); err != nil {
			return err
		}
		if t.Epoch < t.Cfg.Train.Epochs && t.StopReason == "" && t.Pause != nil && t.Pause() {
			return errPaused
		}
	}
	return nil
}

// runEpoch trains the rest of the current epoch, one optimizer step per
// group of train.accumulate mini-batches: zero grad at the start of a
// group, forward/backward of each mini-batch with its loss weighted by its
// share of the group's examples, then penalty → divergence check → clip →
// step(lr(step)). It then runs the epoch-end hooks.
func (t *Trainer) runEpoch() error {
	epoch := t.Epoch
	start := time.Now()
	for _, h := range t.hooks {
		h.EpochStart(t, epoch)
	}
	p := &t.pos
	k := max(t.Cfg.Train.Accumulate, 1)
	nb := t.loader.NumBatches()
	bs, n := t.Cfg.Train.BatchSize, t.Train.N
	params := t.Model.Params()
	err := t.batches.epochBatches(epoch, p.Batch, func(b int, buf *batchBuf) error {
		x, y := &buf.x, buf.y[:buf.n]
		first := b - b%k
		last := min(first+k, nb)
		if b == first {
			nn.ZeroGrad(params)
			t.micro = t.micro[:0]
		}
		groupN := min(n, last*bs) - first*bs
		loss, c := t.forwardBackward(x, y, buf.targets(), float64(len(y))/float64(groupN), b-first)
		t.micro = append(t.micro, microBatch{loss: loss, n: len(y), correct: c})
		if b+1 < last {
			return nil
		}
		lr := t.LR(int(t.Step)) * t.lrScale
		penalty := t.addPenalty(params)
		if err := t.checkDiverged(epoch, lr); err != nil {
			return err
		}
		t.clipAndStep(lr)
		var sum float64
		var seen, correct int
		for _, m := range t.micro {
			sum += (m.loss + penalty) * float64(m.n)
			seen += m.n
			correct += m.correct
		}
		p.LossSum += sum
		p.Correct += correct
		p.Seen += seen
		p.LR = lr
		p.Batch = b + 1
		for _, h := range t.hooks {
			h.StepEnd(t, StepStats{Epoch: epoch, Batch: b, Batches: nb, N: seen, Loss: sum / float64(seen), Correct: correct, LR: lr})
		}
		if b+1 < nb && t.Pause != nil && t.Pause() {
			return errPaused
		}
		return nil
	})
	p.Seconds += time.Since(start).Seconds()
	if err != nil {
		return err
	}
	if name := firstNonFinite(params); name != "" {
		return fmt.Errorf("epoch %d, step %d: parameter %s holds NaN or Inf: training diverged; the learning rate (%g) is probably too high, or the inputs are not normalized", epoch+1, t.Step, name, p.LR)
	}
	t.Epoch++
	m := &EpochMetrics{
		Epoch: t.Epoch, Step: t.Step, LR: p.LR,
		TrainLoss: p.LossSum / float64(p.Seen), TrainAcc: float64(p.Correct) / float64(p.Seen),
		ImagesPerSecond: float64(p.Seen) / p.Seconds, EpochSeconds: p.Seconds,
	}
	t.pos = epochPos{}
	t.last = m
	for _, h := range t.hooks {
		if err := h.EpochEnd(t, m); err != nil {
			return err
		}
	}
	return nil
}

// checkDiverged stops the run before a step on a non-finite loss or
// gradient, naming the step and the first parameter (in model order) whose
// gradient is not finite.
func (t *Trainer) checkDiverged(epoch int, lr float64) error {
	var bad []string
	for _, m := range t.micro {
		if math.IsNaN(m.loss) || math.IsInf(m.loss, 0) {
			bad = append(bad, fmt.Sprintf("the loss is %v", m.loss))
			break
		}
	}
	if name := firstNonFiniteGrad(t.Model.Params()); name != "" {
		bad = append(bad, fmt.Sprintf("the gradient of %s (the first parameter with one) holds NaN or Inf", name))
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("epoch %d, step %d: %s: training diverged and stopped before this step; the learning rate (%g) is probably too high (lower optimizer.lr or set optimizer.clip_grad_norm), or the inputs are not normalized; the checkpoints already written are intact",
		epoch+1, t.Step+1, strings.Join(bad, " and "), lr)
}

// firstNonFiniteGrad returns the name of the first parameter whose gradient
// holds a NaN or an infinity, or "".
func firstNonFiniteGrad(params []*nn.Param) string {
	for _, p := range params {
		for _, v := range p.Grad.Data {
			if v-v != 0 { // NaN or ±Inf
				return p.Name
			}
		}
	}
	return ""
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
