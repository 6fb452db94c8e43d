package curves

import (
	"fmt"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/run"
	"image/color"
	"io"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Panel names Plot knows beside the columns of the files.
const (
	// LossPanel draws train_loss, val_loss and ema_val_loss per epoch and
	// each step's loss (a light scatter and its trend).
	LossPanel = "loss"
	// AccPanel draws train_acc, val_acc and ema_val_acc per epoch.
	AccPanel = "acc"
	// RatiosPanel draws each weight tensor's update ratio on a log axis
	// over the shaded healthy band, with a dotted line at RatioTarget.
	RatiosPanel = "ratios"
)

// DefaultMetrics are the panels Plot draws when PlotOptions.Metrics is
// empty.
var DefaultMetrics = []string{LossPanel, AccPanel}

// Formats are the image formats Plot writes.
var Formats = []string{"png", "svg"}

// The update-ratio band for runs without a config.yaml: the defaults of
// monitor.ratio_low and monitor.ratio_high (defined in pkg/config).
var (
	DefaultRatioLow  = config.Default().Monitor.RatioLow
	DefaultRatioHigh = config.Default().Monitor.RatioHigh
)

// RatioTarget is the usual update ratio, drawn as a dotted line.
const RatioTarget = 1e-3

// PlotOptions say what Plot draws.
type PlotOptions struct {
	// Metrics are the panels in order: LossPanel, AccPanel, RatiosPanel
	// or the name of any column of metrics.csv (drawn per epoch) or of
	// steps.csv (per step; a column in both is drawn per step). Empty
	// means DefaultMetrics.
	Metrics []string
	// Ratios adds the update-ratio panel after Metrics when a run has
	// update ratios and Metrics does not name it.
	Ratios bool
	// RatioLow and RatioHigh bound the shaded healthy band of the ratio
	// panel; 0 means DefaultRatioLow and DefaultRatioHigh.
	RatioLow, RatioHigh float64
	// Caption is text over the panels (such as the headline verdict),
	// wrapped to the width; empty means none.
	Caption string
}

// Sizes of the figure: each panel, and the caption's font.
const (
	panelWidth  = 5 * vg.Inch
	panelHeight = 3.5 * vg.Inch
	captionSize = 10 // points
)

// runColors tell the runs apart (matplotlib's tab10).
var runColors = []color.NRGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
	{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
}

func runColor(i int) color.NRGBA { return runColors[i%len(runColors)] }

// faded returns c with alpha a (non-premultiplied).
func faded(c color.NRGBA, a uint8) color.NRGBA { c.A = a; return c }

// Line styles of the splits: train solid, val dashed, EMA dotted.
var (
	dashVal      = []vg.Length{vg.Points(5), vg.Points(3)}
	dashEMA      = []vg.Length{vg.Points(1), vg.Points(2)}
	tensorDashes = [][]vg.Length{nil, {vg.Points(5), vg.Points(3)}, {vg.Points(1), vg.Points(2)}, {vg.Points(6), vg.Points(2), vg.Points(1), vg.Points(2)}}
)

// Available returns the metric names Plot accepts for runs: the panels
// (LossPanel, AccPanel, and RatiosPanel when a run has update ratios),
// then every column of the runs' metrics.csv and steps.csv but the
// epoch, step and batch counters, each once, in file order.
func Available(runs []*Run) []string {
	names := []string{LossPanel, AccPanel}
	ratios := false
	add := func(t *Table) {
		if t == nil {
			return
		}
		for _, c := range t.Columns {
			switch {
			case c == "epoch" || c == "step" || c == "batch":
			case strings.HasPrefix(c, RatioPrefix):
				ratios = true
				fallthrough
			default:
				if !slices.Contains(names, c) {
					names = append(names, c)
				}
			}
		}
	}
	for _, r := range runs {
		add(r.Epochs)
		add(r.Steps)
	}
	if ratios {
		names = slices.Insert(names, 2, RatiosPanel)
	}
	return names
}

// CheckMetrics returns an error naming the first of metrics that no run
// can draw, with the names that are available.
func CheckMetrics(runs []*Run, metrics []string) error {
	avail := Available(runs)
	for _, m := range metrics {
		if !slices.Contains(avail, m) {
			return fmt.Errorf("metric %q: not in these runs; available: %s", m, strings.Join(avail, ", "))
		}
	}
	return nil
}

// Plot draws runs — one colour each, overlaid — into one image of panels
// (two per row), each with epochs on the x axis (steps at their
// fractional epoch, see StepEpochs), and writes it to w as format (one of
// Formats). Runs that recorded nothing are left out (at least one must
// have something).
func Plot(runs []*Run, opts PlotOptions, w io.Writer, format string) error {
	if !slices.Contains(Formats, format) {
		return fmt.Errorf("plot format %q: allowed: %s", format, strings.Join(Formats, ", "))
	}
	var drawn []*Run
	for _, r := range runs {
		if !r.Empty() {
			drawn = append(drawn, r)
		}
	}
	if len(drawn) == 0 {
		return fmt.Errorf("plot: no run has an epoch or a step recorded")
	}
	metrics := opts.Metrics
	if len(metrics) == 0 {
		metrics = DefaultMetrics
	}
	if err := CheckMetrics(drawn, metrics); err != nil {
		return err
	}
	metrics = slices.Clone(metrics)
	if opts.Ratios && !slices.Contains(metrics, RatiosPanel) && slices.Contains(Available(drawn), RatiosPanel) {
		metrics = append(metrics, RatiosPanel)
	}
	fig := &figure{runs: drawn, opts: opts}
	var panels []*plot.Plot
	xmax := fig.lastEpoch()
	for _, m := range metrics {
		p, err := fig.panel(m)
		if err != nil {
			return fmt.Errorf("plot %s: %w", m, err)
		}
		p.X.Min, p.X.Max = 0, xmax
		panels = append(panels, p)
	}
	return fig.write(w, format, panels)
}

// figure is one Plot call's state.
type figure struct {
	runs []*Run
	opts PlotOptions
}

func (f *figure) single() bool { return len(f.runs) == 1 }

// lastEpoch returns the largest x of the runs: their last epoch or the
// fractional epoch of their last step (at least 1), every panel's x range
// being [0, lastEpoch].
func (f *figure) lastEpoch() float64 {
	x := 1.0
	for _, r := range f.runs {
		if e, _ := lastFinite(r.Epochs.Column("epoch")); e > x {
			x = e
		}
		if r.Steps != nil {
			if e, _ := lastFinite(StepEpochs(r.Steps)); e > x {
				x = e
			}
		}
	}
	return x
}

// label names a run in a legend of several runs: its name, and a search
// trial's searched values.
func (f *figure) label(r *Run) string {
	if len(r.Params) > 0 {
		return r.Name + " " + strings.Join(r.Params, " ")
	}
	return r.Name
}

// newPanel returns an empty panel with the house style.
func newPanel(title, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(4)
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = ylabel
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.Legend.ThumbnailWidth = vg.Points(18)
	p.Add(plotter.NewGrid())
	return p
}

// points returns the finite (x, y) pairs.
func points(x, y []float64) plotter.XYs {
	var pts plotter.XYs
	for i := range min(len(x), len(y)) {
		if isFinite(x[i]) && isFinite(y[i]) {
			pts = append(pts, plotter.XY{X: x[i], Y: y[i]})
		}
	}
	return pts
}

// addLine adds a line (with small dots at its points when dots) and
// returns it, or nil when there is nothing to draw.
func addLine(p *plot.Plot, pts plotter.XYs, c color.Color, width vg.Length, dashes []vg.Length, dots bool) (*plotter.Line, error) {
	if len(pts) == 0 {
		return nil, nil
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return nil, err
	}
	l.Color, l.Width, l.Dashes = c, width, dashes
	p.Add(l)
	if dots {
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: c, Shape: draw.CircleGlyph{}, Radius: vg.Points(1.8)}
		p.Add(s)
	}
	return l, nil
}

