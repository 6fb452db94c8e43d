package engine

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

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
	// Monitored says the step was measured (every monitor.every steps):
	// GradNorm is the gradient's global L2 norm before clipping and
	// UpdateRatios the ‖ΔW‖/‖W‖ of each of Trainer.MonitoredParams for
	// this step's update. The slice is reused: copy what you keep.
	Monitored    bool
	GradNorm     float64
	UpdateRatios []float64
}

// Trainer holds one training run's state. It reads its settings from
// Plan only.
type Trainer struct {
	Plan  *Plan
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
	// SWA, when set, is the stochastic weight average (swa.enabled).
	SWA *SWA
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
	// Run then returns ErrPaused with the position kept in the trainer.
	Pause func() bool
	// Pool is the run's thread budget: every step, the optimizer and the
	// evaluations of the hooks compute on it (nil: on the calling goroutine).
	Pool *tensor.Pool

	loader  *data.Loader
	batches *batchPipeline
	ce      nn.SoftmaxCrossEntropy
	ctx     nn.Context // reused by every step
	// grads watches the gradients of the backward pass that ends a step of
	// a data-parallel job, so buckets start as blocks are final (nil
	// otherwise).
	grads nn.GradWatcher
	hooks []Attached    // by phase, then in the order added
	pos   epochPos      // where the current epoch stands
	last  *EpochMetrics // metrics of the last finished epoch, nil before the first
	micro []microBatch  // the mini-batches of the current accumulation group
	abort error         // set by Abort: ends the run after the current step
	mon   *monitor      // nil when monitor.every is 0
	// trainable are the parameters not frozen in the current epoch (all of
	// them without train.freeze): the ones penalized and clipped.
	trainable []*nn.Param
	// features caches the frozen body's output (feature extraction), nil
	// when the body is not cached; from is the first step a training
	// forward runs (0 unless the epoch trains on cached features).
	features *featureCache
	from     int
	// noFeatureCache turns the cache off, for tests that compare the two
	// paths (and in a data-parallel job).
	noFeatureCache bool
	// dp is the trainer's part of a data-parallel job (Distribute), nil in
	// a single process.
	dp *dataParallel
}

