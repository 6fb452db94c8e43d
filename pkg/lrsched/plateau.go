package lrsched

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
)

// PlateauConfig configures a Plateau: the config's schedule.plateau
// section (PlateauSpec, whose Enabled and Metric are the caller's) and the
// rate. The fields mirror torch's ReduceLROnPlateau arguments;
// DefaultPlateauConfig returns torch's defaults. Numeric fields are taken
// literally (0 is a valid patience, threshold, cooldown, min_lr and eps);
// an empty Mode means "min", an empty ThresholdMode "rel". Factor is
// new_lr = lr · factor; Patience counts bad observations tolerated before a
// reduction, Cooldown the observations to wait after one.
type PlateauConfig struct {
	PlateauSpec
	BaseLR float64 // the learning rate before any reduction, > 0
	Eps    float64 // reductions smaller than Eps are skipped, >= 0
}

// DefaultPlateauConfig returns torch's ReduceLROnPlateau defaults for a
// learning rate baseLR: mode min, factor 0.1, patience 10, threshold 1e-4
// rel, cooldown 0, min_lr 0, eps 1e-8.
func DefaultPlateauConfig(baseLR float64) PlateauConfig {
	return PlateauConfig{PlateauSpec: PlateauSpec{Mode: "min", Factor: 0.1, Patience: 10, Threshold: 1e-4, ThresholdMode: "rel"}, BaseLR: baseLR, Eps: 1e-8}
}

// PlateauState is a Plateau's mutable state, for checkpoints. It is
// JSON-serializable (an infinite Best is written as the string "+Inf" or
// "-Inf").
type PlateauState struct {
	LR              float64 `json:"lr"`               // current learning rate (BaseLR · Scale)
	Best            float64 `json:"best"`             // best metric so far; meaningful only if HasBest
	HasBest         bool    `json:"has_best"`         // false until an observation improved on ±Inf
	NumBadEpochs    int     `json:"num_bad_epochs"`   // torch's num_bad_epochs
	CooldownCounter int     `json:"cooldown_counter"` // torch's cooldown_counter
	LastEpoch       int     `json:"last_epoch"`       // observations so far (torch's last_epoch)
	Reductions      int     `json:"reductions"`       // reductions applied so far
}

// Plateau reduces the learning rate when a metric stops improving, making
// the same decisions as torch.optim.lr_scheduler.ReduceLROnPlateau (1.13)
// stepped once per Observe. It is not a Schedule: its output depends on the
// metrics observed, so a checkpoint must carry State.
type Plateau struct {
	cfg PlateauConfig
	st  PlateauState
}

// NewPlateau validates c and returns a Plateau at lr = c.BaseLR.
func NewPlateau(c PlateauConfig) (*Plateau, error) {
	if c.Mode == "" {
		c.Mode = "min"
	}
	if c.ThresholdMode == "" {
		c.ThresholdMode = "rel"
	}
	switch {
	case !finite(c.BaseLR) || c.BaseLR <= 0:
		return nil, errorf("base_lr", "must be > 0 and finite, got %g", c.BaseLR)
	case !slices.Contains(PlateauModes, c.Mode):
		return nil, errorf("mode", "unknown mode %q; known: %s", c.Mode, strings.Join(PlateauModes, ", "))
	case !finite(c.Factor) || c.Factor <= 0 || c.Factor >= 1:
		return nil, errorf("factor", "must be > 0 and < 1, got %g", c.Factor)
	case c.Patience < 0:
		return nil, errorf("patience", "must be >= 0, got %d", c.Patience)
	case !finite(c.Threshold) || c.Threshold < 0:
		return nil, errorf("threshold", "must be >= 0 and finite, got %g", c.Threshold)
	case !slices.Contains(ThresholdModes, c.ThresholdMode):
		return nil, errorf("threshold_mode", "unknown mode %q; known: %s", c.ThresholdMode, strings.Join(ThresholdModes, ", "))
	case c.Cooldown < 0:
		return nil, errorf("cooldown", "must be >= 0, got %d", c.Cooldown)
	case !finite(c.MinLR) || c.MinLR < 0:
		return nil, errorf("min_lr", "must be >= 0 and finite, got %g", c.MinLR)
	case !finite(c.Eps) || c.Eps < 0:
		return nil, errorf("eps", "must be >= 0 and finite, got %g", c.Eps)
	}
	return &Plateau{cfg: c, st: PlateauState{LR: c.BaseLR}}, nil
}

// Config returns the configuration with defaults resolved.
func (p *Plateau) Config() PlateauConfig { return p.cfg }

// LR returns the current learning rate.
func (p *Plateau) LR() float64 { return p.st.LR }

// Scale returns LR/BaseLR, the factor to apply to the base schedule.
func (p *Plateau) Scale() float64 { return p.st.LR / p.cfg.BaseLR }

