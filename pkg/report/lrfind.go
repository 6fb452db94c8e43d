package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/optim"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// The learning-rate range test (Smith 2017, as Lightning's and fastai's
// lr_find run it) and the lecture's check of a few fixed rates. Both train
// throw-away models from the config's init (the same seed, so the same
// weights a run starts from) on the config's batches; nothing is written
// to a run folder and no model the user has is changed.

// LRRules are the names of the rules that turn a range test into a
// suggested rate, the default first:
//
//	valley   after fastai's: the point 2/3 of the way down the longest
//	         falling stretch of the smoothed loss
//	steep    Lightning's: the steepest descent of the smoothed loss
//	minimum  the rate at the lowest smoothed loss, divided by 10
var LRRules = []string{"valley", "steep", "minimum"}

// DefaultCheckRates are the rates of the lecture's check: "good values to
// try: 1e-1, 1e-2, 1e-3, 1e-4".
var DefaultCheckRates = []float64{1e-1, 1e-2, 1e-3, 1e-4}

// LRFindOptions set up LRFind; DefaultLRFindOptions gives the defaults
// noted.
type LRFindOptions struct {
	// ConfigPath names the config in messages.
	ConfigPath string
	// Start and End are the first and last rate of the sweep (1e-7, 10);
	// Steps its number of optimizer steps (100). The rate of step i (0-based)
	// is Start·(End/Start)^(i/(Steps−1)).
	Start, End float64
	Steps      int
	// Beta is the smoothing of the loss: an exponential moving average with
	// bias correction (0.98).
	Beta float64
	// StopFactor ends the sweep once the smoothed loss exceeds this multiple
	// of its best (4).
	StopFactor float64
	// Rule picks the suggestion, one of LRRules ("valley").
	Rule string
	// CheckRates are the rates of the lecture's check (DefaultCheckRates);
	// CheckSteps its optimizer steps per rate (100); CheckWeightDecay its
	// small weight decay, PyTorch's weight_decay (1e-4: the L2 penalty
	// regularization.l2 = weight_decay/2 replaces the config's). NoCheck
	// skips it.
	CheckRates       []float64
	CheckSteps       int
	CheckWeightDecay float64
	NoCheck          bool
	// Pool is the thread budget (nil: the calling goroutine).
	Pool *tensor.Pool
}

// DefaultLRFindOptions returns the defaults: 100 steps from 1e-7 to 10,
// beta 0.98, stop at 4× the best, rule valley, the check of
// DefaultCheckRates for 100 steps each at weight decay 1e-4.
func DefaultLRFindOptions() LRFindOptions {
	return LRFindOptions{
		Start: 1e-7, End: 10, Steps: 100, Beta: 0.98, StopFactor: 4, Rule: LRRules[0],
		CheckRates: DefaultCheckRates, CheckSteps: 100, CheckWeightDecay: 1e-4,
	}
}

// check returns the first bad option as an *InputError naming its flag.
func (o *LRFindOptions) check() error {
	fin := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !fin(o.Start) || o.Start <= 0:
		return engine.InputErrorf("--start: must be > 0, got %g", o.Start)
	case !fin(o.End) || o.End <= o.Start:
		return engine.InputErrorf("--end: must be > --start (%g), got %g", o.Start, o.End)
	case o.Steps < 10:
		return engine.InputErrorf("--steps: must be >= 10, got %d", o.Steps)
	case !fin(o.Beta) || o.Beta < 0 || o.Beta >= 1:
		return engine.InputErrorf("smoothing beta: must be in [0, 1), got %g", o.Beta)
	case !fin(o.StopFactor) || o.StopFactor <= 1:
		return engine.InputErrorf("stop factor: must be > 1, got %g", o.StopFactor)
	case !slices.Contains(LRRules, o.Rule):
		return engine.InputErrorf("--rule: unknown rule %q; allowed: valley, steep, minimum", o.Rule)
	case o.CheckSteps < 1:
		return engine.InputErrorf("--check-steps: must be >= 1, got %d", o.CheckSteps)
	case !fin(o.CheckWeightDecay) || o.CheckWeightDecay < 0:
		return engine.InputErrorf("--check-weight-decay: must be >= 0, got %g", o.CheckWeightDecay)
	}
	for _, r := range o.CheckRates {
		if !fin(r) || r <= 0 {
			return engine.InputErrorf("--rates: every rate must be > 0, got %g", r)
		}
	}
	return nil
}

// LRPoint is one step of the range test.
type LRPoint struct {
	Step     int     `json:"step"` // 1-based
	LR       float64 `json:"lr"`
	Loss     float64 `json:"loss"`     // the step's training loss (data loss plus penalty)
	Smoothed float64 `json:"smoothed"` // bias-corrected moving average up to this step
}

