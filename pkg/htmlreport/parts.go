package htmlreport

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/run"
	"github.com/nettrain/nettrain/pkg/tboard"
)

// heatmap is a confusion matrix as table cells shaded by their share of
// the row.
type heatmap struct {
	Columns []string
	Rows    []heatRow
}

type heatRow struct {
	Name     string
	Cells    []heatCell
	Accuracy string
}

type heatCell struct {
	Count int
	Diag  bool
	// Color and Ink are CSS colours (safe: made here from numbers).
	Color, Ink template.CSS
}

// newHeatmap shades conf[t][p] (true class t, predicted p) by its share
// of row t; names label the classes (indices when nil).
func newHeatmap(conf [][]int, names []string) *heatmap {
	label := func(i int) string {
		if i < len(names) && names[i] != "" {
			return names[i]
		}
		return strconv.Itoa(i)
	}
	h := &heatmap{}
	for i := range conf {
		h.Columns = append(h.Columns, label(i))
	}
	for t, row := range conf {
		total := 0
		for _, c := range row {
			total += c
		}
		r := heatRow{Name: label(t), Accuracy: "–"}
		for p, c := range row {
			share := 0.0
			if total > 0 {
				share = float64(c) / float64(total)
			}
			ink := template.CSS("#222")
			if share > 0.55 {
				ink = "#fff"
			}
			// Blue for correct predictions, red for confusions; a square
			// root so that small confusions still show.
			color := template.CSS(fmt.Sprintf("rgba(214, 39, 40, %.3f)", math.Sqrt(share)))
			if p == t {
				color = template.CSS(fmt.Sprintf("rgba(31, 119, 180, %.3f)", share))
			}
			r.Cells = append(r.Cells, heatCell{Count: c, Diag: p == t, Color: color, Ink: ink})
		}
		if total > 0 && t < len(row) {
			r.Accuracy = fmt.Sprintf("%.3f", float64(row[t])/float64(total))
		}
		h.Rows = append(h.Rows, r)
	}
	return h
}

// histoKind is one kind of histogram (weights, gradients, activations).
type histoKind struct {
	Kind  string
	Items []histoItem
}

type histoItem struct {
	Name, Range string
	SVG         template.HTML
}

// addHistograms adds the first and last epoch's histograms of
// histograms.json to p; a missing file adds nothing.
func addHistograms(p *page, path string) error {
	h, err := run.ReadHistograms(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if len(h.Epochs) == 0 {
		return nil
	}
	first, last := h.Epochs[0], h.Epochs[len(h.Epochs)-1]
	p.HistFirst, p.HistLast = first.Epoch, last.Epoch
	p.HistogramsCaption = fmt.Sprintf("Of every parameter tensor, of its gradient in the epoch's last step, and of every layer's output on a fixed batch (%d examples); %d epochs recorded.", run.HistogramExamples, len(h.Epochs))
	for _, k := range []struct {
		name        string
		first, last []run.NamedHisto
	}{{"Weights", first.Weights, last.Weights}, {"Gradients", first.Grads, last.Grads}, {"Activations", first.Activations, last.Activations}} {
		kind := histoKind{Kind: k.name}
		for i, nh := range k.last {
			var before *tboard.Histo
			if i < len(k.first) && k.first[i].Name == nh.Name && first.Epoch != last.Epoch {
				before = &k.first[i].Histo
			}
			kind.Items = append(kind.Items, histoItem{
				Name:  nh.Name,
				Range: fmt.Sprintf("[%.3g, %.3g], std %.3g", nh.Min, nh.Max, histoStd(nh.Histo)),
				SVG:   histoSVG(before, &nh.Histo),
			})
		}
		if len(kind.Items) > 0 {
			p.Histograms = append(p.Histograms, kind)
		}
	}
	return nil
}

// histoStd is the standard deviation of the histogrammed values.
func histoStd(h tboard.Histo) float64 {
	if h.Num == 0 {
		return 0
	}
	m := h.Sum / h.Num
	return math.Sqrt(math.Max(0, h.SumSquares/h.Num-m*m))
}

// histoSVG draws before (grey, may be nil) and after (blue) as bars on one
// x axis, each scaled to its own tallest bucket.
func histoSVG(before, after *tboard.Histo) template.HTML {
	const w, h = 260.0, 80.0
	lo, hi := after.Min, after.Max
	if before != nil && before.Num > 0 {
		lo, hi = math.Min(lo, before.Min), math.Max(hi, before.Max)
	}
	if !(hi > lo) {
		lo, hi = lo-0.5, hi+0.5
	}
	x := func(v float64) float64 { return (v - lo) / (hi - lo) * w }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" role="img">`, w, h+12, w, h+12)
	bars := func(hg *tboard.Histo, fill string) {
		top := slices.Max(append([]float64{0}, hg.Buckets...))
		if top == 0 {
			return
		}
		left := hg.Min
		for i, c := range hg.Buckets {
			right := hg.BucketLimits[i]
			x0, x1 := x(left), x(right)
			if x1-x0 < 1 {
				x1 = x0 + 1
			}
			bh := c / top * h
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, x0, h-bh, x1-x0, bh, fill)
			left = right
		}
	}
	if before != nil {
		bars(before, "#bbb")
	}
	bars(after, "rgba(31,119,180,0.75)")
	fmt.Fprintf(&b, `<line x1="0" y1="%g" x2="%g" y2="%g" stroke="#999"/>`, h, w, h)
	if lo < 0 && hi > 0 {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="0" x2="%.1f" y2="%g" stroke="#666" stroke-dasharray="2,2"/><text x="%.1f" y="%g" font-size="9" text-anchor="middle">0</text>`, x(0), x(0), h, x(0), h+10)
	}
	fmt.Fprintf(&b, `<text x="1" y="%g" font-size="9">%.3g</text><text x="%g" y="%g" font-size="9" text-anchor="end">%.3g</text></svg>`, h+10, lo, w-1, h+10, hi)
	return template.HTML(b.String())
}

// searchMode is the search's metric and whether higher is better, from
// search.yaml (val_acc, max when it cannot be read).
func searchMode(dir string) (metric string, max bool) {
	cfg, err := config.Load(filepath.Join(dir, "search.yaml"), nil)
	if err != nil {
		return "val_acc", true
	}
	return cfg.Search.Metric, cfg.Search.Mode != "min"
}

// sortLeaderboard orders search.csv's rows best first by the metric
// column; rows without a metric go last, in trial order.
func sortLeaderboard(t *table, metric string, max bool) {
	col := slices.Index(t.Header, metric)
	if col < 0 {
		return
	}
	val := func(r []string) (float64, bool) {
		if col >= len(r) {
			return 0, false
		}
		v, err := strconv.ParseFloat(r[col], 64)
		return v, err == nil && !math.IsNaN(v)
	}
	slices.SortStableFunc(t.Rows, func(a, b []string) int {
		va, oka := val(a)
		vb, okb := val(b)
		switch {
		case oka != okb:
			if oka {
				return -1
			}
			return 1
		case !oka:
			return 0
		case max:
			return cmpFloat(vb, va)
		}
		return cmpFloat(va, vb)
	})
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
