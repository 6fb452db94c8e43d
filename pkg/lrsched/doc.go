// Package lrsched holds learning-rate schedules as pure functions of the
// global step: the same step always gives the same rate, so resuming a run
// needs only the step counter and the schedule can be plotted before
// training.
//
// Spec is the config's "schedule" section, defined here once (keys,
// defaults, ranges, allowed names, Validate); Config embeds it with the
// numbers only a run knows, so the engine passes the resolved section as
// is, and PlateauConfig embeds PlateauSpec in the same way. Spec.Validate
// checks a resolved section as the config does; New and NewPlateau check
// their inputs in their own terms, where zero selects a default.
//
// # Notation
//
// s is the global step (0-based), spe = Config.StepsPerEpoch, base =
// Config.BaseLR, total = Config.TotalSteps, W the warmup length in steps
// (Config.WarmupSteps, or round(Config.WarmupEpochs·spe)). lr(s) is the rate
// optimizer step s uses. "Stepped per epoch" below means torch's
// scheduler.step() called after the last batch of each epoch, "per step"
// after every batch; with Config.Interval "epoch" a schedule changes only at
// epoch boundaries, with "step" at every step.
//
// # Clocks
//
// Schedules shaped over the length of the run (cosine, linear, poly,
// onecycle) run on the post-warmup clock: t = max(s−W, 0) steps (or
// ⌊max(s−W, 0)/spe⌋ epochs with Interval "epoch") over a horizon T =
// max(total−W, 1) steps (or that many steps in epochs, a fraction if needed);
// during the warmup they hold their t = 0 value, and past T (s ≥ total, which
// a run never uses) they hold their final value. The other schedules (step,
// multistep, exponential, cosine_restarts, invsqrt) run on the absolute
// clock, epoch = ⌊s/spe⌋, and a warmup overlaps their first steps.
//
// # Schedules
//
//	constant         lr = base.
//	step             lr = base·γ^⌊epoch/step_size⌋ (StepSize, Gamma). torch StepLR stepped per epoch.
//	multistep        lr = base·γ^#{m ∈ milestones : m ≤ epoch} (Milestones in epochs, Gamma).
//	                 torch MultiStepLR stepped per epoch.
//	exponential      Interval epoch (default): lr = base·γ^epoch, torch ExponentialLR(γ) stepped per
//	                 epoch. Interval step: lr = base·γ^(s/spe), the same per-epoch decay applied
//	                 smoothly = torch ExponentialLR(γ^(1/spe)) stepped per step. (Gamma)
//	cosine           lr = min_lr + (base−min_lr)·(1+cos(π·t/T))/2 (MinLR), Interval step (default;
//	                 torch CosineAnnealingLR(T_max=total) stepped per step) or epoch (torch
//	                 CosineAnnealingLR(T_max=epochs) stepped per epoch). This is torch's closed form;
//	                 torch's default chainable (recursive) form equals it up to round-off within
//	                 T_max (largest difference seen 2e-14 relative) but keeps oscillating past T_max.
//	cosine_restarts  SGDR, torch CosineAnnealingWarmRestarts(T_0, T_mult, eta_min) (T0 in epochs,
//	                 TMult, MinLR): lr = min_lr + (base−min_lr)·(1+cos(π·T_cur/T_i))/2 where cycle i
//	                 lasts T_i = T0·TMult^i epochs and T_cur is the time since its start. Interval
//	                 step (default) uses the fractional epoch s/spe, as torch's
//	                 scheduler.step(epoch + i/iters) called before batch i; epoch uses ⌊s/spe⌋ (torch
//	                 step() per epoch). Cycle boundaries are found by exact summation: torch's
//	                 step(epoch) takes a logarithm that can misplace a restart by rounding (T_0=1,
//	                 T_mult=10, epoch 111 gives eta_min instead of a restart).
//	linear           lr = base·(sf + (ef−sf)·min(t, n)/n) (StartFactor sf, 0 means 1; EndFactor ef,
//	                 default 0; TotalIters n, 0 means T): torch LinearLR(sf, ef, total_iters=n)
//	                 stepped per step (default) or per epoch. The defaults decay linearly to 0 over
//	                 the run.
//	poly             lr = min_lr + (base−min_lr)·(1 − min(t, n)/n)^p (Power p, 0 means 1; TotalIters n,
//	                 0 means T; MinLR): torch PolynomialLR(total_iters=n, power=p) when min_lr = 0,
//	                 stepped per step (default) or per epoch.
//	invsqrt          lr = base·sqrt(w)/sqrt(max(s, w)) (InvSqrtSteps w, 0 means W): constant up to step
//	                 w, then ∝ 1/sqrt(s), as fairseq's inverse_sqrt and T5 (with a warmup of w steps,
//	                 exactly fairseq's). No torch equivalent. Per step only.
//	onecycle         torch OneCycleLR(max_lr, total_steps=T, pct_start, anneal_strategy, div_factor,
//	                 final_div_factor, three_phase) stepped per step (MaxLR, 0 means base; PctStart,
//	                 0 means 0.3; AnnealStrategy "cos"/"linear"; DivFactor, 0 means 25;
//	                 FinalDivFactor, 0 means 1e4; ThreePhase): from max_lr/div_factor up to max_lr
//	                 until step pct_start·T−1, then down to max_lr/(div_factor·final_div_factor) at
//	                 step T−1 (three-phase: back to max_lr/div_factor at 2·pct_start·T−2 first).
//	                 Momentum cycling is not a learning-rate matter and is left to the optimizer.
//	                 Per step only.
//
// # Warmup
//
// A warmup of W steps (Config.WarmupSteps or Config.WarmupEpochs) composes
// with every schedule by multiplication:
//
//	lr(s) = inner(s) · (a + (1−a)·(s+1)/W)   for s < W
//	lr(s) = inner(s)                         for s ≥ W
//
// with a = Config.WarmupStartFactor (default 0, giving (s+1)/W: the first
// step already trains at base/W and step W−1 reaches the full rate). In
// torch terms the factor is LinearLR(start_factor=a+(1−a)/W, end_factor=1,
// total_iters=W−1) stepped per step, combined with SequentialLR(milestones=
// [W]) for the post-warmup-clock schedules (whose inner(s) is their t = 0
// value during the warmup) and with ChainedScheduler for the absolute-clock
// ones; the golden tests check both.
//
// # Reduce on plateau
//
// Plateau (torch ReduceLROnPlateau) depends on observed metrics, so it is a
// small state machine rather than a Schedule: call Observe once per
// evaluation and multiply the schedule's rate by the returned scale; State
// and SetState carry it through checkpoints.
//
// # Batch-size scaling
//
// ScaleLR adapts a learning rate to a different batch size by the linear or
// square-root rule.
package lrsched