// split is one per-epoch column and how it is drawn.
type split struct {
	column, name string
	dashes       []vg.Length
}

// epochPanel draws per-epoch columns of every run; for the loss panel
// also each step's loss and its trend, and the y range is cut to the
// epochs' and the trends' values so that a blow-up does not squash the
// rest (the points above are clipped).
func (f *figure) epochPanel(title, ylabel string, splits []split, steps string) (*plot.Plot, error) {
	p := newPanel(title, ylabel)
	top, bottom := math.Inf(-1), math.Inf(1)
	see := func(pts plotter.XYs) {
		for _, q := range pts {
			top, bottom = max(top, q.Y), min(bottom, q.Y)
		}
	}
	used := map[string]bool{}
	for i, r := range f.runs {
		col := runColor(i)
		if steps != "" && r.Steps.Has(steps) {
			at := StepEpochs(r.Steps)
			v := r.Steps.Column(steps)
			raw := points(at, v)
			if len(raw) > 0 {
				sc, err := plotter.NewScatter(raw)
				if err != nil {
					return nil, err
				}
				sc.GlyphStyle = draw.GlyphStyle{Color: faded(col, 50), Shape: draw.CircleGlyph{}, Radius: vg.Points(1)}
				p.Add(sc)
				trend := points(at, MovingMedian(v, trendWindow(len(v))))
				see(trend)
				l, err := addLine(p, trend, faded(col, 150), vg.Points(1), nil, false)
				if err != nil {
					return nil, err
				}
				if f.single() {
					p.Legend.Add("each step", sc)
					p.Legend.Add(fmt.Sprintf("step trend (moving median, %d steps)", trendWindow(len(v))), l)
				}
			}
		}
		epoch := r.Epochs.Column("epoch")
		var first *plotter.Line
		for _, s := range splits {
			pts := points(epoch, r.Epochs.Column(s.column))
			see(pts)
			l, err := addLine(p, pts, col, vg.Points(1.6), s.dashes, len(pts) <= 60)
			if err != nil {
				return nil, err
			}
			if l == nil {
				continue
			}
			used[s.name] = true
			if f.single() {
				p.Legend.Add(s.name, l)
			} else if first == nil {
				first = l
			}
		}
		if first != nil {
			p.Legend.Add(f.label(r), first)
		}
	}
	if !f.single() {
		for _, s := range splits {
			if used[s.name] && len(used) > 1 {
				l, _ := plotter.NewLine(plotter.XYs{{}, {}})
				l.Color, l.Width, l.Dashes = color.Gray{Y: 90}, vg.Points(1.6), s.dashes
				p.Legend.Add(s.name, l)
			}
		}
	}
	if top > bottom && steps != "" {
		span := top - bottom
		p.Y.Max = top + 0.05*span
		p.Y.Min = bottom - 0.05*span
		if bottom >= 0 {
			p.Y.Min = max(0, p.Y.Min)
		}
	}
	return p, nil
}

