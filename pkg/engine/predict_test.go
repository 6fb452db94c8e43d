package engine

import (
	"math"
	"reflect"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/dist"
)

// TestScoreMatchesEvaluate: the probabilities scored by Score give
// Evaluate's accuracy, confusion and loss (float32 logits vs float64
// probabilities: the loss within 1e-5).
func TestScoreMatchesEvaluate(t *testing.T) {
	tr, _, _ := newTestTrainerOn(t, testfix.Config(t), nil)
	d := tr.Train
	want := Evaluate(tr.Model, d, 64, nil)
	probs := Probabilities(tr.Model, d, 64, nil)
	for i := 0; i < d.N; i++ {
		var s float64
		for _, p := range probs[i*tr.Model.Classes : (i+1)*tr.Model.Classes] {
			s += p
		}
		if math.Abs(s-1) > 1e-9 {
			t.Fatalf("example %d: probabilities sum to %v", i, s)
		}
	}
	got := Score(probs, d.Y, tr.Model.Classes)
	if got.Correct != want.Correct || math.Abs(got.Loss-want.Loss) > 1e-5 {
		t.Errorf("Score: %d correct, loss %v; Evaluate: %d, %v", got.Correct, got.Loss, want.Correct, want.Loss)
	}
	for i := range want.Confusion {
		for j := range want.Confusion[i] {
			if got.Confusion[i][j] != want.Confusion[i][j] {
				t.Fatalf("confusion[%d][%d] = %d, Evaluate %d", i, j, got.Confusion[i][j], want.Confusion[i][j])
			}
		}
	}
}

// TestEvaluateRanksIsEvaluate: the validation of a data-parallel job,
// shared by 1 to 4 in-process ranks (a batch count that no rank count
// divides, a short last batch), gives every rank Evaluate's metrics bit
// for bit.
func TestEvaluateRanksIsEvaluate(t *testing.T) {
	tr, _, _ := newTestTrainerOn(t, testfix.Config(t), nil)
	d := tr.Train // 500 examples: 7 batches of 64, the last of 52
	want := Evaluate(tr.Model, d, 64, nil)
	for _, n := range []int{1, 2, 3, 4} {
		comms := dist.NewGroup(n)
		models := make([]*Trainer, n) // a rank's own model: layers keep buffers
		for r := range n {
			models[r], _, _ = newTestTrainerOn(t, testfix.Config(t), nil)
		}
		got := make([]EvalMetrics, n)
		errs := make([]error, n)
		eachRank(comms, func(r int) {
			got[r], errs[r] = EvaluateRanks(models[r].Model, models[r].Train, 64, nil, comms[r])
		})
		for r := range n {
			if errs[r] != nil {
				t.Fatalf("%d ranks, rank %d: %v", n, r, errs[r])
			}
			if !reflect.DeepEqual(got[r], want) || math.Float64bits(got[r].Loss) != math.Float64bits(want.Loss) {
				t.Errorf("%d ranks, rank %d: loss %v, %d correct; Evaluate: %v, %d", n, r, got[r].Loss, got[r].Correct, want.Loss, want.Correct)
			}
		}
	}
}
