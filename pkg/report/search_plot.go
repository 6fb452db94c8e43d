package report

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// SearchPlot is what a search's picture shows: each trial's searched
// values and metric.
type SearchPlot struct {
	// Metric names the metric; Max says higher is better.
	Metric string
	Max    bool
	// Params are the searched keys, in the order of each trial's Values.
	Params []SearchParam
	Trials []SearchTrial
}

// SearchParam is one searched key: Log draws it on a log axis.
type SearchParam struct {
	Key string
	Log bool
}

// SearchTrial is one trial with a metric: its values as text (numbers,
// or names drawn as categories), its stage (0-based) and metric.
type SearchTrial struct {
	Values []string
	Stage  int
	Metric float64
}

// stageColors tell the stages apart.
var stageColors = []color.Color{
	color.NRGBA{R: 31, G: 119, B: 180, A: 200},
	color.NRGBA{R: 255, G: 127, B: 14, A: 220},
	color.NRGBA{R: 44, G: 160, B: 44, A: 220},
	color.NRGBA{R: 214, G: 39, B: 40, A: 220},
}

// WriteSearchPlot draws the metric against each searched key (log axes
// where the range is logarithmic, one colour per stage, the best trial
// ringed) and, for two numeric keys, a scatter of the two coloured by the
// metric (the familiar random-search picture). It writes a PNG to w.
func WriteSearchPlot(w io.Writer, sp SearchPlot) error {
	if len(sp.Trials) == 0 {
		return fmt.Errorf("search plot: no trial has a metric")
	}
	best := 0
	for i, t := range sp.Trials {
		if (sp.Max && t.Metric > sp.Trials[best].Metric) || (!sp.Max && t.Metric < sp.Trials[best].Metric) {
			best = i
		}
	}
	var panels []*plot.Plot
	for j, p := range sp.Params {
		pl, err := sp.metricPanel(j, p, best)
		if err != nil {
			return err
		}
		panels = append(panels, pl)
	}
	if len(sp.Params) == 2 && sp.numeric(0) && sp.numeric(1) {
		pl, err := sp.pairPanel(best)
		if err != nil {
			return err
		}
		panels = append(panels, pl)
	}
	const side = 4 * vg.Inch
	c := vgimg.New(side*vg.Length(len(panels)), side*0.85)
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Points(4)}
	canvases := plot.Align([][]*plot.Plot{panels}, tiles, dc)
	for i, pl := range panels {
		pl.Draw(canvases[0][i])
	}
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	return err
}

// numeric reports whether every trial's value of param j is a number.
func (sp SearchPlot) numeric(j int) bool {
	for _, t := range sp.Trials {
		if _, err := strconv.ParseFloat(t.Values[j], 64); err != nil {
			return false
		}
	}
	return true
}

// xs returns the x coordinates of param j: the numbers, or for names the
// index of each name among the sorted names (and the tick labels).
func (sp SearchPlot) xs(j int) ([]float64, plot.Ticker) {
	x := make([]float64, len(sp.Trials))
	if sp.numeric(j) {
		for i, t := range sp.Trials {
			x[i], _ = strconv.ParseFloat(t.Values[j], 64)
		}
		return x, nil
	}
	var names []string
	for _, t := range sp.Trials {
		if !slices.Contains(names, t.Values[j]) {
			names = append(names, t.Values[j])
		}
	}
	slices.Sort(names)
	var ticks plot.ConstantTicks
	for k, n := range names {
		ticks = append(ticks, plot.Tick{Value: float64(k), Label: n})
	}
	for i, t := range sp.Trials {
		x[i] = float64(slices.Index(names, t.Values[j]))
	}
	return x, ticks
}