// RateCheck is one rate of the lecture's check.
type RateCheck struct {
	LR    float64 `json:"lr"`
	Steps int     `json:"steps"` // steps trained (fewer when it diverged)
	// First is the loss of the first step, Last the mean of the last 10
	// (or fewer) steps, Drop = First − Last: how far the loss fell.
	First float64 `json:"first_loss"`
	Last  float64 `json:"last_loss"`
	Drop  float64 `json:"drop"`
	// Diverged is set when the loss became non-finite or exceeded
	// StopFactor times First; training of that rate stopped there.
	Diverged bool `json:"diverged"`
}

// LRFindReport is the result of LRFind.
type LRFindReport struct {
	// Points are the range test's steps, in order.
	Points []LRPoint `json:"points"`
	// Stopped says why the sweep ended before End ("" when it reached it).
	Stopped string `json:"stopped,omitempty"`
	// Rule is the rule of Suggestion; Suggestions holds every rule's.
	Rule        string             `json:"rule"`
	Suggestion  float64            `json:"suggestion"`
	Suggestions map[string]float64 `json:"suggestions"`
	// SkipBegin and SkipEnd are the points left out at each end when the
	// rules look for the falling stretch: the first tenth (the loss barely
	// moves and the average is still settling) and the last 5 (a tenth of
	// a sweep shorter than 50 steps).
	SkipBegin int `json:"skip_begin"`
	SkipEnd   int `json:"skip_end"`
	// Checks is the lecture's check, one entry per rate; empty with NoCheck.
	Checks []RateCheck `json:"checks,omitempty"`
}

// errStopSweep ends the range test's or a check's epoch loop.
var errStopSweep = errors.New("stop")

