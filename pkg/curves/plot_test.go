package curves

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"math"
	"strings"
	"testing"
)

// loadFixtures loads handmade run folders.
func loadFixtures(t *testing.T, names ...string) []*Run {
	t.Helper()
	var paths []string
	for _, n := range names {
		paths = append(paths, fixture(n))
	}
	runs, err := LoadAll(paths)
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// pngSize draws runs as a PNG and returns its size in pixels.
func pngSize(t *testing.T, runs []*Run, opts PlotOptions) (w, h int) {
	t.Helper()
	var buf bytes.Buffer
	if err := Plot(runs, opts, &buf, "png"); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return img.Bounds().Dx(), img.Bounds().Dy()
}

// svgText draws runs as an SVG, checks that it parses as XML and returns
// its text.
func svgText(t *testing.T, runs []*Run, opts PlotOptions) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Plot(runs, opts, &buf, "svg"); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		if cd, ok := tok.(xml.CharData); ok {
			text.Write(cd)
			text.WriteByte('\n')
		}
	}
	return text.String()
}

// px is a length in inches at vgimg's 96 dpi.
func px(inches float64) int { return int(math.Round(inches * 96)) }

// TestPlotSizes: two panels side by side are one row; the update-ratio
// panel makes a second row; a caption adds a strip on top; --metric
// picks the panels.
func TestPlotSizes(t *testing.T) {
	healthy := loadFixtures(t, "healthy")
	for _, tt := range []struct {
		name     string
		runs     []*Run
		opts     PlotOptions
		wIn, hIn float64
		taller   bool // than the row(s) alone: a caption
	}{
		{"loss and acc", healthy, PlotOptions{}, 10, 3.5, false},
		{"with ratios", healthy, PlotOptions{Ratios: true}, 10, 7, false},
		{"ratios asked for but none", loadFixtures(t, "legacy"), PlotOptions{Ratios: true}, 10, 3.5, false},
		{"one panel", healthy, PlotOptions{Metrics: []string{"lr"}}, 5, 3.5, false},
		{"five panels", healthy, PlotOptions{Metrics: []string{"loss", "acc", "lr", "grad_norm", "epoch_seconds"}}, 10, 10.5, false},
		{"caption", healthy, PlotOptions{Caption: "healthy: " + strings.Repeat("a long sentence ", 20)}, 10, 3.5, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, h := pngSize(t, tt.runs, tt.opts)
			if w != px(tt.wIn) || (!tt.taller && h != px(tt.hIn)) || (tt.taller && h <= px(tt.hIn)) {
				t.Errorf("%d×%d px, want %d×%d%s", w, h, px(tt.wIn), px(tt.hIn), map[bool]string{true: " plus a caption"}[tt.taller])
			}
		})
	}
}

// TestPlotSVG: the SVG parses, names its panels, the update ratios and
// their band, the caption, and with several runs each run in a legend.
func TestPlotSVG(t *testing.T) {
	one := svgText(t, loadFixtures(t, "healthy"), PlotOptions{Ratios: true, RatioLow: 1e-4, RatioHigh: 0.05, Caption: "healthy: fine"})
	for _, w := range []string{"loss", "accuracy", "update ratio", "healthy band [1e-04, 5e-02]", "target 1e-03", "fc1.weight", "classifier.weight", "healthy: fine", "each step", "moving median"} {
		if !strings.Contains(one, w) {
			t.Errorf("SVG text lacks %q", w)
		}
	}
	without := svgText(t, loadFixtures(t, "healthy"), PlotOptions{})
	if strings.Contains(without, "update ratio") {
		t.Error("update ratios drawn without Ratios")
	}
	several := svgText(t, loadFixtures(t, "healthy", "noisy", "search"), PlotOptions{Ratios: true})
	for _, w := range []string{"healthy", "noisy", "trial 1 optimizer.lr=0.01", "trial 2 optimizer.lr=0.1", "train", "val"} {
		if !strings.Contains(several, w) {
			t.Errorf("SVG of several runs lacks %q", w)
		}
	}
	if strings.Contains(several, "trial 3") {
		t.Error("the empty trial 3 is drawn")
	}
}

// TestPlotDivergedAndSparse draws runs with a NaN loss, an infinite
// train_loss and sparse columns without failing.
func TestPlotDivergedAndSparse(t *testing.T) {
	runs := loadFixtures(t, "diverged-nan", "diverged-rising", "overfitting-gap")
	runs = append(runs, &Run{Name: "inf", Epochs: &Table{Columns: []string{"epoch", "train_loss"}, Values: [][]float64{{1, 2}, {math.Inf(1), 1}}}})
	if _, h := pngSize(t, runs, PlotOptions{Metrics: []string{"loss", "acc", "grad_norm", "ratios"}}); h != px(7) {
		t.Errorf("height %d", h)
	}
}

// TestPlotErrors: an unknown format, an unknown metric (naming those
// available), runs with nothing recorded.
func TestPlotErrors(t *testing.T) {
	healthy := loadFixtures(t, "healthy")
	empty := loadFixtures(t, "search")[2:]
	for _, tt := range []struct {
		name   string
		runs   []*Run
		opts   PlotOptions
		format string
		want   []string
	}{
		{"format", healthy, PlotOptions{}, "jpg", []string{`"jpg"`, "png, svg"}},
		{"metric", healthy, PlotOptions{Metrics: []string{"loss", "f1"}}, "png", []string{`"f1"`, "available: loss, acc, ratios, lr, train_loss", "grad_norm", "update_ratio:fc1.weight"}},
		{"ratios of a legacy run", loadFixtures(t, "legacy"), PlotOptions{Metrics: []string{"ratios"}}, "png", []string{`"ratios"`}},
		{"nothing recorded", empty, PlotOptions{}, "png", []string{"no run has an epoch or a step"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := Plot(tt.runs, tt.opts, io.Discard, tt.format)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if got := strings.Join(Available(loadFixtures(t, "still-improving")), ","); !strings.Contains(got, "custom_metric") || strings.Contains(got, "epoch,") {
		t.Errorf("Available %s", got)
	}
}