// panel builds the panel for metric m.
func (f *figure) panel(m string) (*plot.Plot, error) {
	switch m {
	case LossPanel:
		p, err := f.epochPanel("loss", "loss", []split{{"train_loss", "train", nil}, {"val_loss", "val", dashVal}, {"ema_val_loss", "EMA val", dashEMA}}, "loss")
		if err == nil {
			p.Legend.Top = true
		}
		return p, err
	case AccPanel:
		return f.epochPanel("accuracy", "accuracy", []split{{"train_acc", "train", nil}, {"val_acc", "val", dashVal}, {"ema_val_acc", "EMA val", dashEMA}}, "")
	case RatiosPanel:
		return f.ratioPanel()
	}
	return f.columnPanel(m)
}

// columnPanel draws one column: per step when a run's steps.csv has it
// (as a line when it is filled on at most half the rows, such as
// grad_norm, or is lr; else a scatter and its trend), else per epoch.
func (f *figure) columnPanel(m string) (*plot.Plot, error) {
	p := newPanel(m, m)
	for i, r := range f.runs {
		col := runColor(i)
		var pts plotter.XYs
		var err error
		var l *plotter.Line
		switch {
		case r.Steps.Has(m):
			v := r.Steps.Column(m)
			at := StepEpochs(r.Steps)
			pts = points(at, v)
			if m == "lr" || 2*len(pts) <= len(v) {
				l, err = addLine(p, pts, col, vg.Points(1.2), nil, m != "lr" && len(pts) <= 200)
				break
			}
			sc, serr := plotter.NewScatter(pts)
			if serr != nil {
				return nil, serr
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: faded(col, 50), Shape: draw.CircleGlyph{}, Radius: vg.Points(1)}
			p.Add(sc)
			l, err = addLine(p, points(at, MovingMedian(v, trendWindow(len(v)))), col, vg.Points(1.2), nil, false)
		case r.Epochs.Has(m):
			pts = points(r.Epochs.Column("epoch"), r.Epochs.Column(m))
			l, err = addLine(p, pts, col, vg.Points(1.6), nil, len(pts) <= 60)
		}
		if err != nil {
			return nil, err
		}
		if l != nil && !f.single() {
			p.Legend.Add(f.label(r), l)
		}
	}
	p.Legend.Top = true
	return p, nil
}

