package report

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// WriteLRFindPlot draws the range test — each step's loss as a faint dot,
// the smoothed loss as a line, on a logarithmic rate axis — with the
// suggested rate marked, and writes it to w in format (see writePlot).
func WriteLRFindPlot(w io.Writer, r *LRFindReport, format string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("learning-rate range test: %s suggests %.3g", r.Rule, r.Suggestion)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = "learning rate (log scale)"
	p.Y.Label.Text = "training loss"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: 1}
	p.Add(plotter.NewGrid())

	var raw, smooth plotter.XYs
	lo := math.Inf(1)
	for _, pt := range r.Points {
		if math.IsNaN(pt.Loss) || math.IsInf(pt.Loss, 0) {
			continue
		}
		raw = append(raw, plotter.XY{X: pt.LR, Y: pt.Loss})
		smooth = append(smooth, plotter.XY{X: pt.LR, Y: pt.Smoothed})
		lo = min(lo, pt.Smoothed, pt.Loss)
	}
	if len(smooth) == 0 {
		return fmt.Errorf("plot: no finite loss to draw")
	}
	dots, err := plotter.NewScatter(raw)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	dots.GlyphStyle.Color = color.NRGBA{R: 31, G: 119, B: 180, A: 110} // not premultiplied: a see-through blue
	dots.GlyphStyle.Radius = vg.Points(1.5)
	dots.GlyphStyle.Shape = draw.CircleGlyph{}
	p.Add(dots)
	p.Legend.Add("loss of each step", dots)
	line, err := plotter.NewLine(smooth)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	line.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	line.Width = vg.Points(1.5)
	p.Add(line)
	p.Legend.Add("smoothed (EMA, bias-corrected)", line)

	// The y range runs from the lowest loss to a little above the first:
	// the blow-up that ends the test (often 1000× the loss) would squash
	// the part that matters; lines and dots beyond it are clipped.
	top := smooth[0].Y
	span := max(top-lo, 1e-3*top)
	p.Y.Min, p.Y.Max = max(0, lo-0.1*span), top+0.6*span
	mark, err := plotter.NewLine(plotter.XYs{{X: r.Suggestion, Y: p.Y.Min}, {X: r.Suggestion, Y: p.Y.Max}})
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	mark.Color = color.RGBA{R: 214, G: 39, B: 40, A: 255}
	mark.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(mark)
	p.Legend.Add(fmt.Sprintf("suggested rate %.3g (--set optimizer.lr=%.3g)", r.Suggestion, r.Suggestion), mark)
	p.Legend.Top = true

	return writePlot(w, p, format)
}
