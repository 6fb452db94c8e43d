package curves

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Verdict names: the stable identifiers of Diagnose's findings.
const (
	Diverged       = "diverged"
	Overfitting    = "overfitting"
	Underfitting   = "underfitting"
	SlowLayers     = "slow-layers"
	FastLayers     = "fast-layers"
	FlatStart      = "flat-start"
	Spikes         = "spikes"
	Noisy          = "noisy"
	StillImproving = "still-improving"
	Healthy        = "healthy"
	NoData         = "no-data"
)

// VerdictOrder is the order of the verdicts in a Diagnosis, the most
// urgent first; the first one found is the headline. Healthy is given
// only when no other is, NoData only for a run that recorded nothing.
var VerdictOrder = []string{Diverged, Overfitting, Underfitting, SlowLayers, FastLayers, FlatStart, Spikes, Noisy, StillImproving, Healthy}

// Thresholds of the rules of Diagnose. "The start" of a run is its first
// loss: step 1's loss in steps.csv (the loss at init, before any update),
// else epoch 1's train_loss. "The end" is the median of the last
// EndFraction of the step losses, else the last epoch's train_loss.
// "The last third" is the last ⌈n/3⌉ epochs (at least 2). A "fitted"
// change is the rise of the least-squares line through a window, from
// its first to its last point, relative to the window's mean.
const (
	// EndFraction: the end of a run is the median of its last 5% of step
	// losses (at least one).
	EndFraction = 0.05

	// DivergedEndFactor: diverged when the end is above 1.02× the start
	// (the loss ended higher than it began), or when any loss in
	// metrics.csv or steps.csv is NaN or infinite.
	DivergedEndFactor = 1.02
	// DivergedRiseFactor, DivergedMinRise: diverged when the last
	// epoch's train_loss is above 1.2× the lowest train_loss of the
	// epochs before it (without two epochs: the end above 1.2× the lowest
	// point of the step-loss trend before the last EndFraction of the
	// steps) and at least 0.05× the start above it.
	DivergedRiseFactor = 1.2
	DivergedMinRise    = 0.05

	// SpikeFactor, SpikeWindow, SpikeMinRise: a spike is a step loss above
	// 4× the median of the 50 step losses before it that is also at least
	// 0.1× the start above that median (so that a jump from 0.001 to 0.005
	// late in training is no spike). One spike gives the verdict.
	SpikeFactor  = 4.0
	SpikeWindow  = 50
	SpikeMinRise = 0.1

	// NoisySpread, NoisyFloor, NoisyMinSteps: noisy when, over the last
	// third of the steps, the median of |loss − trend| / max(trend, 0.05×
	// the start) is above 0.2 (the trend is the centered moving median,
	// see TrendFraction; the floor keeps the scatter of losses near 0 late
	// in a run that fits its data from counting); needs 60 steps.
	NoisySpread   = 0.2
	NoisyFloor    = 0.05
	NoisyMinSteps = 60

	// FlatStartFraction, FlatStartDrop, FlatThenDrop, FlatStartMinSteps:
	// a flat start is a trend of the step loss (with 100 steps or more;
	// else the epochs' train_loss, with 10 epochs or more) that falls by
	// less than 5% over the first 10% of training and then by more than
	// 20% of its value there by the end.
	FlatStartFraction = 0.10
	FlatStartDrop     = 0.05
	FlatThenDrop      = 0.20
	FlatStartMinSteps = 100

	// OverfitValRise, OverfitTrainFall: overfitting when val_loss at the
	// last epoch is more than 10% above its minimum (at an earlier epoch)
	// while train_loss fell by more than 5% since that epoch, to below that
	// minimum (the model fits its training data better than it ever fit
	// the validation data; a val_loss that rises while train_loss is still
	// above it is noise or a high rate, not overfitting).
	OverfitValRise   = 0.10
	OverfitTrainFall = 0.05
	// OverfitGap, OverfitGapGrowth, OverfitLargeGap: overfitting when
	// train_acc − val_acc is above 0.10 at each of the last two epochs and
	// grew by more than 0.02 (fitted) over the last third, or is above
	// 0.15 at each of the last two epochs however it moves.
	OverfitGap       = 0.10
	OverfitGapGrowth = 0.02
	OverfitLargeGap  = 0.15

	// UnderfitAcc, UnderfitLoss: underfitting when train_acc at the last
	// epoch is below 0.70 (without a train_acc column: the end above 0.5×
	// the start), train_acc − val_acc is below OverfitGap, and the run
	// neither diverged nor is still improving.
	UnderfitAcc  = 0.70
	UnderfitLoss = 0.5
	// StuckLoss: an underfitting run whose end is above 0.95× its start
	// barely left its initial loss; the advice then adds init checks.
	StuckLoss = 0.95

	// ImprovingDrop: still improving when, over the last third, the fitted
	// train_loss and val_loss (when there is a validation split) both fell
	// by more than 3%.
	ImprovingDrop = 0.03

	// MinEpochs: the rules on trends over epochs (overfitting, still
	// improving, the plateau of underfitting) need 3 epochs.
	MinEpochs = 3
)

