package report

import (
	"bufio"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/engine"
)

// StepLR is the learning rate of one optimizer step of a schedule preview.
type StepLR struct {
	// Step is the 1-based optimizer step, numbered as steps.csv's step
	// column.
	Step int
	// Epoch is the run's progress when the step starts, in epochs:
	// (Step−1)/stepsPerEpoch, so 0 is the first step and an integer e the
	// first step of epoch e+1.
	Epoch float64
	// LR is the rate the step uses (schedule.scale_rule, warmup and the
	// schedule applied; reduce-on-plateau cannot be previewed).
	LR float64
}

// SchedulePreview evaluates cfg's learning-rate schedule at every optimizer
// step of the run, exactly as training does (the same lrsched.Schedule),
// for a run of stepsPerEpoch optimizer steps per epoch (see
// OptimizerStepsPerEpoch). schedule.plateau, which depends on validation
// results, is not applied: with it the rates a run uses are at most these.
func SchedulePreview(cfg *config.Config, stepsPerEpoch int) ([]StepLR, error) {
	if stepsPerEpoch < 1 {
		return nil, engine.InputErrorf("steps per epoch: must be >= 1, got %d", stepsPerEpoch)
	}
	plan, err := engine.NewPlan(cfg)
	if err != nil {
		return nil, err
	}
	lr, err := plan.Schedule(stepsPerEpoch)
	if err != nil {
		return nil, err
	}
	total := stepsPerEpoch * cfg.Train.Epochs
	pts := make([]StepLR, total)
	for s := range pts {
		pts[s] = StepLR{Step: s + 1, Epoch: float64(s) / float64(stepsPerEpoch), LR: lr(s)}
	}
	return pts, nil
}

// OptimizerStepsPerEpoch is the number of optimizer steps of an epoch of
// trainExamples examples under cfg: ⌈⌈trainExamples/train.batch_size⌉ /
// train.accumulate⌉ (the last, smaller batch and group are kept).
func OptimizerStepsPerEpoch(cfg *config.Config, trainExamples int) (int, error) {
	if trainExamples < 1 {
		return 0, engine.InputErrorf("training examples: must be >= 1, got %d", trainExamples)
	}
	plan, err := engine.NewPlan(cfg)
	if err != nil {
		return 0, err
	}
	bs := max(plan.BatchSize, 1)
	return plan.StepsPerEpoch((trainExamples + bs - 1) / bs), nil
}

// TrainExamples loads cfg's training data as training does (train_limit,
// then the validation split carved out), on up to workers goroutines, and
// returns the number of training examples left.
func TrainExamples(cfg *config.Config, workers int) (int, error) {
	s, err := engine.LoadTrainSplits(cfg, workers)
	if err != nil {
		return 0, err
	}
	return s.Train.N, nil
}

// WarmupSteps is the length of cfg's warmup in optimizer steps for a run of
// stepsPerEpoch steps per epoch: round(schedule.warmup_epochs ·
// stepsPerEpoch), as training computes it.
func WarmupSteps(cfg *config.Config, stepsPerEpoch int) (int, error) {
	plan, err := engine.NewPlan(cfg)
	if err != nil {
		return 0, err
	}
	return plan.WarmupSteps(stepsPerEpoch), nil
}

// PlateauNote is the caveat a schedule preview shows when cfg enables
// reduce-on-plateau, or "".
func PlateauNote(cfg *config.Config) string {
	p := cfg.Schedule.Plateau
	if !p.Enabled {
		return ""
	}
	return fmt.Sprintf("schedule.plateau is enabled: reduce-on-plateau multiplies these rates by %g whenever %s stops improving, which depends on validation results and cannot be previewed; the run's rates are at most these", p.Factor, p.Metric)
}

// ScheduleTitle names cfg's schedule for a preview: the type, its interval
// when not the default, the warmup and the batch-size scaling rule.
func ScheduleTitle(cfg *config.Config) string {
	sc := cfg.Schedule
	typ := sc.Type
	if typ == "" {
		typ = "constant"
	}
	parts := []string{typ}
	if sc.Interval != "" {
		parts[0] += " (per " + sc.Interval + ")"
	}
	if sc.WarmupEpochs > 0 {
		unit := " epochs"
		if sc.WarmupEpochs == 1 {
			unit = " epoch"
		}
		parts = append(parts, "warmup "+strconv.FormatFloat(sc.WarmupEpochs, 'g', -1, 64)+unit)
	}
	if sc.ScaleRule != "" && sc.ScaleRule != "none" {
		parts = append(parts, fmt.Sprintf("%s scaling to batch %d from %d", sc.ScaleRule, cfg.Train.BatchSize, sc.BaseBatchSize))
	}
	if cfg.Schedule.Plateau.Enabled {
		parts = append(parts, "+ reduce-on-plateau (not shown)")
	}
	return strings.Join(parts, ", ")
}

