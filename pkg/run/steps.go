package run

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/engine"
)

// StepsFile is the per-step log of a run folder: one row per optimizer
// step (stepsHeader).
const StepsFile = "steps.csv"

// stepsBaseHeader is the first columns of steps.csv: step is the 1-based
// number of the optimizer step (the step column of metrics.csv counts the
// same way), epoch the 1-based epoch, batch the mini-batches of that epoch
// done after the step (1-based; with train.accumulate k it advances by k),
// lr the rate the step used (reduce-on-plateau's scaling included) and
// loss the step's training loss (data loss plus penalty, mean over its
// examples). Runs of nettrain before the monitor section had only these.
const stepsBaseHeader = "step,epoch,batch,lr,loss"

// stepsHeader is the first row of steps.csv for a run monitoring params:
// after the base columns, acc (the step's training accuracy), grad_norm
// (the gradient's global L2 norm before clipping) and one
// update_ratio:NAME column per weight tensor (‖ΔW‖/‖W‖ of the step's
// update); those last two are filled every monitor.every steps and empty
// on the other rows.
func stepsHeader(params []string) string {
	h := stepsBaseHeader + ",acc,grad_norm"
	for _, p := range params {
		h += ",update_ratio:" + p
	}
	return h + "\n"
}

// stepsBufSize is the write buffer of steps.csv: about a thousand rows.
const stepsBufSize = 64 << 10

// stepsHook writes steps.csv. Rows go through one buffered writer and a
// reused row buffer (no allocation per step); the file is flushed and
// fsynced at the end of every epoch and before every checkpoint is written
// (MarshalState), so it always covers the step of the newest checkpoint.
//
// The hook opens the file lazily at the first epoch start, where it learns
// whether the run is new (step 0: steps.csv is created, replacing any
// earlier one) or resumed (it keeps the rows up to the resumed step, as
// truncateMetrics does for metrics.csv, and appends). It closes the file at
// every epoch end and reopens it at the next epoch start. Hooks cannot
// return errors outside EpochEnd, so a failure to open or write is kept and
// returned by the next EpochEnd or MarshalState (a checkpoint), which stops
// the run.
//
// A run that stops with an error (divergence) does not flush: steps.csv
// then ends at the last flush (the previous epoch end, or wherever the
// buffer last filled up).
type stepsHook struct {
	engine.BaseHook
	path    string
	f       *os.File
	w       *bufio.Writer
	row     []byte
	started bool
	err     error
}

// newStepsHook returns the hook writing path (RUN_DIR/steps.csv).
func newStepsHook(path string) *stepsHook {
	return &stepsHook{path: path}
}

func (h *stepsHook) EpochStart(t *engine.Trainer, _ int) {
	if h.err != nil || h.f != nil {
		return
	}
	if !h.started {
		h.started = true
		header := stepsHeader(t.MonitoredParams())
		if t.Step == 0 {
			h.err = checkpoint.WriteFileAtomic(h.path, []byte(header))
		} else {
			h.err = truncateSteps(h.path, header, t.Step)
		}
		if h.err != nil {
			return
		}
	}
	h.open()
}

// open opens steps.csv for appending.
func (h *stepsHook) open() {
	f, err := os.OpenFile(h.path, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		h.err = err
		return
	}
	h.f = f
	if h.w == nil {
		h.w = bufio.NewWriterSize(f, stepsBufSize)
		h.row = make([]byte, 0, 128)
	} else {
		h.w.Reset(f)
	}
}

func (h *stepsHook) StepEnd(t *engine.Trainer, s engine.StepStats) {
	if h.f == nil && h.err == nil && h.started {
		h.open() // after a checkpoint closed it inside an epoch
	}
	if h.f == nil {
		return
	}
	r := strconv.AppendInt(h.row[:0], t.Step, 10)
	r = append(r, ',')
	r = strconv.AppendInt(r, int64(s.Epoch+1), 10)
	r = append(r, ',')
	r = strconv.AppendInt(r, int64(s.Batch+1), 10)
	r = append(r, ',')
	r = strconv.AppendFloat(r, s.LR, 'g', -1, 64)
	r = append(r, ',')
	r = strconv.AppendFloat(r, s.Loss, 'g', -1, 64)
	r = append(r, ',')
	r = strconv.AppendFloat(r, float64(s.Correct)/float64(s.N), 'g', -1, 64)
	r = append(r, ',')
	if s.Monitored {
		r = strconv.AppendFloat(r, s.GradNorm, 'g', -1, 64)
	}
	for _, v := range s.UpdateRatios {
		r = append(r, ',')
		r = strconv.AppendFloat(r, v, 'g', -1, 64)
	}
	if !s.Monitored {
		for range t.MonitoredParams() {
			r = append(r, ',')
		}
	}
	r = append(r, '\n')
	h.row = r
	if _, err := h.w.Write(r); err != nil && h.err == nil {
		h.err = err
	}
}

// sync flushes the buffered rows, fsyncs and closes the file, and returns
// the first error the hook met.
func (h *stepsHook) sync() error {
	if h.f != nil {
		err := h.w.Flush()
		if err == nil {
			err = h.f.Sync()
		}
		if cerr := h.f.Close(); err == nil {
			err = cerr
		}
		h.f = nil
		if err != nil && h.err == nil {
			h.err = err
		}
	}
	if h.err != nil {
		return fmt.Errorf("%s: %w", h.path, h.err)
	}
	return nil
}

func (h *stepsHook) EpochEnd(*engine.Trainer, *engine.EpochMetrics) error { return h.sync() }

// StateKey, MarshalState and UnmarshalState make the hook an engine.Resumable
// only to be told when a checkpoint is being written: MarshalState flushes
// steps.csv first, so after an interrupt inside an epoch the file holds
// every step the checkpoint counts. The state itself is empty.
func (h *stepsHook) StateKey() string { return "steps" }

func (h *stepsHook) MarshalState() ([]byte, error) {
	if err := h.sync(); err != nil {
		return nil, err
	}
	return []byte("{}"), nil
}

func (h *stepsHook) UnmarshalState([]byte) error { return nil }

// truncateSteps keeps the header and the rows of steps.csv up to step
// (see truncateCSV); a missing file is created with the header only, so a
// run started before steps.csv existed logs the steps from the resumed one
// on. A file of a run started before the monitor columns (the base header
// only) is first rewritten with the new header, its rows padded with empty
// cells.
func truncateSteps(path, header string, step int64) error {
	if err := upgradeSteps(path, header); err != nil {
		return err
	}
	return truncateCSV(path, header, "step", step)
}

// upgradeSteps rewrites a steps.csv with the base header only to header,
// padding its rows with empty cells.
func upgradeSteps(path, header string) error {
	b, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(b, []byte(stepsBaseHeader+"\n")) || header == stepsBaseHeader+"\n" {
		return nil // missing (truncateCSV creates it), or current, or not ours (truncateCSV says so)
	}
	pad := strings.Repeat(",", strings.Count(header, ",")-strings.Count(stepsBaseHeader, ","))
	lines := strings.SplitAfter(string(b), "\n")
	out := []string{header}
	for _, l := range lines[1:] {
		if strings.HasSuffix(l, "\n") {
			out = append(out, strings.TrimSuffix(l, "\n")+pad+"\n")
		}
	}
	return checkpoint.WriteFileAtomic(path, []byte(strings.Join(out, "")))
}