// Verdict is one finding of Diagnose.
type Verdict struct {
	// Name is a stable identifier (Diverged, Overfitting, ...).
	Name string
	// Finding says what was seen, with the numbers that triggered it.
	Finding string
	// Advice says what to try, naming config keys.
	Advice string
}

// String returns "name: finding → advice".
func (v Verdict) String() string { return v.Name + ": " + v.Finding + " → " + v.Advice }

// Diagnosis is what Diagnose found in a run: its verdicts in VerdictOrder,
// never none.
type Diagnosis struct {
	Run      string
	Verdicts []Verdict
}

// Headline returns the most urgent verdict, the first.
func (d Diagnosis) Headline() Verdict { return d.Verdicts[0] }

// Has reports whether the diagnosis holds the verdict named name.
func (d Diagnosis) Has(name string) bool {
	return slices.ContainsFunc(d.Verdicts, func(v Verdict) bool { return v.Name == name })
}

// Names returns the verdicts' names, in order.
func (d Diagnosis) Names() []string {
	names := make([]string, len(d.Verdicts))
	for i, v := range d.Verdicts {
		names[i] = v.Name
	}
	return names
}

// Advice texts, shared where verdicts share a cause.
const (
	adviceRateTooHigh  = "rate too high: lower optimizer.lr 3–10×, or add warmup (schedule.warmup_epochs) or optimizer.clip_grad_norm"
	adviceNoisy        = "rate too high or batch too small: lower optimizer.lr, raise train.batch_size (or train.accumulate), or decay the rate (schedule.type)"
	adviceFlatStart    = "bad init or rate too low at the start: check `nettrain sanity`, model.init and model.head_init_scale, or a shorter, higher warmup (schedule.warmup_epochs, schedule.warmup_start_factor)"
	adviceUnderfit     = "bigger model (model.hidden, model.arch), train longer (train.epochs) or a higher rate (optimizer.lr)"
	adviceStuck        = "; the loss barely moved from its start: check `nettrain sanity`, model.init and optimizer.lr"
	adviceImproving    = "train longer: raise train.epochs"
	adviceSlow         = "these layers hardly learn (about 1e-3 is healthy): raise optimizer.lr, or their lr_scale through optimizer.groups"
	adviceFast         = "the rate is too high for these layers (about 1e-3 is healthy): lower optimizer.lr, add warmup, or lower their lr_scale through optimizer.groups"
	adviceHealthy      = "nothing to fix: converged, and train and val agree"
	adviceHealthyNoVal = "nothing to fix: converged (without a validation split overfitting cannot be seen: set data.val_split)"
)

// curves are the series the rules read.
type curves struct {
	n                  int       // epochs
	epoch              []float64 // the epoch column
	trainLoss, valLoss []float64 // nil when absent or never measured
	trainAcc, valAcc   []float64
	m                  int       // steps
	loss, step, at     []float64 // step loss, step number, fractional epoch
	stepEpoch, batch   []float64 // the epoch and batch columns of steps.csv
	trend              []float64 // MovingMedian of loss
	start, end         float64
}

