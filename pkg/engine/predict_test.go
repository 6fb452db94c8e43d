package engine

import (
	"math"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
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