// LRFind runs the range test on cfg and suggests a rate, then (unless
// o.NoCheck) the lecture's check of a few fixed rates. Mixup and cutmix are
// left out (their soft targets need the full loop); augmentation, label
// smoothing, the optimizer and its settings are the config's; the schedule
// is not used. The suggestion does not depend on optimizer.lr.
func LRFind(cfg *config.Config, o LRFindOptions) (*LRFindReport, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	c := *cfg
	c.Train.Mixup.Alpha, c.Train.CutMix.Alpha = 0, 0
	plan, err := engine.NewPlan(&c)
	if err != nil {
		return nil, err
	}
	splits, err := engine.LoadTrainSplits(&c, o.Pool.Threads())
	if err != nil {
		return nil, err
	}
	fresh := func() (*engine.Trainer, error) {
		m, err := plan.BuildModel(o.ConfigPath, splits.InShape(), splits.Train.Classes)
		if err != nil {
			return nil, err
		}
		return engine.NewTrainer(plan, m, splits, o.Pool)
	}

	rep := &LRFindReport{Rule: o.Rule}
	t, err := fresh()
	if err != nil {
		return nil, err
	}
	var avg, best float64
	err = steps(t, o.Steps, func(i int, step func(lr float64) float64) bool {
		lr := o.Start * math.Pow(o.End/o.Start, float64(i)/float64(o.Steps-1))
		loss := step(lr)
		avg = o.Beta*avg + (1-o.Beta)*loss
		smoothed := avg / (1 - math.Pow(o.Beta, float64(i+1)))
		rep.Points = append(rep.Points, LRPoint{Step: i + 1, LR: lr, Loss: loss, Smoothed: smoothed})
		switch {
		case math.IsNaN(loss) || math.IsInf(loss, 0):
			rep.Stopped = fmt.Sprintf("the loss became %v at step %d (rate %.3g)", loss, i+1, lr)
			return false
		case i == 0 || smoothed < best:
			best = smoothed
		case smoothed > o.StopFactor*best:
			rep.Stopped = fmt.Sprintf("the smoothed loss passed %g× its best at step %d (rate %.3g)", o.StopFactor, i+1, lr)
			return false
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if err := rep.suggest(); err != nil {
		return nil, err
	}
	if o.NoCheck {
		return rep, nil
	}
	for _, lr := range o.CheckRates {
		t, err := fresh()
		if err != nil {
			return nil, err
		}
		t.Penalty = optim.Penalty{L2: o.CheckWeightDecay / 2, Include: plan.Penalty.Include, Exclude: plan.Penalty.Exclude}
		rc := RateCheck{LR: lr}
		var losses []float64
		err = steps(t, o.CheckSteps, func(i int, step func(float64) float64) bool {
			loss := step(lr)
			losses = append(losses, loss)
			if i == 0 {
				rc.First = loss
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) || loss > o.StopFactor*rc.First {
				rc.Diverged = true
				return false
			}
			return true
		})
		if err != nil {
			return nil, err
		}
		rc.Steps = len(losses)
		tail := losses[max(0, len(losses)-10):]
		for _, l := range tail {
			rc.Last += l / float64(len(tail))
		}
		rc.Drop = rc.First - rc.Last
		rep.Checks = append(rep.Checks, rc)
	}
	return rep, nil
}

// steps runs up to n optimizer steps of t on its training batches, epoch
// after epoch: each calls f with the step's index and a function that
// trains one step at a rate and returns its loss; f returns false to stop.
func steps(t *engine.Trainer, n int, f func(i int, step func(lr float64) float64) bool) error {
	i := 0
	for epoch := 0; i < n; epoch++ {
		before := i
		err := t.ForEachBatch(epoch, 0, func(_ int, x *tensor.Tensor, y []int32) error {
			if i >= n {
				return errStopSweep
			}
			more := f(i, func(lr float64) float64 {
				loss, _ := t.TrainStep(x, y, lr)
				return loss
			})
			i++
			if !more {
				i = n
				return errStopSweep
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopSweep) {
			return err
		}
		if i == before {
			return engine.InputErrorf("the training split has no batches")
		}
	}
	return nil
}

// suggest applies every rule to the points and sets the suggestions.
func (r *LRFindReport) suggest() error {
	n := len(r.Points)
	r.SkipBegin, r.SkipEnd = max(1, n/10), min(5, n/10)
	lo, hi := r.SkipBegin, n-r.SkipEnd
	if hi-lo < 3 {
		return engine.InputErrorf("lr-find: the sweep stopped after %d steps (%s), too few to suggest a rate: lower --start, or raise --steps", n, r.Stopped)
	}
	win := r.Points[lo:hi]
	sm := make([]float64, len(win))
	for i, p := range win {
		sm[i] = p.Smoothed
	}
	r.Suggestions = map[string]float64{
		"valley":  win[valley(sm)].LR,
		"steep":   win[steepest(sm)].LR,
		"minimum": win[argmin(sm)].LR / 10,
	}
	r.Suggestion = r.Suggestions[r.Rule]
	return nil
}

// valley finds the longest stretch over which the loss keeps falling (a
// longest decreasing subsequence, as fastai's valley rule) and returns the
// first point of it where the loss has come 2/3 of the way down, from the
// stretch's first value to its last. fastai takes the point 1/2 of the way
// along the stretch's steps instead; when the smoothed loss creeps down
// from the very first steps, as it does on small data sets, that lands in
// the flat part, an order of magnitude below the rates that train well
// (measured on the quickstart config: 0.0028 against a lecture-check best
// of 0.01 and a shipped rate of 0.05); the loss-based point (0.038 there)
// stays on the steep part.
func valley(loss []float64) int {
	n := len(loss)
	lds := make([]int, n)
	maxStart, maxEnd := 0, 0
	for i := range lds {
		lds[i] = 1
	}
	for i := 1; i < n; i++ {
		for j := 0; j < i; j++ {
			if loss[i] < loss[j] && lds[i] < lds[j]+1 {
				lds[i] = lds[j] + 1
			}
			if lds[maxEnd] < lds[i] {
				maxEnd = i
				maxStart = maxEnd - lds[maxEnd]
			}
		}
	}
	maxStart = max(0, maxStart)
	target := loss[maxStart] - 2.0/3*(loss[maxStart]-loss[maxEnd])
	for i := maxStart; i <= maxEnd; i++ {
		if loss[i] <= target {
			return i
		}
	}
	return maxEnd
}

// steepest is Lightning's rule: the index of the most negative gradient of
// the loss (numpy.gradient: central differences inside, one-sided at the
// ends; the rates are evenly spaced on the log scale).
func steepest(loss []float64) int {
	best, arg := math.Inf(1), 0
	for i := range loss {
		var g float64
		switch {
		case i == 0:
			g = loss[1] - loss[0]
		case i == len(loss)-1:
			g = loss[i] - loss[i-1]
		default:
			g = (loss[i+1] - loss[i-1]) / 2
		}
		if g < best {
			best, arg = g, i
		}
	}
	return arg
}

// argmin returns the index of the first smallest value.
func argmin(v []float64) int {
	arg := 0
	for i, x := range v {
		if x < v[arg] {
			arg = i
		}
	}
	return arg
}

// WriteLRFindCSV writes the range test as CSV: step,lr,loss,smoothed.
func WriteLRFindCSV(w io.Writer, r *LRFindReport) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("step,lr,loss,smoothed\n")
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, p := range r.Points {
		fmt.Fprintf(bw, "%d,%s,%s,%s\n", p.Step, g(p.LR), g(p.Loss), g(p.Smoothed))
	}
	return bw.Flush()
}

// WriteLRCheckCSV writes the lecture's check as CSV:
// lr,steps,first_loss,last_loss,drop,diverged.
func WriteLRCheckCSV(w io.Writer, r *LRFindReport) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("lr,steps,first_loss,last_loss,drop,diverged\n")
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, c := range r.Checks {
		fmt.Fprintf(bw, "%s,%d,%s,%s,%s,%t\n", g(c.LR), c.Steps, g(c.First), g(c.Last), g(c.Drop), c.Diverged)
	}
	return bw.Flush()
}