func newCurves(r *Run) *curves {
	c := &curves{n: r.Epochs.Rows(), m: r.Steps.Rows()}
	col := func(t *Table, name string) []float64 { // nil when never measured
		v := t.Column(name)
		if slices.ContainsFunc(v, func(x float64) bool { return !math.IsNaN(x) }) {
			return v
		}
		return nil
	}
	c.epoch = r.Epochs.Column("epoch")
	c.trainLoss = r.Epochs.Column("train_loss")
	c.valLoss = col(r.Epochs, "val_loss")
	c.trainAcc = col(r.Epochs, "train_acc")
	c.valAcc = col(r.Epochs, "val_acc")
	c.start, c.end = math.NaN(), math.NaN()
	if c.m > 0 {
		c.loss, c.step = r.Steps.Column("loss"), r.Steps.Column("step")
		c.at = StepEpochs(r.Steps)
		c.stepEpoch, c.batch = r.Steps.Column("epoch"), r.Steps.Column("batch")
		c.trend = MovingMedian(c.loss, trendWindow(c.m))
		c.start = c.loss[0]
		c.end = median(c.loss[c.m-c.endWindow():])
	} else if c.n > 0 {
		c.start = c.trainLoss[0]
		c.end, _ = lastFinite(c.trainLoss)
	}
	return c
}

// endWindow is the number of last steps whose median is the end.
func (c *curves) endWindow() int { return max(1, int(math.Round(EndFraction*float64(c.m)))) }

// lastThird is the number of epochs of the last third (at least 2).
func (c *curves) lastThird() int { return min(c.n, max(2, (c.n+2)/3)) }

// StepEpochs returns the position of each row of steps.csv in fractional
// epochs, the x axis the epoch rows share: epoch − 1 + batch/B, B being
// the largest batch number in the file (the batches of a full epoch).
func StepEpochs(steps *Table) []float64 {
	epoch, batch := steps.Column("epoch"), steps.Column("batch")
	nb := 1.0
	for _, b := range batch {
		nb = max(nb, b)
	}
	at := make([]float64, len(epoch))
	for i := range epoch {
		at[i] = epoch[i] - 1 + batch[i]/nb
	}
	return at
}

// Diagnose reads a run's curves with the rules whose thresholds are the
// constants above and returns its verdicts in VerdictOrder: diverged
// (non-finite loss, loss ending above its start or well above its
// lowest), overfitting (val_loss rising from its minimum as train_loss
// falls, or a large and growing accuracy gap), underfitting (low train
// accuracy, small gap, no longer improving), flat-start (no progress over
// the first 10% of training, then a fall), spikes (step losses far above
// their running median), noisy (step losses scattered around their trend
// late in training), still-improving (train and val loss still falling
// over the last third); healthy when none holds, no-data for a run that
// recorded nothing.
func Diagnose(r *Run) Diagnosis {
	d := Diagnosis{Run: r.Name}
	if r.Empty() {
		d.Verdicts = []Verdict{{NoData, "no epoch and no step recorded: the run stopped before its first epoch ended (diverged, failed or killed; see its log)",
			"run it again and watch the first steps: `nettrain sanity`, a lower optimizer.lr"}}
		return d
	}
	c := newCurves(r)
	improving, improvingOK := c.stillImproving()
	div := c.diverged()
	for _, v := range []struct {
		v  Verdict
		ok bool
	}{
		div,
		c.overfitting(),
		c.underfitting(improvingOK || div.ok),
		ratioRule(r, true),
		ratioRule(r, false),
		c.flatStart(),
		c.spikes(),
		c.noisy(),
		{improving, improvingOK},
	} {
		if v.ok {
			d.Verdicts = append(d.Verdicts, v.v)
		}
	}
	if len(d.Verdicts) == 0 {
		d.Verdicts = []Verdict{c.healthy()}
	}
	return d
}

// ratioRule finds the weight tensors whose update ratio, at the run's peak
// rate (as the plot draws it and the training monitor judges it), has its
// median over the run below the band's low end (slow: they hardly learn,
// the rate is too low for them) or above its high end (fast).
func ratioRule(r *Run, slow bool) result {
	if r.Steps == nil {
		return result{}
	}
	lo, hi := r.RatioLow, r.RatioHigh
	if lo <= 0 || hi <= 0 {
		lo, hi = DefaultRatioLow, DefaultRatioHigh
	}
	scale := rateScale(r.Steps)
	var hits []string
	for _, name := range r.RatioColumns() {
		var v []float64
		for k, x := range r.Steps.Column(RatioPrefix + name) {
			if y := x * scale[k]; isFinite(y) {
				v = append(v, y)
			}
		}
		if len(v) == 0 {
			continue
		}
		m := median(v)
		if (slow && m < lo) || (!slow && m > hi) {
			hits = append(hits, fmt.Sprintf("%s %.2g", name, m))
		}
	}
	if len(hits) == 0 {
		return result{}
	}
	if slow {
		return found(SlowLayers, fmt.Sprintf("the median update ratio at the peak rate is below %g for %s", lo, strings.Join(hits, ", ")), adviceSlow)
	}
	return found(FastLayers, fmt.Sprintf("the median update ratio at the peak rate is above %g for %s", hi, strings.Join(hits, ", ")), adviceFast)
}

