package search

import (
	"math"
	"slices"
)

// ASHA is asynchronous successive halving (Li et al., "A System for
// Massively Parallel Hyperparameter Tuning", MLSys 2020): trials are
// paused at each rung; whenever a worker is free, the best trial of the
// highest rung that is in the top 1/Eta of the trials recorded at its rung
// and not yet promoted is continued to the next rung, and otherwise a new
// trial starts. Its exported fields are its whole state, saved with the
// search (JSON) so a resumed search promotes exactly as it would have.
type ASHA struct {
	// Eta is the reduction factor.
	Eta int `json:"eta"`
	// Max says the higher metric is better.
	Max bool `json:"max"`
	// Rungs are the rungs, lowest first; the last one is the trials'
	// whole budget.
	Rungs []Rung `json:"rungs"`
}

// Rung is one rung of [ASHA]: an epoch count and the trials recorded
// there, in the order they arrived.
type Rung struct {
	Epochs   int      `json:"epochs"`
	Results  []Result `json:"results"`
	Promoted []int    `json:"promoted"` // trials continued from this rung
}

// Result is a trial's metric at a rung. Lost marks a trial that diverged
// or failed there (JSON has no NaN).
type Result struct {
	Trial int     `json:"trial"`
	Value float64 `json:"value"`
	Lost  bool    `json:"lost,omitempty"`
}

// metric is the result's value, NaN when lost.
func (r Result) metric() float64 {
	if r.Lost {
		return math.NaN()
	}
	return r.Value
}

// RungEpochs lists the rungs of a budget: grace × eta^k below epochs, then
// epochs (grace 1, eta 3, 9 epochs: 1, 3, 9).
func RungEpochs(grace, eta, epochs int) []int {
	var r []int
	for e := grace; e < epochs; e *= eta {
		r = append(r, e)
	}
	return append(r, epochs)
}

// NewASHA returns the scheduler of a stage whose trials train up to epochs.
func NewASHA(grace, eta, epochs int, max bool) *ASHA {
	a := &ASHA{Eta: eta, Max: max}
	for _, e := range RungEpochs(grace, eta, epochs) {
		a.Rungs = append(a.Rungs, Rung{Epochs: e})
	}
	return a
}

// RungOf returns the rung index with exactly epochs, or -1.
func (a *ASHA) RungOf(epochs int) int {
	for i, r := range a.Rungs {
		if r.Epochs == epochs {
			return i
		}
	}
	return -1
}

// Record notes trial's metric v at rung k. A diverged or failed trial is
// recorded with v NaN (or ±Inf): it counts at the rung but is never promoted.
func (a *ASHA) Record(k, trial int, v float64) {
	res := Result{Trial: trial, Value: v}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		res = Result{Trial: trial, Lost: true}
	}
	a.Rungs[k].Results = append(a.Rungs[k].Results, res)
}

// Promote picks the next promotion, as ASHA's get_job: from the highest
// rung below the top down, the best result in the rung's top
// ⌊n/Eta⌋ that has not been promoted yet. It records the promotion and
// returns the trial and the rung it is to reach; ok is false when no trial
// can be promoted now.
func (a *ASHA) Promote() (trial, rung int, ok bool) {
	for k := len(a.Rungs) - 2; k >= 0; k-- {
		r := &a.Rungs[k]
		ranked := a.ranked(r.Results)
		for _, res := range ranked[:len(ranked)/a.Eta] {
			if res.Lost {
				break
			}
			if !slices.Contains(r.Promoted, res.Trial) {
				r.Promoted = append(r.Promoted, res.Trial)
				return res.Trial, k + 1, true
			}
		}
	}
	return 0, 0, false
}

// ranked returns results best first; NaN last; ties keep arrival order.
func (a *ASHA) ranked(results []Result) []Result {
	out := slices.Clone(results)
	slices.SortStableFunc(out, func(x, y Result) int {
		return Compare(x.metric(), y.metric(), a.Max)
	})
	return out
}

// Compare orders metric values best first: negative when x is better than
// y (higher with max, lower otherwise), NaN after every number.
func Compare(x, y float64, max bool) int {
	xn, yn := math.IsNaN(x), math.IsNaN(y)
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	case x == y:
		return 0
	case (x > y) == max:
		return -1
	}
	return 1
}
