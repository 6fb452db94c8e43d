package run

import (
	"slices"

	"github.com/nettrain/nettrain/pkg/engine"
)

// Ensemble methods (EnsembleOptions.Method).
const (
	// EnsembleMean averages the members' predicted probabilities.
	EnsembleMean = "mean"
	// EnsembleVote takes the class most members predict; a tie goes to the
	// tied class with the highest mean probability.
	EnsembleVote = "vote"
)

// EnsembleMethods lists the ensemble methods, the default first.
var EnsembleMethods = []string{EnsembleMean, EnsembleVote}

// EnsembleOptions say how EvaluateEnsemble scores its members.
type EnsembleOptions struct {
	EvalOptions
	// Method is EnsembleMean (default) or EnsembleVote.
	Method string
}

// EnsembleReport is each member's score and the ensemble's. The
// ensemble's loss is that of the averaged probabilities under either
// method (a vote has no likelihood of its own).
type EnsembleReport struct {
	Method  string         `json:"method"`
	Members []*EvalReport  `json:"members"`
	Mean    MemberAverages `json:"member_mean"`
	// ClassNames name the classes, when the data names them.
	ClassNames []string `json:"class_names,omitempty"`
	engine.EvalMetrics
	// Probs are the ensemble's probabilities per example, (N, C): the
	// members' mean under either method; Labels the examples' labels and
	// Predicted the ensemble's class of each (the vote's under
	// EnsembleVote). WritePredictions writes them.
	Probs     []float64 `json:"-"`
	Labels    []int32   `json:"-"`
	Predicted []int     `json:"-"`
}

// MemberAverages are the members' mean accuracy and loss.
type MemberAverages struct {
	Accuracy float64 `json:"accuracy"`
	Loss     float64 `json:"loss"`
}

// EvaluateEnsemble scores each checkpoint of paths on the split o names,
// each with its own stored preprocessing, and the ensemble of them. The
// members may differ in architecture and preprocessing, but must have the
// same classes and see the same examples in the same order (the same data
// and split settings); anything else is an *InputError naming the member.
func EvaluateEnsemble(paths []string, o EnsembleOptions) (*EnsembleReport, error) {
	if o.Method == "" {
		o.Method = EnsembleMean
	}
	if !slices.Contains(EnsembleMethods, o.Method) {
		return nil, engine.InputErrorf("--ensemble %q: allowed: %v", o.Method, EnsembleMethods)
	}
	if len(paths) == 0 {
		return nil, engine.InputErrorf("an ensemble needs at least one checkpoint")
	}
	rep := &EnsembleReport{Method: o.Method}
	var first *member
	var sum []float64 // Σ members' probabilities, (N, C)
	var votes []int   // per example and class, the members predicting it
	for _, path := range paths {
		m, err := loadMember(path, o.EvalOptions)
		if err != nil {
			return nil, err
		}
		if first == nil {
			first = m
		} else if err := sameTask(first, m); err != nil {
			return nil, err
		}
		probs := m.probabilities(o.Pool)
		if err := engine.ReadError(m.data); err != nil {
			return nil, err
		}
		c := m.loaded.Model.Classes
		r := m.report(o.EvalOptions)
		r.EvalMetrics = engine.Score(probs, m.data.Y, c)
		rep.Members = append(rep.Members, r)
		rep.Mean.Accuracy += r.Accuracy / float64(len(paths))
		rep.Mean.Loss += r.Loss / float64(len(paths))
		if sum == nil {
			sum, votes = make([]float64, len(probs)), make([]int, len(probs))
		}
		for i := range m.data.Y {
			row := probs[i*c : (i+1)*c]
			votes[i*c+engine.ArgMax(row)]++
			for j, p := range row {
				sum[i*c+j] += p
			}
		}
	}
	c := first.loaded.Model.Classes
	for i := range sum {
		sum[i] /= float64(len(paths))
	}
	rep.ClassNames = classNames(first.data, c)
	rep.EvalMetrics = engine.Score(sum, first.data.Y, c)
	scores := sum
	if o.Method == EnsembleVote {
		loss := rep.Loss
		scores = voteScores(votes, sum)
		rep.EvalMetrics = engine.Score(scores, first.data.Y, c)
		rep.Loss = loss
	}
	rep.Probs, rep.Labels = sum, first.data.Y
	rep.Predicted = make([]int, len(first.data.Y))
	for i := range rep.Predicted {
		rep.Predicted[i] = engine.ArgMax(scores[i*c : (i+1)*c])
	}
	return rep, nil
}

// sameTask checks that member m predicts the classes of first on the same
// examples.
func sameTask(first, m *member) error {
	fc, mc := first.loaded.Model.Classes, m.loaded.Model.Classes
	switch {
	case fc != mc:
		return engine.InputErrorf("ensemble member %s has %d classes, %s has %d: members must predict the same classes", m.path, mc, first.path, fc)
	case m.data.N != first.data.N || !slices.Equal(m.data.Y, first.data.Y):
		return engine.InputErrorf("ensemble member %s scores %d examples of %s, %s %d of %s with other labels: members must see the same examples (same data folder, val_split, train_limit and seed)",
			m.path, m.data.N, m.dir, first.path, first.data.N, first.dir)
	}
	return nil
}

// voteScores turns the votes into scores whose arg-max is the vote's
// winner: the vote count, with half the mean probability (< 1) breaking
// ties.
func voteScores(votes []int, mean []float64) []float64 {
	out := make([]float64, len(votes))
	for i := range votes {
		out[i] = float64(votes[i]) + mean[i]*0.5
	}
	return out
}