// result is a rule's outcome.
type result = struct {
	v  Verdict
	ok bool
}

func found(name, finding, advice string) result { return result{Verdict{name, finding, advice}, true} }

// pct formats a fraction as a percentage: 0.384 → "38%", 0.031 → "3.1%".
func pct(x float64) string {
	x *= 100
	if a := math.Abs(x); a < 10 || (a > 99 && a < 100) {
		return fmt.Sprintf("%.1f%%", x)
	}
	return fmt.Sprintf("%.0f%%", x)
}

// num formats a loss or an accuracy with 3 significant digits.
func num(x float64) string { return fmt.Sprintf("%.3g", x) }

// epochAt names epoch row i.
func (c *curves) epochAt(i int) string { return fmt.Sprintf("%g", c.epoch[i]) }

// stepAt names step row i: "step 37 (epoch 2, batch 7)".
func (c *curves) stepAt(i int) string {
	return fmt.Sprintf("step %g (epoch %g, batch %g)", c.step[i], c.stepEpoch[i], c.batch[i])
}

func (c *curves) diverged() result {
	var why []string
	if i := slices.IndexFunc(c.loss, func(x float64) bool { return !isFinite(x) }); i >= 0 {
		why = append(why, fmt.Sprintf("the loss became %v at %s", c.loss[i], c.stepAt(i)))
	} else {
		for _, s := range []struct {
			name string
			v    []float64
		}{{"train_loss", c.trainLoss}, {"val_loss", c.valLoss}} {
			if i := slices.IndexFunc(s.v, func(x float64) bool { return math.IsInf(x, 0) || (math.IsNaN(x) && s.name == "train_loss") }); i >= 0 {
				why = append(why, fmt.Sprintf("%s is %v at epoch %s", s.name, s.v[i], c.epochAt(i)))
				break
			}
		}
	}
	if len(why) == 0 && c.end > DivergedEndFactor*c.start {
		why = append(why, fmt.Sprintf("the train loss ended at %s, %s above its start %s", num(c.end), pct(c.end/c.start-1), num(c.start)))
	}
	if len(why) == 0 {
		low, end, where := c.lowest()
		if where != "" && end > DivergedRiseFactor*low && end-low >= DivergedMinRise*c.start {
			why = append(why, fmt.Sprintf("the train loss rose %s from its lowest %s (%s) to %s at the end", pct(end/low-1), num(low), where, num(end)))
		}
	}
	if len(why) == 0 {
		return result{}
	}
	return found(Diverged, strings.Join(why, "; "), adviceRateTooHigh)
}

// lowest returns the lowest train loss before the end, the loss at the
// end and where the lowest was: over the epochs' train_loss with two
// epochs or more, else over the step-loss trend ("" when there is too
// little to tell).
func (c *curves) lowest() (low, end float64, where string) {
	if c.n >= 2 {
		i := argMin(c.trainLoss[:c.n-1])
		if i < 0 {
			return 0, 0, ""
		}
		return c.trainLoss[i], c.trainLoss[c.n-1], "epoch " + c.epochAt(i)
	}
	k := c.m - c.endWindow()
	if c.m == 0 || k < 1 {
		return 0, 0, ""
	}
	i := argMin(c.trend[:k])
	if i < 0 {
		return 0, 0, ""
	}
	return c.trend[i], c.end, c.stepAt(i)
}