// WriteScheduleCSV writes pts as CSV: the header step,epoch,lr and one row
// per step (epoch as StepLR.Epoch, numbers in Go's shortest exact form).
func WriteScheduleCSV(w io.Writer, pts []StepLR) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("step,epoch,lr\n")
	var row []byte
	for _, p := range pts {
		row = strconv.AppendInt(row[:0], int64(p.Step), 10)
		row = append(row, ',')
		row = strconv.AppendFloat(row, p.Epoch, 'g', -1, 64)
		row = append(row, ',')
		row = strconv.AppendFloat(row, p.LR, 'g', -1, 64)
		row = append(row, '\n')
		bw.Write(row)
	}
	return bw.Flush()
}

// PlotFormats are the file formats WriteSchedulePlot writes, by extension.
var PlotFormats = []string{"png", "svg", "pdf"}

// WriteSchedulePlot draws pts as a line plot (x: epoch, fractional; y:
// learning rate) titled title, with a dashed vertical line at the end of
// the warmup when warmupSteps > 0, and writes it to w in format (one of
// PlotFormats) at 8×4.5 inches (PNG at 96 dpi: 768×432 pixels).
func WriteSchedulePlot(w io.Writer, pts []StepLR, title string, warmupSteps, stepsPerEpoch int, format string) error {
	p := plot.New()
	p.Title.Text = "learning rate: " + title
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "learning rate"
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	xy := make(plotter.XYs, len(pts))
	top := 0.0
	for i, s := range pts {
		xy[i].X, xy[i].Y = s.Epoch, s.LR
		top = max(top, s.LR)
	}
	line, err := plotter.NewLine(xy)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	line.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	line.Width = vg.Points(1.5)
	p.Add(line)
	p.Legend.Add("lr", line)
	if warmupSteps > 0 && stepsPerEpoch > 0 {
		x := float64(warmupSteps) / float64(stepsPerEpoch)
		mark, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: top}})
		if err != nil {
			return fmt.Errorf("plot: %w", err)
		}
		mark.Color = color.RGBA{R: 214, G: 39, B: 40, A: 255}
		mark.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(mark)
		p.Legend.Add(fmt.Sprintf("warmup ends after step %d (epoch %.4g)", warmupSteps, x), mark)
	}
	p.Legend.Top = true
	if stepsPerEpoch > 0 {
		epochs := float64(len(pts)) / float64(stepsPerEpoch)
		p.X.Min, p.X.Max = 0, epochs
		p.X.Tick.Marker = epochTicks(epochs)
	}
	if top > 0 {
		p.Y.Max = top * 1.3 // room for the legend above the curve
	}
	return writePlot(w, p, format)
}

// writePlot draws p at 8×4.5 inches (PNG at 96 dpi: 768×432 pixels) and
// writes it to w in format, one of PlotFormats (else an *InputError).
func writePlot(w io.Writer, p *plot.Plot, format string) error {
	if !slices.Contains(PlotFormats, format) {
		return engine.InputErrorf("plot format %q: allowed: %s", format, strings.Join(PlotFormats, ", "))
	}
	c, err := draw.NewFormattedCanvas(8*vg.Inch, 4.5*vg.Inch, format)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	p.Draw(draw.New(c))
	_, err = c.WriteTo(w)
	return err
}

// epochTicks labels about 5–10 round epochs from 0 to epochs (1, 2 or 5
// times a power of ten apart).
func epochTicks(epochs float64) plot.ConstantTicks {
	step := math.Pow(10, math.Floor(math.Log10(epochs/5)))
	for _, m := range []float64{1, 2, 5, 10} {
		if epochs/(step*m) <= 10 {
			step *= m
			break
		}
	}
	var ticks plot.ConstantTicks
	for x := 0.0; x <= epochs*(1+1e-9); x += step {
		ticks = append(ticks, plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'g', 4, 64)})
	}
	return ticks
}
