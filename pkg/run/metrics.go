package run

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/nettrain/nettrain/pkg/engine"
)

// MetricsColumn is one column of metrics.csv: its name and its value in an
// epoch's metrics (ok false: the cell is empty, e.g. val_loss without a
// validation split). It is the one list of the per-epoch metrics, written
// to metrics.csv and to TensorBoard (as epoch/NAME).
type MetricsColumn struct {
	Name  string
	Value func(m *engine.EpochMetrics) (v float64, ok bool)
	// digits is the fixed number of decimals in the CSV, -1 for the
	// shortest exact form.
	digits int
}

// MetricsColumns are metrics.csv's columns in order.
var MetricsColumns = []MetricsColumn{
	{"epoch", func(m *engine.EpochMetrics) (float64, bool) { return float64(m.Epoch), true }, 0},
	{"step", func(m *engine.EpochMetrics) (float64, bool) { return float64(m.Step), true }, 0},
	{"lr", func(m *engine.EpochMetrics) (float64, bool) { return m.LR, true }, -1},
	{"train_loss", func(m *engine.EpochMetrics) (float64, bool) { return m.TrainLoss, true }, -1},
	{"train_acc", func(m *engine.EpochMetrics) (float64, bool) { return m.TrainAcc, true }, -1},
	{"val_loss", func(m *engine.EpochMetrics) (float64, bool) { return m.ValLoss, m.HasVal }, -1},
	{"val_acc", func(m *engine.EpochMetrics) (float64, bool) { return m.ValAcc, m.HasVal }, -1},
	{"ema_val_loss", func(m *engine.EpochMetrics) (float64, bool) { return m.EMAValLoss, m.HasEMA }, -1},
	{"ema_val_acc", func(m *engine.EpochMetrics) (float64, bool) { return m.EMAValAcc, m.HasEMA }, -1},
	{"epoch_seconds", func(m *engine.EpochMetrics) (float64, bool) { return m.EpochSeconds, true }, 3},
	{"images_per_second", func(m *engine.EpochMetrics) (float64, bool) { return m.ImagesPerSecond, true }, 1},
}

// csvHeader is the first row of metrics.csv.
var csvHeader = func() string {
	names := make([]string, len(MetricsColumns))
	for i, c := range MetricsColumns {
		names[i] = c.Name
	}
	return strings.Join(names, ",") + "\n"
}()

// Cell is the column's cell of metrics.csv for m: the value as written
// (the timing columns rounded), and ok false for an empty cell.
func (c MetricsColumn) Cell(m *engine.EpochMetrics) (cell string, ok bool) {
	v, ok := c.Value(m)
	switch {
	case !ok:
		return "", false
	case c.digits < 0:
		return strconv.FormatFloat(v, 'g', -1, 64), true
	}
	return strconv.FormatFloat(v, 'f', c.digits, 64), true
}

// metricsRow is the row of metrics.csv for m.
func metricsRow(m *engine.EpochMetrics) string {
	cells := make([]string, len(MetricsColumns))
	for i, c := range MetricsColumns {
		cells[i], _ = c.Cell(m)
	}
	return strings.Join(cells, ",") + "\n"
}

// csvHook appends one synced row to metrics.csv per epoch. It is added
// before a resume restores the trainer and opened after, when the epoch to
// continue from is known.
type csvHook struct {
	engine.BaseHook
	f *os.File
}

// open creates metrics.csv with its header, or with appendRows opens the
// existing file (already truncated to the resumed epoch) for appending.
func (h *csvHook) open(path string, appendRows bool) error {
	if appendRows {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		h.f = f
		return nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(csvHeader); err != nil {
		f.Close()
		return err
	}
	h.f = f
	return nil
}

func (h *csvHook) EpochEnd(_ *engine.Trainer, m *engine.EpochMetrics) error {
	row := metricsRow(m)
	w := bufio.NewWriter(h.f)
	if _, err := w.WriteString(row); err != nil {
		return fmt.Errorf("%s: %w", h.f.Name(), err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("%s: %w", h.f.Name(), err)
	}
	return h.f.Sync()
}

func (h *csvHook) close() {
	if h.f != nil {
		h.f.Close()
	}
}
