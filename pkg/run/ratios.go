package run

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/engine"
)

// MinRateFraction is the smallest lr / base rate at which an update ratio
// is judged (and drawn by `nettrain plot`): below it (the end of a cosine schedule, the first steps of a
// warmup from 0) a float32 weight's update is close to its rounding step,
// so the ratio scaled back to the base rate says nothing.
const MinRateFraction = 0.01

// ratioWarnHook turns the measured update ratios into warnings. Each ratio
// is scaled to the base rate (× BaseLR / lr of the step, reduce-on-plateau's
// factor included), so that a schedule's decay does not count as a layer
// that stops learning; a tensor whose scaled ratio stays below
// monitor.ratio_low, or above monitor.ratio_high, for monitor.window
// measurements in a row gets one warning for the whole run, naming it and
// what to change. Warnings found during an epoch are printed at its end,
// before its console line (a mid-epoch line would tear the progress bar),
// and kept in the run's summary. The streaks and the warnings given are
// resumable state, so a resumed run warns as the straight run does.
type ratioWarnHook struct {
	engine.BaseHook
	w         io.Writer
	low, high float64
	window    int
	baseLR    float64
	names     []string
	st        ratioWarnState
	res       *Result
}

// ratioWarnState is the hook's resumable state, one entry per tensor.
type ratioWarnState struct {
	// Below and Above are the lengths of the current streaks outside the
	// band; Since the step each began at; Warned says a warning was given.
	Below  []int   `json:"below"`
	Above  []int   `json:"above"`
	Since  []int64 `json:"since"`
	Warned []bool  `json:"warned"`
	// Pending are the warnings of the current epoch, not yet printed (a
	// run interrupted inside the epoch prints them after its resume).
	Pending []string `json:"pending,omitempty"`
}

// newRatioWarnHook returns the hook for the monitored tensors names, or nil
// when nothing is monitored.
func newRatioWarnHook(w io.Writer, mon config.Monitor, baseLR float64, names []string, res *Result) *ratioWarnHook {
	if len(names) == 0 {
		return nil
	}
	n := len(names)
	return &ratioWarnHook{
		w: w, low: mon.RatioLow, high: mon.RatioHigh, window: mon.Window, baseLR: baseLR, names: names, res: res,
		st: ratioWarnState{Below: make([]int, n), Above: make([]int, n), Since: make([]int64, n), Warned: make([]bool, n)},
	}
}

func (h *ratioWarnHook) StepEnd(t *engine.Trainer, s engine.StepStats) {
	if !s.Monitored || !(s.LR >= MinRateFraction*h.baseLR) || h.baseLR <= 0 {
		return
	}
	scale := h.baseLR / s.LR
	st := &h.st
	for i, r := range s.UpdateRatios {
		if t.MonitoredFrozen(i) {
			st.Below[i], st.Above[i] = 0, 0
			continue
		}
		r *= scale
		below, above := r < h.low, r > h.high
		switch {
		case below && st.Below[i] == 0, above && st.Above[i] == 0:
			st.Since[i] = t.Step
		}
		st.Below[i], st.Above[i] = streak(below, st.Below[i]), streak(above, st.Above[i])
		if st.Warned[i] || (st.Below[i] < h.window && st.Above[i] < h.window) {
			continue
		}
		st.Warned[i] = true
		st.Pending = append(st.Pending, h.warning(i, below, r, st.Since[i], t.Step))
	}
}

// streak is the length of a streak after one more measurement.
func streak(outside bool, n int) int {
	if outside {
		return n + 1
	}
	return 0
}

// warning is the line for tensor i, whose streak from step since to step
// ended with the scaled ratio r.
func (h *ratioWarnHook) warning(i int, below bool, r float64, since, step int64) string {
	name := h.names[i]
	span := fmt.Sprintf("%d measurements, steps %d–%d, last %.2g at the base rate", h.window, since, step, r)
	if below {
		return fmt.Sprintf("warning: %s: update ratio ‖ΔW‖/‖W‖ below monitor.ratio_low %s for %s: it hardly learns (healthy is about 1e-3); raise optimizer.lr, or give it a larger lr_scale through optimizer.groups (pattern %q)",
			name, fmtRatio(h.low), span, name)
	}
	return fmt.Sprintf("warning: %s: update ratio ‖ΔW‖/‖W‖ above monitor.ratio_high %s for %s: the rate is too high for it (healthy is about 1e-3); lower optimizer.lr, add a warmup, or give it a smaller lr_scale through optimizer.groups (pattern %q)",
		name, fmtRatio(h.high), span, name)
}

// fmtRatio prints a band bound as the config has it.
func fmtRatio(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func (h *ratioWarnHook) EpochEnd(*engine.Trainer, *engine.EpochMetrics) error {
	for _, l := range h.st.Pending {
		fmt.Fprintln(h.w, l)
	}
	h.res.Warnings = append(h.res.Warnings, h.st.Pending...)
	h.st.Pending = nil
	return nil
}

// StateKey, MarshalState and UnmarshalState make the streaks resumable.
func (h *ratioWarnHook) StateKey() string { return "update_ratio_warnings" }

func (h *ratioWarnHook) MarshalState() ([]byte, error) { return json.Marshal(h.st) }

func (h *ratioWarnHook) UnmarshalState(b []byte) error {
	var st ratioWarnState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("update-ratio warning state: %w", err)
	}
	n := len(h.names)
	if len(st.Below) != n || len(st.Above) != n || len(st.Since) != n || len(st.Warned) != n {
		return fmt.Errorf("update-ratio warning state: %d tensors, want %d", len(st.Below), n)
	}
	h.st = st
	return nil
}
