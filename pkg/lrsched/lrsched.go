package lrsched

import (
	"fmt"
	"math"
)

// Schedule maps a global step (0-based count of optimizer steps taken) to
// the learning rate used by that step.
type Schedule func(step int) float64

// Config describes a schedule in steps. Epoch-based settings are converted
// by the caller with the number of steps per epoch.
type Config struct {
	Type          string  // "constant", "step" or "cosine"
	BaseLR        float64 // the optimizer's learning rate, > 0
	StepsPerEpoch int     // optimizer steps per epoch, >= 1
	TotalSteps    int     // steps in the whole run, >= 1
	StepSize      int     // step: decay every StepSize epochs
	Gamma         float64 // step: decay factor
	MinLR         float64 // cosine: final learning rate
	WarmupSteps   int     // linear warmup length in steps (0: none)
}

// Names lists the schedule types New accepts.
var Names = []string{"constant", "step", "cosine"}

// New returns the schedule described by c.
//
//	constant: lr(s) = base
//	step:     lr(s) = base · γ^⌊epoch(s)/step_size⌋, epoch(s) = ⌊s/steps_per_epoch⌋ (torch StepLR stepped per epoch)
//	cosine:   lr(s) = min + (base−min)·(1+cos(π·t/T))/2 with t = s−warmup, T = total−warmup, per step
//
// A warmup of W steps multiplies the first W rates by (s+1)/W.
func New(c Config) (Schedule, error) {
	if c.BaseLR <= 0 || c.StepsPerEpoch < 1 || c.TotalSteps < 1 || c.WarmupSteps < 0 {
		return nil, fmt.Errorf("lrsched: invalid config %+v", c)
	}
	var s Schedule
	switch c.Type {
	case "constant", "":
		s = func(int) float64 { return c.BaseLR }
	case "step":
		if c.StepSize < 1 || c.Gamma <= 0 {
			return nil, fmt.Errorf("lrsched: step needs step_size >= 1 and gamma > 0")
		}
		s = func(step int) float64 {
			epoch := step / c.StepsPerEpoch
			return c.BaseLR * math.Pow(c.Gamma, float64(epoch/c.StepSize))
		}
	case "cosine":
		span := c.TotalSteps - c.WarmupSteps
		if span < 1 {
			span = 1
		}
		s = func(step int) float64 {
			t := min(max(step-c.WarmupSteps, 0), span)
			return c.MinLR + (c.BaseLR-c.MinLR)*(1+math.Cos(math.Pi*float64(t)/float64(span)))/2
		}
	default:
		return nil, fmt.Errorf("lrsched: unknown schedule %q; known: constant, step, cosine", c.Type)
	}
	if c.WarmupSteps > 0 {
		inner, w := s, c.WarmupSteps
		s = func(step int) float64 {
			if step < w {
				return inner(step) * float64(step+1) / float64(w)
			}
			return inner(step)
		}
	}
	return s, nil
}