// State returns a copy of the state.
func (p *Plateau) State() PlateauState { return p.st }

// SetState restores a state returned by State (e.g. from a checkpoint).
func (p *Plateau) SetState(s PlateauState) error {
	switch {
	case !finite(s.LR) || s.LR <= 0:
		return errorf("lr", "must be > 0 and finite, got %g", s.LR)
	case s.HasBest && math.IsNaN(s.Best):
		return errorf("best", "must not be NaN")
	case s.NumBadEpochs < 0 || s.CooldownCounter < 0 || s.LastEpoch < 0 || s.Reductions < 0:
		return fmt.Errorf("lrsched: plateau state: counters must be >= 0, got %+v", s)
	}
	p.st = s
	return nil
}

// better is torch's is_better(a, best), with best = ±Inf before the first
// improvement.
func (p *Plateau) better(a float64) bool {
	best := p.st.Best
	if !p.st.HasBest {
		best = math.Inf(1)
		if p.cfg.Mode == "max" {
			best = math.Inf(-1)
		}
	}
	th := p.cfg.Threshold
	switch {
	case p.cfg.Mode == "min" && p.cfg.ThresholdMode == "rel":
		return a < best*(1-th)
	case p.cfg.Mode == "min":
		return a < best-th
	case p.cfg.ThresholdMode == "rel":
		return a > best*(th+1)
	default:
		return a > best+th
	}
}

// Observe records one metric value (typically the validation loss at the
// end of an epoch) and returns Scale() after the decision, exactly as
// torch's step(metrics): the observation is better if it beats the best by
// the threshold, otherwise it counts as bad; during a cooldown bad
// observations are forgotten; more than Patience bad observations reduce the
// rate to max(lr·factor, min_lr), unless that lowers it by Eps or less, and
// start a cooldown. A NaN metric is a bad observation.
func (p *Plateau) Observe(metric float64) (scale float64) {
	s := &p.st
	s.LastEpoch++
	if p.better(metric) {
		s.Best, s.HasBest = metric, true
		s.NumBadEpochs = 0
	} else {
		s.NumBadEpochs++
	}
	if s.CooldownCounter > 0 {
		s.CooldownCounter--
		s.NumBadEpochs = 0
	}
	if s.NumBadEpochs > p.cfg.Patience {
		newLR := math.Max(s.LR*p.cfg.Factor, p.cfg.MinLR)
		if s.LR-newLR > p.cfg.Eps {
			s.LR = newLR
			s.Reductions++
		}
		s.CooldownCounter = p.cfg.Cooldown
		s.NumBadEpochs = 0
	}
	return p.Scale()
}

// plateauStateJSON is PlateauState with Best as any, to write infinities.
type plateauStateJSON struct {
	LR              float64 `json:"lr"`
	Best            any     `json:"best"`
	HasBest         bool    `json:"has_best"`
	NumBadEpochs    int     `json:"num_bad_epochs"`
	CooldownCounter int     `json:"cooldown_counter"`
	LastEpoch       int     `json:"last_epoch"`
	Reductions      int     `json:"reductions"`
}

// MarshalJSON writes s, with an infinite Best as "+Inf" or "-Inf".
func (s PlateauState) MarshalJSON() ([]byte, error) {
	j := plateauStateJSON{LR: s.LR, Best: s.Best, HasBest: s.HasBest, NumBadEpochs: s.NumBadEpochs,
		CooldownCounter: s.CooldownCounter, LastEpoch: s.LastEpoch, Reductions: s.Reductions}
	switch {
	case math.IsInf(s.Best, 1):
		j.Best = "+Inf"
	case math.IsInf(s.Best, -1):
		j.Best = "-Inf"
	case math.IsNaN(s.Best):
		return nil, fmt.Errorf("lrsched: plateau state: best is NaN")
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *PlateauState) UnmarshalJSON(data []byte) error {
	var j struct {
		plateauStateJSON
		Best json.RawMessage `json:"best"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*s = PlateauState{LR: j.LR, HasBest: j.HasBest, NumBadEpochs: j.NumBadEpochs,
		CooldownCounter: j.CooldownCounter, LastEpoch: j.LastEpoch, Reductions: j.Reductions}
	if len(j.Best) == 0 || string(j.Best) == "null" {
		return nil
	}
	var str string
	if json.Unmarshal(j.Best, &str) == nil {
		switch str {
		case "+Inf", "Inf":
			s.Best = math.Inf(1)
		case "-Inf":
			s.Best = math.Inf(-1)
		default:
			return fmt.Errorf("lrsched: plateau state: best: want a number, \"+Inf\" or \"-Inf\", got %q", str)
		}
		return nil
	}
	return json.Unmarshal(j.Best, &s.Best)
}
