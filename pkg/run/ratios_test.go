package run

import (
	"bytes"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/engine"
)

// TestRatioWarnHook feeds the hook measured steps and checks which
// tensors get a warning, and when.
func TestRatioWarnHook(t *testing.T) {
	const base = 0.1
	mon := config.Default().Monitor // band [1e-4, 1e-1], window 10
	type step struct {
		lr     float64
		ratios []float64
	}
	repeat := func(n int, s step) []step {
		out := make([]step, n)
		for i := range out {
			out[i] = s
		}
		return out
	}
	cases := []struct {
		name  string
		steps []step
		want  []string // one substring per warning, in order
	}{
		{"healthy", repeat(30, step{base, []float64{1e-3, 5e-3}}), nil},
		{"one too slow", repeat(10, step{base, []float64{5e-5, 1e-3}}), []string{"a.weight: update ratio ‖ΔW‖/‖W‖ below monitor.ratio_low 0.0001 for 10 measurements, steps 1–10"}},
		{"window not reached", repeat(9, step{base, []float64{5e-5, 1e-3}}), nil},
		{"streak broken", append(append(repeat(9, step{base, []float64{5e-5, 1e-3}}), step{base, []float64{1e-3, 1e-3}}), repeat(9, step{base, []float64{5e-5, 1e-3}})...), nil},
		{"too fast", repeat(12, step{base, []float64{1e-3, 0.3}}), []string{"b.weight: update ratio ‖ΔW‖/‖W‖ above monitor.ratio_high 0.1 for 10 measurements, steps 1–10"}},
		{"warned once", repeat(40, step{base, []float64{5e-5, 0.3}}), []string{"a.weight: update ratio ‖ΔW‖/‖W‖ below", "b.weight: update ratio ‖ΔW‖/‖W‖ above"}},
		// A decayed rate with a proportionally smaller ratio is healthy at
		// the base rate.
		{"schedule decay ignored", repeat(20, step{base / 50, []float64{2e-5, 1e-4}}), nil},
		// Below 1% of the base rate nothing is judged.
		{"near-zero rate skipped", repeat(20, step{base / 200, []float64{1e-9, 1e-9}}), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			res := &Result{}
			h := newRatioWarnHook(&out, mon, base, []string{"a.weight", "b.weight"}, res)
			tr := &engine.Trainer{}
			for _, s := range c.steps {
				tr.Step++
				h.StepEnd(tr, engine.StepStats{LR: s.lr, Monitored: true, UpdateRatios: s.ratios})
				h.StepEnd(tr, engine.StepStats{LR: s.lr}) // unmeasured steps change nothing
			}
			if out.Len() != 0 {
				t.Errorf("printed before the epoch end: %q", out.String())
			}
			if err := h.EpochEnd(tr, nil); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if out.Len() == 0 {
				lines = nil
			}
			if len(lines) != len(c.want) || len(res.Warnings) != len(c.want) {
				t.Fatalf("warnings %q (summary %q), want %d", lines, res.Warnings, len(c.want))
			}
			for i, w := range c.want {
				if !strings.Contains(lines[i], w) || !strings.Contains(lines[i], "optimizer.lr") {
					t.Errorf("warning %d = %q, want it to contain %q and advice", i, lines[i], w)
				}
			}
		})
	}
}

// TestRatioWarnHookResume checks that a streak carries over a checkpoint:
// 6 measurements, state saved, 4 more after the restore make the warning,
// and a warning pending at the save is printed after the restore.
func TestRatioWarnHookResume(t *testing.T) {
	mon := config.Default().Monitor
	names := []string{"a.weight"}
	slow := engine.StepStats{LR: 0.1, Monitored: true, UpdateRatios: []float64{1e-6}}
	var out bytes.Buffer
	h := newRatioWarnHook(&out, mon, 0.1, names, &Result{})
	tr := &engine.Trainer{}
	for range 6 {
		tr.Step++
		h.StepEnd(tr, slow)
	}
	state, err := h.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	h2 := newRatioWarnHook(&out, mon, 0.1, names, &Result{})
	if err := h2.UnmarshalState(state); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		tr.Step++
		h2.StepEnd(tr, slow)
	}
	state, _ = h2.MarshalState() // the warning is pending here
	h3 := newRatioWarnHook(&out, mon, 0.1, names, &Result{})
	if err := h3.UnmarshalState(state); err != nil {
		t.Fatal(err)
	}
	_ = h3.EpochEnd(tr, nil)
	if got := out.String(); strings.Count(got, "warning: a.weight") != 1 || !strings.Contains(got, "steps 1–10") {
		t.Errorf("after resume: %q", got)
	}
	if err := h3.UnmarshalState([]byte(`{"below":[1,2]}`)); err == nil {
		t.Error("a state of another model was accepted")
	}
}

// TestRatioWarningsInRun trains the small MLP at its rate and at 1/1000
// of it: only the slow run warns, and it names its hidden layer. (This
// narrow net runs hot, about 2e-2 at its rate, so 1/100 stays in the band;
// the shipped configs' ÷100 runs are in the README.)
func TestRatioWarningsInRun(t *testing.T) {
	cases := []struct {
		name string
		set  []string
		want []string
	}{
		{"shipped rate", nil, nil},
		{"rate / 1000", []string{"optimizer.lr=0.00005"}, []string{"warning: fc1.weight: update ratio"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := testfix.Config(t, append([]string{"train.epochs=20", "monitor.every=5", "schedule.type=constant"}, c.set...)...)
			var out bytes.Buffer
			res, err := Train(cfg, Options{OutDir: t.TempDir(), Pool: testfix.Pool(t, 2), Stdout: &out})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Warnings) != len(c.want) {
				t.Fatalf("warnings %q, want %q", res.Warnings, c.want)
			}
			for i, w := range c.want {
				if !strings.HasPrefix(res.Warnings[i], w) || !strings.Contains(out.String(), res.Warnings[i]) {
					t.Errorf("warning %q, want prefix %q, printed", res.Warnings[i], w)
				}
			}
		})
	}
}
