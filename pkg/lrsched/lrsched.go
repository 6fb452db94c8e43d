package lrsched

import (
	"fmt"
	"math"
	"strings"
)

// Schedule maps a global step (0-based count of optimizer steps taken) to
// the learning rate used by that step.
type Schedule func(step int) float64

// Config describes a schedule: the config's schedule section (Spec) and
// the numbers only the run knows. Lengths are in steps unless a field says
// epochs; an epoch is StepsPerEpoch steps. Fields that do not apply to Type
// are ignored, so a caller may pass a whole resolved section. In a Config
// built in code, a zero Type, Interval, TMult, StartFactor, Power,
// PctStart, DivFactor, FinalDivFactor or AnnealStrategy selects the
// default the Spec field documents, and a zero MaxLR or InvSqrtSteps means
// BaseLR or the warmup length.
type Config struct {
	Spec
	BaseLR        float64 // the optimizer's learning rate (after Spec.ScaleRule), > 0
	StepsPerEpoch int     // optimizer steps per epoch, >= 1
	TotalSteps    int     // steps in the whole run, >= 1
	// WarmupSteps is the linear warmup length in steps (0: none), an
	// alternative to Spec.WarmupEpochs (set at most one): WarmupSteps =
	// round(WarmupEpochs · StepsPerEpoch).
	WarmupSteps int
}

// WarmupSteps is the warmup length in optimizer steps for a run of
// stepsPerEpoch steps per epoch: round(WarmupEpochs · stepsPerEpoch), as
// New computes it.
func (s Spec) WarmupSteps(stepsPerEpoch int) int {
	return int(math.Round(s.WarmupEpochs * float64(stepsPerEpoch)))
}

// Names lists the schedule types New accepts.
var Names = []string{"constant", "step", "multistep", "exponential", "cosine", "cosine_restarts", "linear", "poly", "invsqrt", "onecycle"}

// Intervals lists the values of Config.Interval ("" selects the type's
// default).
var Intervals = []string{"step", "epoch"}

// New returns the schedule described by c, or an error naming the first
// invalid field (as a snake_case key, e.g. "step_size"). The formulas, the
// PyTorch equivalents and the warmup are documented in the package comment.
func New(c Config) (Schedule, error) {
	b, err := newBuilder(c)
	if err != nil {
		return nil, err
	}
	inner, err := b.build()
	if err != nil {
		return nil, err
	}
	return withWarmup(inner, b.warmup, c.WarmupStartFactor), nil
}

// builder holds a validated Config and the derived quantities.
type builder struct {
	c       Config
	warmup  int    // W in steps
	epochly bool   // Interval resolved to "epoch"
	typ     string // Type with "" resolved
}