func (c *curves) spikes() result {
	if c.m < 2 || !isFinite(c.start) {
		return result{}
	}
	before := windowMedian(c.loss, SpikeWindow, -1)
	count, worst := 0, -1
	for i := 1; i < c.m; i++ {
		x, med := c.loss[i], before[i]
		if !isFinite(x) || !(med > 0) || x <= SpikeFactor*med || x-med < SpikeMinRise*c.start {
			continue
		}
		count++
		if worst < 0 || x/med > c.loss[worst]/before[worst] {
			worst = i
		}
	}
	if count == 0 {
		return result{}
	}
	what := "a step loss jumped"
	if count > 1 {
		what = fmt.Sprintf("%d step losses jumped", count)
	}
	return found(Spikes, fmt.Sprintf("%s above %g× the median of the %d steps before, the largest %.0f× (%s) at %s",
		what, SpikeFactor, SpikeWindow, c.loss[worst]/before[worst], num(c.loss[worst]), c.stepAt(worst)), adviceRateTooHigh)
}

// spread returns the median relative deviation of the step losses from
// their trend over the last third of the steps (relative to the trend,
// or to NoisyFloor × the start when the trend is below that).
func (c *curves) spread() float64 {
	var dev []float64
	floor := NoisyFloor * c.start
	for i := 2 * c.m / 3; i < c.m; i++ {
		if t := c.trend[i]; isFinite(t) && isFinite(c.loss[i]) && max(t, floor) > 0 {
			dev = append(dev, math.Abs(c.loss[i]-t)/max(t, floor))
		}
	}
	return median(dev)
}

func (c *curves) noisy() result {
	if c.m < NoisyMinSteps {
		return result{}
	}
	if s := c.spread(); s > NoisySpread {
		return found(Noisy, fmt.Sprintf("over the last third of the steps the step losses scatter %s around their trend (median relative deviation; above %s is noisy)",
			pct(s), pct(NoisySpread)), adviceNoisy)
	}
	return result{}
}

func (c *curves) flatStart() result {
	var v []float64
	unit := "steps"
	switch {
	case c.m >= FlatStartMinSteps:
		v = c.trend
	case c.n >= 10:
		v, unit = c.trainLoss, "epochs"
	default:
		return result{}
	}
	k := max(1, int(FlatStartFraction*float64(len(v))))
	t0, tk := v[0], v[k]
	tEnd, _ := lastFinite(v)
	if !(t0 > 0) || !(tk > 0) {
		return result{}
	}
	drop, later := (t0-tk)/t0, (tk-tEnd)/tk
	if drop >= FlatStartDrop || later <= FlatThenDrop {
		return result{}
	}
	return found(FlatStart, fmt.Sprintf("the train loss fell %s over the first %s of training (%d %s, %s → %s), then %s by the end",
		pct(drop), pct(FlatStartFraction), k, unit, num(t0), num(tk), pct(later)), adviceFlatStart)
}

func (c *curves) overfitting() result {
	if c.n < MinEpochs || c.valLoss == nil {
		return result{}
	}
	if i := argMin(c.valLoss); i >= 0 && i < c.n-1 {
		vMin := c.valLoss[i]
		vEnd, _ := lastFinite(c.valLoss)
		tAt, tEnd := c.trainLoss[i], c.trainLoss[c.n-1]
		rise, fall := (vEnd-vMin)/vMin, (tAt-tEnd)/tAt
		if vMin > 0 && rise > OverfitValRise && tAt > 0 && fall > OverfitTrainFall && tEnd < vMin {
			return found(Overfitting, fmt.Sprintf("val_loss rose %s from its minimum %s at epoch %s to %s while train_loss fell %s (%s → %s)",
				pct(rise), num(vMin), c.epochAt(i), num(vEnd), pct(fall), num(tAt), num(tEnd)),
				"more regularization (regularization.l2, model.dropout, augment) or more data; or stop early: the best val_loss was at epoch "+
					c.epochAt(i)+" (train.early_stopping)")
		}
	}
	if c.trainAcc == nil || c.valAcc == nil {
		return result{}
	}
	gap := make([]float64, c.n)
	for i := range gap {
		gap[i] = c.trainAcc[i] - c.valAcc[i]
	}
	k := c.lastThird()
	gEnd := gap[c.n-1]
	growth, _ := fitLine(gap[c.n-k:])
	gLow := min(gEnd, gap[c.n-2])
	if (gLow > OverfitGap && growth > OverfitGapGrowth) || gLow > OverfitLargeGap {
		best := argMax(c.valAcc)
		finding := fmt.Sprintf("train_acc − val_acc is %.3f at the end (%.3f vs %.3f)", gEnd, c.trainAcc[c.n-1], c.valAcc[c.n-1])
		if growth > OverfitGapGrowth {
			finding += fmt.Sprintf(" and grew %.3f over the last %d epochs", growth, k)
		} else {
			finding += fmt.Sprintf(", above %.2f for the last two epochs", OverfitLargeGap)
		}
		return found(Overfitting, finding,
			"more regularization (regularization.l2, model.dropout, augment) or more data; or stop early: the best val_acc was at epoch "+
				c.epochAt(best)+" (train.early_stopping)")
	}
	return result{}
}