func (sp SearchPlot) metricPanel(j int, p SearchParam, best int) (*plot.Plot, error) {
	pl := plot.New()
	pl.Title.Text = fmt.Sprintf("%s vs %s", sp.Metric, p.Key)
	pl.X.Label.Text = p.Key
	pl.Y.Label.Text = sp.Metric
	pl.Add(plotter.NewGrid())
	x, ticks := sp.xs(j)
	if ticks != nil {
		pl.X.Tick.Marker = ticks
		pl.X.Min, pl.X.Max = -0.5, float64(len(ticks.Ticks(0, 0)))-0.5
	} else if p.Log && positive(x) {
		pl.X.Scale = plot.LogScale{}
		pl.X.Tick.Marker = plot.LogTicks{Prec: 1}
		pl.X.Label.Text += " (log scale)"
	}
	stages := 0
	for _, t := range sp.Trials {
		stages = max(stages, t.Stage+1)
	}
	for s := range stages {
		var pts plotter.XYs
		for i, t := range sp.Trials {
			if t.Stage == s {
				pts = append(pts, plotter.XY{X: x[i], Y: t.Metric})
			}
		}
		if len(pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, fmt.Errorf("search plot: %w", err)
		}
		sc.GlyphStyle.Color = stageColors[s%len(stageColors)]
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(3)
		pl.Add(sc)
		if stages > 1 {
			pl.Legend.Add(fmt.Sprintf("stage %d", s+1), sc)
		}
	}
	ring, err := plotter.NewScatter(plotter.XYs{{X: x[best], Y: sp.Trials[best].Metric}})
	if err != nil {
		return nil, fmt.Errorf("search plot: %w", err)
	}
	ring.GlyphStyle.Shape = draw.RingGlyph{}
	ring.GlyphStyle.Radius = vg.Points(6)
	ring.GlyphStyle.Color = color.Black
	pl.Add(ring)
	pl.Legend.Add("best", ring)
	pl.Legend.Top = !sp.Max
	return pl, nil
}

// pairPanel scatters the two searched keys, coloured by the metric.
func (sp SearchPlot) pairPanel(best int) (*plot.Plot, error) {
	x, _ := sp.xs(0)
	y, _ := sp.xs(1)
	pl := plot.New()
	pl.Title.Text = fmt.Sprintf("%s by colour (red best, blue worst)", sp.Metric)
	pl.X.Label.Text, pl.Y.Label.Text = sp.Params[0].Key, sp.Params[1].Key
	for i, ax := range []*plot.Axis{&pl.X, &pl.Y} {
		v := x
		if i == 1 {
			v = y
		}
		if sp.Params[i].Log && positive(v) {
			ax.Scale = plot.LogScale{}
			ax.Tick.Marker = plot.LogTicks{Prec: 1}
			ax.Label.Text += " (log scale)"
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, t := range sp.Trials {
		lo, hi = math.Min(lo, t.Metric), math.Max(hi, t.Metric)
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(lo)
	cm.SetMax(math.Max(hi, lo+1e-12))
	pts := make(plotter.XYs, len(sp.Trials))
	for i := range sp.Trials {
		pts[i] = plotter.XY{X: x[i], Y: y[i]}
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return nil, fmt.Errorf("search plot: %w", err)
	}
	sc.GlyphStyleFunc = func(i int) draw.GlyphStyle {
		v := sp.Trials[i].Metric
		if !sp.Max {
			v = lo + hi - v // best is red either way
		}
		c, err := cm.At(v)
		if err != nil {
			c = color.Gray{Y: 128}
		}
		return draw.GlyphStyle{Color: c, Shape: draw.CircleGlyph{}, Radius: vg.Points(4)}
	}
	pl.Add(plotter.NewGrid(), sc)
	ring, err := plotter.NewScatter(plotter.XYs{pts[best]})
	if err != nil {
		return nil, fmt.Errorf("search plot: %w", err)
	}
	ring.GlyphStyle = draw.GlyphStyle{Color: color.Black, Shape: draw.RingGlyph{}, Radius: vg.Points(7)}
	pl.Add(ring)
	return pl, nil
}

// positive reports whether every value is > 0 (drawable on a log axis).
func positive(v []float64) bool {
	for _, x := range v {
		if !(x > 0) {
			return false
		}
	}
	return true
}