// band returns the healthy update-ratio band of the options.
func (f *figure) band() (lo, hi float64) {
	lo, hi = f.opts.RatioLow, f.opts.RatioHigh
	if !(lo > 0) {
		lo = DefaultRatioLow
	}
	if !(hi > lo) {
		hi = max(DefaultRatioHigh, 10*lo)
	}
	return lo, hi
}

// rateScale is, per step, the factor that puts an update ratio at the
// run's peak rate: peak lr / lr, as the training monitor's warnings judge
// it (a schedule's decay is not a layer that stops learning); NaN where
// the rate is below run.MinRateFraction of the peak, which is not drawn.
// Without an lr column the ratios are drawn as they are.
func rateScale(steps *Table) []float64 {
	scale := make([]float64, steps.Rows())
	lr := steps.Column("lr")
	peak := 0.0
	for _, x := range lr {
		if isFinite(x) {
			peak = max(peak, x)
		}
	}
	for k := range scale {
		switch {
		case lr == nil || peak == 0:
			scale[k] = 1
		case lr[k] >= run.MinRateFraction*peak:
			scale[k] = peak / lr[k]
		default:
			scale[k] = math.NaN()
		}
	}
	return scale
}

// ratioPanel draws the update ratios (values > 0 only: a log axis) over
// the shaded band [RatioLow, RatioHigh] and a dotted line at RatioTarget.
// One run: a colour per tensor; several: a colour per run and a line
// style per tensor.
func (f *figure) ratioPanel() (*plot.Plot, error) {
	// No y label: gonum centres it at the linear midpoint of the range,
	// near the top of a log axis, where it would push the panel down.
	p := newPanel("update ratio ‖ΔW‖/‖W‖ at the peak rate (× lr_max/lr; log scale)", "")
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: 1}
	lo, hi := f.band()
	ymin, ymax := lo, hi
	type curve struct {
		pts         plotter.XYs
		run, tensor int
	}
	var curves []curve
	var tensors []string
	for i, r := range f.runs {
		if r.Steps == nil {
			continue
		}
		at := StepEpochs(r.Steps)
		scale := rateScale(r.Steps)
		for _, name := range r.RatioColumns() {
			v := r.Steps.Column(RatioPrefix + name)
			var pts plotter.XYs
			for k := range v {
				if y := v[k] * scale[k]; isFinite(y) && y > 0 {
					pts = append(pts, plotter.XY{X: at[k], Y: y})
					ymin, ymax = min(ymin, y), max(ymax, y)
				}
			}
			if !slices.Contains(tensors, name) {
				tensors = append(tensors, name)
			}
			if len(pts) > 0 {
				curves = append(curves, curve{pts, i, slices.Index(tensors, name)})
			}
		}
	}
	xmin, xmax := 0.0, f.lastEpoch()
	shade, err := plotter.NewPolygon(plotter.XYs{{X: xmin, Y: lo}, {X: xmax, Y: lo}, {X: xmax, Y: hi}, {X: xmin, Y: hi}})
	if err != nil {
		return nil, err
	}
	shade.Color = color.NRGBA{R: 44, G: 160, B: 44, A: 40}
	shade.LineStyle.Width = 0
	p.Add(shade)
	p.Legend.Add(fmt.Sprintf("healthy band [%.0e, %.0e]", lo, hi), shade)
	if RatioTarget > ymin && RatioTarget < ymax {
		target, err := addLine(p, plotter.XYs{{X: xmin, Y: RatioTarget}, {X: xmax, Y: RatioTarget}}, color.Gray{Y: 60}, vg.Points(1), []vg.Length{vg.Points(1), vg.Points(2)}, false)
		if err != nil {
			return nil, err
		}
		p.Legend.Add(fmt.Sprintf("target %.0e", RatioTarget), target)
	}
	legend := map[string]bool{}
	for _, c := range curves {
		clr := runColor(c.run)
		var dashes []vg.Length
		if f.single() {
			clr = runColor(c.tensor)
		} else {
			dashes = tensorDashes[c.tensor%len(tensorDashes)]
		}
		l, err := addLine(p, c.pts, clr, vg.Points(1.2), dashes, len(c.pts) <= 60)
		if err != nil {
			return nil, err
		}
		name := tensors[c.tensor]
		if !f.single() {
			name = f.label(f.runs[c.run])
		}
		if !legend[name] {
			legend[name] = true
			if !f.single() {
				l2, _ := plotter.NewLine(plotter.XYs{{}, {}})
				l2.Color, l2.Width = clr, l.Width
				l = l2
			}
			p.Legend.Add(name, l)
		}
	}
	if !f.single() && len(tensors) > 1 {
		for k, name := range tensors {
			l, _ := plotter.NewLine(plotter.XYs{{}, {}})
			l.Color, l.Width, l.Dashes = color.Gray{Y: 90}, vg.Points(1.2), tensorDashes[k%len(tensorDashes)]
			p.Legend.Add(name, l)
		}
	}
	p.Y.Min, p.Y.Max = ymin/2, ymax*2
	p.Legend.Top = true
	return p, nil
}

