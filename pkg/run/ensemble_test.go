package run

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/engine"
)

// TestEnsemble trains two small MLPs of different widths and checks the
// ensemble's arithmetic against the members: one member scores as
// EvaluateCheckpoint does, the mean of two is scored on the averaged
// probabilities, a vote follows the majority, and members that see other examples are refused.
func TestEnsemble(t *testing.T) {
	_, a := trainRun(t, testConfig(t, "model.hidden=[32]"))
	_, b := trainRun(t, testConfig(t, "model.hidden=[16]", "seed=2"))
	ca, cb := ckptPath(a, BestCheckpoint), ckptPath(b, BestCheckpoint)
	pool := testfix.Pool(t, 2)
	opt := EvalOptions{Pool: pool}

	single, err := EvaluateCheckpoint(ca, opt)
	if err != nil {
		t.Fatal(err)
	}
	one, err := EvaluateEnsemble([]string{ca}, EnsembleOptions{EvalOptions: opt})
	if err != nil {
		t.Fatal(err)
	}
	if one.Correct != single.Correct || math.Abs(one.Loss-single.Loss) > 1e-5 || one.Members[0].Correct != single.Correct {
		t.Errorf("one member: %d correct, loss %v; EvaluateCheckpoint %d, %v", one.Correct, one.Loss, single.Correct, single.Loss)
	}

	mean, err := EvaluateEnsemble([]string{ca, cb}, EnsembleOptions{EvalOptions: opt})
	if err != nil {
		t.Fatal(err)
	}
	// a, a, b: a has the majority on every example.
	vote, err := EvaluateEnsemble([]string{ca, ca, cb}, EnsembleOptions{EvalOptions: opt, Method: EnsembleVote})
	if err != nil {
		t.Fatal(err)
	}
	if len(mean.Members) != 2 || mean.N != single.N || math.Abs(mean.Mean.Accuracy-(mean.Members[0].Accuracy+mean.Members[1].Accuracy)/2) > 1e-12 {
		t.Fatalf("mean ensemble %+v", mean)
	}
	// The loss of averaged probabilities is at most the members' mean loss
	// (−ln is convex).
	if !(mean.Loss <= mean.Mean.Loss+1e-12) {
		t.Errorf("ensemble loss %v above the members' mean %v", mean.Loss, mean.Mean.Loss)
	}
	if vote.Correct != single.Correct {
		t.Errorf("vote of a, a, b: %d correct, a alone %d", vote.Correct, single.Correct)
	}

	_, other := trainRun(t, testConfig(t, "data.val_split=50"))
	_, err = EvaluateEnsemble([]string{ca, ckptPath(other, BestCheckpoint)}, EnsembleOptions{EvalOptions: EvalOptions{Split: "val", Pool: pool}})
	if !engine.IsInputError(err) || !strings.Contains(err.Error(), "same examples") || !strings.Contains(err.Error(), filepath.Base(filepath.Dir(filepath.Dir(ckptPath(other, BestCheckpoint))))) {
		t.Errorf("members on other validation splits: %v", err)
	}
	if _, err := EvaluateEnsemble([]string{ca}, EnsembleOptions{EvalOptions: opt, Method: "median"}); !engine.IsInputError(err) || !strings.Contains(err.Error(), "mean vote") {
		t.Errorf("unknown method: %v", err)
	}
}