// stillImproving returns the still-improving verdict when it holds.
func (c *curves) stillImproving() (Verdict, bool) {
	if c.n < MinEpochs {
		return Verdict{}, false
	}
	k := c.lastThird()
	tc := fittedChange(c.trainLoss[c.n-k:])
	if tc >= -ImprovingDrop {
		return Verdict{}, false
	}
	finding := fmt.Sprintf("over the last %d epochs the fitted train_loss fell %s", k, pct(-tc))
	if c.valLoss != nil {
		vc := fittedChange(c.valLoss[c.n-k:])
		if vc >= -ImprovingDrop {
			return Verdict{}, false
		}
		finding += fmt.Sprintf(" and val_loss %s", pct(-vc))
	}
	return Verdict{StillImproving, finding, adviceImproving}, true
}

// underfitting returns the underfitting verdict; skip is true when the
// run is still improving or diverged (the low accuracy is then explained).
func (c *curves) underfitting(skip bool) result {
	if c.n == 0 || skip {
		return result{}
	}
	var low string
	if c.trainAcc != nil {
		acc, _ := lastFinite(c.trainAcc)
		if !(acc < UnderfitAcc) {
			return result{}
		}
		low = "train_acc " + fmt.Sprintf("%.3f", acc)
		if c.valAcc != nil {
			vacc, _ := lastFinite(c.valAcc)
			if acc-vacc >= OverfitGap {
				return result{}
			}
			low += fmt.Sprintf(" and val_acc %.3f (gap %.3f)", vacc, acc-vacc)
		}
		low += " at the end"
	} else {
		if !(c.end > UnderfitLoss*c.start) {
			return result{}
		}
		low = fmt.Sprintf("the train loss ended at %s, %s of its start %s", num(c.end), pct(c.end/c.start), num(c.start))
	}
	if c.n >= MinEpochs {
		k := c.lastThird()
		low += fmt.Sprintf(", no longer improving (fitted train_loss %+.1f%% over the last %d epochs)", 100*fittedChange(c.trainLoss[c.n-k:]), k)
	}
	advice := adviceUnderfit
	if c.end > StuckLoss*c.start && c.end <= DivergedEndFactor*c.start {
		low += fmt.Sprintf("; the train loss ended at %s of its start %s", pct(c.end/c.start), num(c.start))
		advice += adviceStuck
	}
	return found(Underfitting, low, advice)
}

func (c *curves) healthy() Verdict {
	if c.n == 0 {
		return Verdict{Healthy, fmt.Sprintf("no epoch finished; the %d step losses show none of the problems (end %s, start %s)", c.m, num(c.end), num(c.start)), adviceHealthy}
	}
	f := fmt.Sprintf("train_loss ends at %s", num(c.trainLoss[c.n-1]))
	k := c.lastThird()
	if c.n >= MinEpochs {
		f += fmt.Sprintf(" (fitted %+.1f%% over the last %d epochs)", 100*fittedChange(c.trainLoss[c.n-k:]), k)
	}
	if c.valLoss != nil {
		v, _ := lastFinite(c.valLoss)
		f += ", val_loss at " + num(v)
		if c.n >= MinEpochs {
			f += fmt.Sprintf(" (%+.1f%%)", 100*fittedChange(c.valLoss[c.n-k:]))
		}
	}
	if c.trainAcc != nil && c.valAcc != nil {
		a, v := c.trainAcc[c.n-1], c.valAcc[c.n-1]
		f += fmt.Sprintf("; train_acc %.3f, val_acc %.3f (gap %.3f)", a, v, a-v)
	}
	if c.valLoss == nil {
		return Verdict{Healthy, f, adviceHealthyNoVal}
	}
	return Verdict{Healthy, f, adviceHealthy}
}