// write lays the panels out two per row under the caption and writes
// the image.
func (f *figure) write(w io.Writer, format string, panels []*plot.Plot) error {
	cols := min(2, len(panels))
	rows := (len(panels) + cols - 1) / cols
	width := panelWidth * vg.Length(cols)
	sty := plot.New().Title.TextStyle
	sty.Font.Size = vg.Points(captionSize)
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YTop
	margin := vg.Points(8)
	var lines []string
	if f.opts.Caption != "" {
		lines = wrap(f.opts.Caption, width-2*margin, sty.Width)
	}
	lineHeight := sty.Height("Mg") * 1.25
	capHeight := vg.Length(0)
	if len(lines) > 0 {
		capHeight = lineHeight*vg.Length(len(lines)) + 2*margin
	}
	height := panelHeight*vg.Length(rows) + capHeight
	var c vg.CanvasWriterTo
	if format == "svg" {
		c = vgsvg.New(width, height)
	} else {
		c = vgimg.PngCanvas{Canvas: vgimg.New(width, height)}
	}
	dc := draw.New(c)
	dc.FillPolygon(color.White, []vg.Point{{X: 0, Y: 0}, {X: width, Y: 0}, {X: width, Y: height}, {X: 0, Y: height}})
	for i, l := range lines {
		dc.FillText(sty, vg.Point{X: margin, Y: height - margin - lineHeight*vg.Length(i)}, l)
	}
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for k := range cols {
			if i := r*cols + k; i < len(panels) {
				grid[r][k] = panels[i]
			}
		}
	}
	area := draw.Crop(dc, 0, 0, 0, -capHeight)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(6), PadY: vg.Points(6), PadTop: vg.Points(2), PadBottom: vg.Points(2), PadLeft: vg.Points(2), PadRight: vg.Points(6)}
	canvases := plot.Align(grid, tiles, area)
	for r := range grid {
		for k, p := range grid[r] {
			if p != nil {
				p.Draw(canvases[r][k])
			}
		}
	}
	_, err := c.WriteTo(w)
	return err
}

// wrap breaks text into lines no wider than width (a word longer than
// the width gets a line of its own).
func wrap(text string, width vg.Length, measure func(string) vg.Length) []string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			if line != "" && measure(line+" "+word) > width {
				lines = append(lines, line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += word
		}
		lines = append(lines, line)
	}
	return lines
}