func errorf(field, format string, args ...any) error {
	return fmt.Errorf("lrsched: %s: %s", field, fmt.Sprintf(format, args...))
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func newBuilder(c Config) (*builder, error) {
	b := &builder{c: c, typ: c.Type}
	if b.typ == "" {
		b.typ = "constant"
	}
	known := false
	for _, n := range Names {
		known = known || n == b.typ
	}
	if !known {
		return nil, errorf("type", "unknown schedule %q; known: %s", c.Type, strings.Join(Names, ", "))
	}
	switch {
	case !finite(c.BaseLR) || c.BaseLR <= 0:
		return nil, errorf("base_lr", "must be > 0 and finite, got %g", c.BaseLR)
	case c.StepsPerEpoch < 1:
		return nil, errorf("steps_per_epoch", "must be >= 1, got %d", c.StepsPerEpoch)
	case c.TotalSteps < 1:
		return nil, errorf("total_steps", "must be >= 1, got %d", c.TotalSteps)
	case c.WarmupSteps < 0:
		return nil, errorf("warmup_steps", "must be >= 0, got %d", c.WarmupSteps)
	case !finite(c.WarmupEpochs) || c.WarmupEpochs < 0:
		return nil, errorf("warmup_epochs", "must be >= 0 and finite, got %g", c.WarmupEpochs)
	case c.WarmupEpochs > 0 && c.WarmupSteps > 0:
		return nil, errorf("warmup_epochs", "set warmup_steps (%d) or warmup_epochs (%g), not both", c.WarmupSteps, c.WarmupEpochs)
	case !finite(c.WarmupStartFactor) || c.WarmupStartFactor < 0 || c.WarmupStartFactor >= 1:
		return nil, errorf("warmup_start_factor", "must be >= 0 and < 1, got %g", c.WarmupStartFactor)
	}
	b.warmup = c.WarmupSteps
	if c.WarmupEpochs > 0 {
		if c.WarmupEpochs*float64(c.StepsPerEpoch) > math.MaxInt32 {
			return nil, errorf("warmup_epochs", "too large: %g", c.WarmupEpochs)
		}
		b.warmup = c.Spec.WarmupSteps(c.StepsPerEpoch)
	}

	// Interval: the default and the values each type accepts.
	var allowed []string
	def := "step"
	switch b.typ {
	case "constant":
		allowed = Intervals
	case "step", "multistep":
		allowed, def = []string{"epoch"}, "epoch"
	case "exponential":
		allowed, def = Intervals, "epoch"
	case "onecycle", "invsqrt":
		allowed = []string{"step"}
	default:
		allowed = Intervals
	}
	iv := c.Interval
	if iv == "" {
		iv = def
	}
	ok := false
	for _, a := range allowed {
		ok = ok || a == iv
	}
	if !ok {
		if iv == "step" || iv == "epoch" {
			return nil, errorf("interval", "schedule %q supports only %q, got %q", b.typ, strings.Join(allowed, ", "), c.Interval)
		}
		return nil, errorf("interval", "unknown interval %q; known: %s (or empty for the schedule's default)", c.Interval, strings.Join(Intervals, ", "))
	}
	b.epochly = iv == "epoch"
	return b, nil
}

// shifted returns the clock of the schedules stretched over the steps after
// the warmup: t(s) = max(s−W, 0) in steps, or ⌊max(s−W, 0)/spe⌋ in epochs,
// and the horizon T = max(total−W, 1) steps, or that many steps in epochs
// (a fraction when W or total is not a multiple of spe).
func (b *builder) shifted() (clock func(int) float64, horizon float64) {
	w, spe := b.warmup, b.c.StepsPerEpoch
	span := max(b.c.TotalSteps-w, 1)
	if b.epochly {
		return func(s int) float64 { return float64(max(s-w, 0) / spe) }, float64(span) / float64(spe)
	}
	return func(s int) float64 { return float64(max(s-w, 0)) }, float64(span)
}

func (b *builder) checkMinLR() error {
	c := b.c
	if !finite(c.MinLR) || c.MinLR < 0 || c.MinLR > c.BaseLR {
		return errorf("min_lr", "schedule %q needs 0 <= min_lr <= base_lr (%g), got %g", b.typ, c.BaseLR, c.MinLR)
	}
	return nil
}

func (b *builder) checkGamma() error {
	if g := b.c.Gamma; !finite(g) || g <= 0 {
		return errorf("gamma", "schedule %q needs gamma > 0, got %g", b.typ, g)
	}
	return nil
}

func (b *builder) build() (Schedule, error) {
	c := b.c
	base, spe := c.BaseLR, c.StepsPerEpoch
	switch b.typ {
	case "constant":
		return func(int) float64 { return base }, nil

	case "step":
		if c.StepSize < 1 {
			return nil, errorf("step_size", "schedule \"step\" needs step_size >= 1 (epochs), got %d", c.StepSize)
		}
		if err := b.checkGamma(); err != nil {
			return nil, err
		}
		return func(step int) float64 {
			epoch := step / spe
			return base * math.Pow(c.Gamma, float64(epoch/c.StepSize))
		}, nil

	case "multistep":
		if len(c.Milestones) == 0 {
			return nil, errorf("milestones", "schedule \"multistep\" needs at least one milestone (epochs)")
		}
		for i, m := range c.Milestones {
			if m < 1 || (i > 0 && m <= c.Milestones[i-1]) {
				return nil, errorf("milestones", "must be strictly increasing epochs >= 1, got %v", c.Milestones)
			}
		}
		if err := b.checkGamma(); err != nil {
			return nil, err
		}
		ms := append([]int(nil), c.Milestones...)
		return func(step int) float64 {
			epoch, k := step/spe, 0
			for k < len(ms) && ms[k] <= epoch {
				k++
			}
			return base * math.Pow(c.Gamma, float64(k))
		}, nil

	case "exponential":
		if err := b.checkGamma(); err != nil {
			return nil, err
		}
		if b.epochly {
			return func(step int) float64 { return base * math.Pow(c.Gamma, float64(step/spe)) }, nil
		}
		return func(step int) float64 { return base * math.Pow(c.Gamma, float64(step)/float64(spe)) }, nil

	case "cosine":
		if err := b.checkMinLR(); err != nil {
			return nil, err
		}
		clock, T := b.shifted()
		return func(step int) float64 {
			t := math.Min(clock(step), T)
			return c.MinLR + (base-c.MinLR)*(1+math.Cos(math.Pi*t/T))/2
		}, nil

	case "cosine_restarts":
		if c.T0 < 1 {
			return nil, errorf("t0", "schedule \"cosine_restarts\" needs t0 >= 1 (epochs), got %d", c.T0)
		}
		mult := c.TMult
		if mult == 0 {
			mult = 1
		}
		if mult < 1 {
			return nil, errorf("t_mult", "must be >= 1 (0 means 1), got %d", c.TMult)
		}
		if err := b.checkMinLR(); err != nil {
			return nil, err
		}
		t0, m := float64(c.T0), float64(mult)
		return func(step int) float64 {
			// The epoch as torch's documented per-batch call
			// scheduler.step(epoch + i/iters) computes it.
			e := float64(step / spe)
			if !b.epochly {
				e += float64(step%spe) / float64(spe)
			}
			tcur, ti := e, t0
			if e >= t0 {
				if mult == 1 {
					tcur = math.Mod(e, t0)
				} else {
					// Exact cycle arithmetic (torch takes a logarithm).
					start := 0.0
					for e >= start+ti {
						start += ti
						ti *= m
					}
					tcur = e - start
				}
			}
			return c.MinLR + (base-c.MinLR)*(1+math.Cos(math.Pi*tcur/ti))/2
		}, nil

	case "linear":
		sf, ef := c.StartFactor, c.EndFactor
		if sf == 0 {
			sf = 1
		}
		if !finite(sf) || sf < 0 || sf > 1 {
			return nil, errorf("start_factor", "must be in (0, 1] (0 means 1), got %g", c.StartFactor)
		}
		if !finite(ef) || ef < 0 || ef > 1 {
			return nil, errorf("end_factor", "must be in [0, 1], got %g", c.EndFactor)
		}
		clock, T, err := b.decayHorizon()
		if err != nil {
			return nil, err
		}
		return func(step int) float64 {
			return base * (sf + (ef-sf)*math.Min(clock(step), T)/T)
		}, nil

	case "poly":
		p := c.Power
		if p == 0 {
			p = 1
		}
		if !finite(p) || p < 0 {
			return nil, errorf("power", "must be > 0 (0 means 1), got %g", c.Power)
		}
		if err := b.checkMinLR(); err != nil {
			return nil, err
		}
		clock, T, err := b.decayHorizon()
		if err != nil {
			return nil, err
		}
		return func(step int) float64 {
			return c.MinLR + (base-c.MinLR)*math.Pow(1-math.Min(clock(step), T)/T, p)
		}, nil

	case "invsqrt":
		w := c.InvSqrtSteps
		if w == 0 {
			w = b.warmup
		}
		if w < 1 {
			return nil, errorf("inv_sqrt_steps", "schedule \"invsqrt\" needs inv_sqrt_steps >= 1 (or a warmup to default to), got %d", c.InvSqrtSteps)
		}
		sw := math.Sqrt(float64(w))
		return func(step int) float64 {
			return base * sw / math.Sqrt(float64(max(step, w)))
		}, nil

	case "onecycle":
		return b.oneCycle()
	}
	panic("lrsched: unhandled type " + b.typ)
}

// decayHorizon is shifted() with the horizon replaced by TotalIters when set.
func (b *builder) decayHorizon() (func(int) float64, float64, error) {
	clock, T := b.shifted()
	if b.c.TotalIters < 0 {
		return nil, 0, errorf("total_iters", "must be >= 0 (0 means the whole run after warmup), got %d", b.c.TotalIters)
	}
	if b.c.TotalIters > 0 {
		T = float64(b.c.TotalIters)
	}
	return clock, T, nil
}

func (b *builder) oneCycle() (Schedule, error) {
	c := b.c
	maxLR, pct, div, fdiv := c.MaxLR, c.PctStart, c.DivFactor, c.FinalDivFactor
	if maxLR == 0 {
		maxLR = c.BaseLR
	}
	if pct == 0 {
		pct = 0.3
	}
	if div == 0 {
		div = 25
	}
	if fdiv == 0 {
		fdiv = 1e4
	}
	switch {
	case !finite(maxLR) || maxLR < 0:
		return nil, errorf("max_lr", "must be > 0 (0 means base_lr), got %g", c.MaxLR)
	case !finite(pct) || pct < 0 || pct >= 1:
		return nil, errorf("pct_start", "must be in (0, 1) (0 means 0.3), got %g", c.PctStart)
	case c.ThreePhase && pct >= 0.5:
		return nil, errorf("pct_start", "must be < 0.5 with three_phase, got %g", pct)
	case !finite(div) || div < 1:
		return nil, errorf("div_factor", "must be >= 1 (0 means 25), got %g", c.DivFactor)
	case !finite(fdiv) || fdiv < 1:
		return nil, errorf("final_div_factor", "must be >= 1 (0 means 1e4), got %g", c.FinalDivFactor)
	}
	anneal := annealFunc(c.AnnealStrategy)
	if anneal == nil {
		return nil, errorf("anneal_strategy", "unknown strategy %q; known: %s", c.AnnealStrategy, strings.Join(AnnealStrategies, ", "))
	}
	initial := maxLR / div
	final := initial / fdiv
	total := max(c.TotalSteps-b.warmup, 1)
	type phase struct{ end, from, to float64 }
	var phases []phase
	if c.ThreePhase {
		phases = []phase{
			{pct*float64(total) - 1, initial, maxLR},
			{2*pct*float64(total) - 2, maxLR, initial},
			{float64(total) - 1, initial, final},
		}
	} else {
		phases = []phase{
			{pct*float64(total) - 1, initial, maxLR},
			{float64(total) - 1, maxLR, final},
		}
	}
	w := b.warmup
	return func(step int) float64 {
		t := float64(min(max(step-w, 0), total-1))
		start := 0.0
		for i, ph := range phases {
			if t <= ph.end || i == len(phases)-1 {
				p := 1.0 // a phase of no length (torch divides by zero)
				if ph.end > start {
					p = (t - start) / (ph.end - start)
				}
				return anneal(ph.from, ph.to, p)
			}
			start = ph.end
		}
		panic("unreachable")
	}, nil
}

// withWarmup multiplies the first w rates of inner by a + (1−a)·(s+1)/w.
func withWarmup(inner Schedule, w int, a float64) Schedule {
	if w <= 0 {
		return inner
	}
	return func(step int) float64 {
		if step >= 0 && step < w {
			f := float64(step+1) / float64(w)
			if a != 0 {
				f = a + (1-a)*f
			}
			return inner(step) * f
		}
		return inner(step)
	}
}

// annealFunc returns the interpolation from start to end at fraction pct
// in [0, 1] of strategy "cos" ("" too) or "linear", as PyTorch's OneCycleLR
// and SWALR anneal; nil for another name.
func annealFunc(strategy string) func(start, end, pct float64) float64 {
	switch strategy {
	case "", "cos":
		return func(start, end, pct float64) float64 { return end + (start-end)/2.0*(math.Cos(math.Pi*pct)+1) }
	case "linear":
		return func(start, end, pct float64) float64 { return (end-start)*pct + start }
	}
	return nil
}

// SWA returns base until step start, then PyTorch's SWALR: the rate moves
// from base(start) to swaLR over annealSteps steps (strategy "cos" or
// "linear"; 0 steps jumps at once) and stays at swaLR. SWALR anneals per
// epoch; this anneals per step over the same span.
func SWA(base Schedule, start, annealSteps int, swaLR float64, strategy string) (Schedule, error) {
	anneal := annealFunc(strategy)
	if anneal == nil {
		return nil, errorf("anneal_strategy", "unknown strategy %q; known: %s", strategy, strings.Join(AnnealStrategies, ", "))
	}
	if !finite(swaLR) || swaLR <= 0 {
		return nil, errorf("lr", "must be > 0, got %g", swaLR)
	}
	from := base(start)
	return func(step int) float64 {
		switch {
		case step < start:
			return base(step)
		case step >= start+annealSteps:
			return swaLR
		}
		return anneal(from, swaLR, float64(step-start)/float64(annealSteps))
	}, nil
}
