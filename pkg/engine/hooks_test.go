package engine

import (
	"strings"
	"testing"
)

func TestDivergenceFactorHook(t *testing.T) {
	h := &divergenceHook{factor: 2}
	for i, loss := range []float64{2.3, 1.0, 1.9, 0.8} {
		if err := h.EpochEnd(nil, &EpochMetrics{Epoch: i + 1, TrainLoss: loss}); err != nil {
			t.Fatalf("epoch %d: %v", i+1, err)
		}
	}
	err := h.EpochEnd(nil, &EpochMetrics{Epoch: 5, TrainLoss: 1.7})
	if err == nil || !strings.Contains(err.Error(), "epoch 5") || !strings.Contains(err.Error(), "train.divergence_factor 2") {
		t.Fatalf("loss 1.7 after best 0.8 with factor 2: %v", err)
	}
}

// orderHook records the events it sees under its name.
type orderHook struct {
	BaseHook
	name string
	log  *[]string
}

func (h orderHook) EpochEnd(*Trainer, *EpochMetrics) error {
	*h.log = append(*h.log, h.name)
	return nil
}

// TestHookPhases checks the stated order: by phase, then in the order
// added, whatever the order of the AddHook calls.
func TestHookPhases(t *testing.T) {
	var log []string
	tr := &Trainer{}
	add := func(p Phase, name string) { tr.AddHook(p, orderHook{name: name, log: &log}) }
	add(PhaseReport, "report1")
	add(PhaseMeasure, "measure1")
	add(PhaseRecord, "record1")
	add(PhaseControl, "control1")
	add(PhaseMeasure, "measure2")
	add(PhaseReport, "report2")
	for _, a := range tr.hooks {
		if err := a.Hook.EpochEnd(tr, &EpochMetrics{}); err != nil {
			t.Fatal(err)
		}
	}
	want := "measure1 measure2 control1 record1 report1 report2"
	if got := strings.Join(log, " "); got != want {
		t.Fatalf("hooks ran as %q, want %q", got, want)
	}
}