// Abort ends the run with err right after the current optimizer step's
// StepEnd hooks, before the next step: for a hook that sees the run is
// lost (a loss limit). The checkpoints already written stay as they are.
func (t *Trainer) Abort(err error) {
	if t.abort == nil {
		t.abort = err
	}
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

// ErrPaused is returned by Run when Pause asked to stop.
var ErrPaused = errors.New("engine: paused")

// NewTrainer sets up training of m on the prepared splits as the plan
// says: optimizer, schedule, batch pipeline, and the plan's training
// features as hooks — validation and the EMA (PhaseMeasure),
// reduce-on-plateau, early stopping, the loss limit (PhaseControl) and the
// divergence factor (PhaseRecord). A caller adds its own hooks with AddHook. It
// computes on pool (nil: one thread, the caller's); two trainers on two
// pools run side by side in one process, each as it would alone.
func NewTrainer(p *Plan, m *model.Model, s *Splits, pool *tensor.Pool) (*Trainer, error) {
	if err := CheckFreeze(p.Freeze, m); err != nil {
		return nil, err
	}
	opt, err := p.newOptimizer(m.Params(), pool)
	if err != nil {
		return nil, err
	}
	loader := data.NewLoader(s.Train, p.BatchSize, true, false, rng.New(p.Seed, rng.Shuffle).Uint64())
	lr, err := p.Schedule(p.StepsPerEpoch(loader.NumBatches()))
	if err != nil {
		return nil, err
	}
	plateau, err := p.newPlateau()
	if err != nil {
		return nil, err
	}
	tf := newBatchTransform(p, s, m.Classes)
	t := &Trainer{
		Plan: p, Model: m, Train: s.Train, Val: s.Val, Prep: s.Prep, Opt: opt, LR: lr, Plateau: plateau,
		Penalty: p.Penalty, Pool: pool,
		loader:  loader,
		batches: newBatchPipelineWith(loader, s.Train, p.BatchSize, tf),
	}
	t.batches.workers = pool.Threads()
	t.trainable = t.applyFreeze(0)
	t.ce.Smoothing = p.LabelSmoothing
	if p.EMA.Enabled {
		if t.EMA, err = newEMA(p, m); err != nil {
			return nil, err
		}
	}
	if p.SWA.Enabled {
		if t.SWA, err = newSWA(p, m); err != nil {
			return nil, err
		}
	}
	t.mon = newMonitor(p.Monitor.Every, m.Params())
	t.AddHook(PhaseMeasure, validationHook{})
	if t.EMA != nil {
		t.AddHook(PhaseMeasure, &emaHook{ema: t.EMA})
	}
	if t.SWA != nil {
		t.AddHook(PhaseMeasure, &swaHook{swa: t.SWA})
	}
	if t.Plateau != nil {
		t.AddHook(PhaseControl, &plateauHook{plateau: t.Plateau, metric: p.PlateauMetric})
	}
	if es := p.EarlyStopping; es.Enabled {
		t.AddHook(PhaseControl, &earlyStopHook{metric: es.Metric, es: EarlyStopping{Mode: es.Mode, Patience: es.Patience, MinDelta: es.MinDelta}})
	}
	if f := p.DivergenceFactor; f > 0 {
		t.AddHook(PhaseRecord, &divergenceHook{factor: f})
	}
	if f := p.MaxLossFactor; f > 0 {
		t.AddHook(PhaseControl, &lossLimitHook{factor: f})
	}
	return t, nil
}

// BatchesPerEpoch is the number of mini-batches of an epoch.
func (t *Trainer) BatchesPerEpoch() int { return t.loader.NumBatches() }

// Position returns the mini-batches of the current epoch already done
// (0 at an epoch's end).
func (t *Trainer) Position() int { return t.pos.Batch }

// lrScale is reduce-on-plateau's factor, 1 without it.
func (t *Trainer) lrScale() float64 {
	if t.Plateau == nil {
		return 1
	}
	return t.Plateau.Scale()
}

// ForEachBatch calls fn with the training mini-batches of epoch (0-based)
// from batch start on, in the loop's order and with its augmentation, for
// callers that drive their own steps (sanity's overfit check). fn must not
// keep x or y after it returns; an error from fn ends the epoch and is
// returned.
func (t *Trainer) ForEachBatch(epoch, start int, fn func(b int, x *tensor.Tensor, y []int32) error) error {
	return t.batches.epoch(epoch, start, fn)
}

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
	t.ctx = nn.Context{Train: true, Seed: t.Plan.Seed, Step: t.dropoutStep(micro), Pool: t.Pool, GhostSplits: t.ghostSplits()}
	if t.dp != nil && t.Plan.Distributed.SyncBN {
		t.ctx.Sync = t.dp.comm
	}
	if t.grads != nil {
		t.ctx.Grads = t.grads
	}
	ctx := &t.ctx
	logits := t.Model.Net.ForwardSteps(ctx, x, t.from, len(t.Model.Net.Steps()))
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
	params := t.trainable
	if c := t.Plan.ClipGradValue; c > 0 {
		optim.ClipGradValue(params, c)
	}
	if c := t.Plan.ClipGradNorm; c > 0 {
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
	nn.ZeroGrad(t.Model.Params())
	loss, correct = t.forwardBackward(x, y, soft, 1, 0)
	loss += t.addPenalty(t.trainable)
	t.clipAndStep(lr)
	return loss, correct
}

// Run trains from the current position (epoch, and batch inside it) to
// cfg.Train.Epochs, or until a hook sets StopReason. It returns ErrPaused
// when Pause asked to stop; the trainer then holds the position to save.
func (t *Trainer) Run() error {
	for t.Epoch < t.Plan.Epochs && t.StopReason == "" {
		if err := t.runEpoch(); err != nil {
			return err
		}
		if t.Epoch < t.Plan.Epochs && t.StopReason == "" && t.pause() {
			return ErrPaused
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
	for _, a := range t.hooks {
		a.Hook.EpochStart(t, epoch)
	}
	p := &t.pos
	k := t.Plan.Accumulate
	nb := t.loader.NumBatches()
	bs, n := t.Plan.BatchSize, t.Train.N
	t.trainable = t.applyFreeze(epoch)
	params := t.Model.Params()
	pipe, fc := t.batches, t.featureCacheFor()
	if fc != nil {
		pipe, t.from = fc.batches, fc.from
		defer func() { t.from = 0 }()
	}
	dp := t.dp
	if dp != nil {
		dp.planBuckets(t.Model.Net, t.trainable)
		defer func() { t.Model.Net.AfterBackwardStep = nil }()
	}
	err := pipe.epochBatches(epoch, p.Batch, func(b int, buf *batchBuf) error {
		x, y := &buf.x, buf.y[:buf.n]
		if fc != nil {
			x = fc.input(x)
		}
		first := b - b%k
		last := min(first+k, nb)
		if b == first {
			nn.ZeroGrad(params)
			t.micro = t.micro[:0]
		}
		groupN := min(n, last*bs) - first*bs
		if dp != nil && dp.overlap && b+1 == last {
			// The group's last backward pass: reduce each bucket as soon
			// as its layers are done.
			t.Model.Net.AfterBackwardStep = dp.afterBackwardStep
			t.grads = dp
		}
		var loss float64
		var c int
		if len(y) > 0 { // a rank's shard of a short last batch may be empty
			loss, c = t.forwardBackward(x, y, buf.targets(), float64(len(y))/float64(groupN), b-first)
		}
		t.Model.Net.AfterBackwardStep, t.grads = nil, nil
		t.micro = append(t.micro, microBatch{loss: loss, n: len(y), correct: c})
		if b+1 < last {
			return nil
		}
		if dp != nil {
			if err := dp.finishGradients(); err != nil {
				return err
			}
		}
		lr := t.LR(int(t.Step)) * t.lrScale()
		penalty := t.addPenalty(t.trainable)
		var sum float64
		var seen, correct int
		for _, m := range t.micro {
			sum += (m.loss + penalty) * float64(m.n)
			seen += m.n
			correct += m.correct
		}
		if dp != nil {
			var err error
			if sum, correct, seen, err = dp.sumStats(sum, correct, seen); err != nil {
				return err
			}
		}
		if err := t.checkDiverged(epoch, lr, sum/float64(seen)); err != nil {
			return err
		}
		measured := t.mon.due(t.Step + 1)
		var gradNorm float64
		var ratios []float64
		if measured {
			gradNorm = t.mon.beforeStep(t.trainable)
		}
		t.clipAndStep(lr)
		if measured {
			ratios = t.mon.afterStep()
		}
		if dp != nil && t.checksumDue() {
			if err := t.compareChecksums(); err != nil {
				return err
			}
		}
		p.LossSum += sum
		p.Correct += correct
		p.Seen += seen
		p.LR = lr
		p.Batch = b + 1
		for _, a := range t.hooks {
			a.Hook.StepEnd(t, StepStats{Epoch: epoch, Batch: b, Batches: nb, N: seen, Loss: sum / float64(seen), Correct: correct, LR: lr,
				Monitored: measured, GradNorm: gradNorm, UpdateRatios: ratios})
		}
		if t.abort != nil {
			return t.abort
		}
		if b+1 < nb && t.pause() {
			if err := t.averageBuffers(); err != nil {
				return err
			}
			return ErrPaused
		}
		return nil
	})
	p.Seconds += time.Since(start).Seconds()
	if err != nil {
		return err
	}
	if err := t.averageBuffers(); err != nil {
		return err
	}
	if name := firstNonFinite(params); name != "" {
		return &Diverged{Msg: fmt.Sprintf("epoch %d, step %d: parameter %s holds NaN or Inf: training diverged; the learning rate (%g) is probably too high, or the inputs are not normalized", epoch+1, t.Step, name, p.LR)}
	}
	t.Epoch++
	m := &EpochMetrics{
		Epoch: t.Epoch, Step: t.Step, LR: p.LR,
		TrainLoss: p.LossSum / float64(p.Seen), TrainAcc: float64(p.Correct) / float64(p.Seen),
		ImagesPerSecond: float64(p.Seen) / p.Seconds, EpochSeconds: p.Seconds,
	}
	t.pos = epochPos{}
	t.last = m
	for _, a := range t.hooks {
		if err := a.Hook.EpochEnd(t, m); err != nil {
			return err
		}
	}
	return nil
}

// checkDiverged stops the run before a step on a non-finite loss (the
// step's mean loss, over all ranks) or gradient, naming the step and the
// first parameter (in model order) whose gradient is not finite.
func (t *Trainer) checkDiverged(epoch int, lr, loss float64) error {
	var bad []string
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		bad = append(bad, fmt.Sprintf("the loss is %v", loss))
	}
	if name := firstNonFiniteGrad(t.Model.Params()); name != "" {
		bad = append(bad, fmt.Sprintf("the gradient of %s (the first parameter with one) holds NaN or Inf", name))
	}
	if len(bad) == 0 {
		return nil
	}
	return &Diverged{Msg: fmt.Sprintf("epoch %d, step %d: %s: training diverged and stopped before this step; the learning rate (%g) is probably too high (lower optimizer.lr or set optimizer.clip_grad_norm), or the inputs are not normalized; the checkpoints already written are intact",
		epoch+1, t.Step+1, strings.Join(bad, " and "), lr)}
}

// firstNonFiniteGrad returns the name of the first parameter whose gradient
// holds a NaN or an infinity, or "".
func firstNonFiniteGrad(params []*nn.Param) string {
	for _, p := range params {
		if !tensor.AllFinite(p.Grad.Data) {
			return p.Name
		}
	}
	return ""
}

// firstNonFinite returns the name of the first parameter holding a NaN or
// an infinity, or "".
func firstNonFinite(params []*nn.Param) string {
	for _, p := range params {
		if !tensor.AllFinite(p.Value.Data) {
			return p.Name
		}
	}
	return ""
}
