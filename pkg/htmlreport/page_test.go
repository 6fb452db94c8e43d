package htmlreport

import (
	"bytes"
	"html/template"
	"strings"
	"testing"
	"time"

	"github.com/nettrain/nettrain/pkg/tboard"
)

var fixedNow = func() time.Time { return time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC) }

// TestWriteFixtures renders the page of the handmade run and search
// folders of testdata/runs: what each shows, and the parts a folder
// without them leaves out.
func TestWriteFixtures(t *testing.T) {
	cases := []struct {
		dir        string
		want, lack []string
	}{
		{"../../testdata/runs/healthy", []string{"Run healthy", "Diagnosis", "<b>healthy</b>", "Learning curves", "data:image/png;base64,", "Metrics per epoch", "not finished"},
			[]string{"Confusion matrix", "Histograms", "Leaderboard"}},
		{"../../testdata/runs/overfitting-gap", []string{"<b>overfitting</b>", "class=\"warn\""}, nil},
		{"../../testdata/runs/search", []string{"Search search", "Leaderboard", "Trials&#39; curves", "<td>0.8</td>"}, []string{"Diagnosis"}},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, Options{Dir: c.dir, Now: fixedNow}); err != nil {
				t.Fatal(err)
			}
			page := b.String()
			for _, w := range c.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range c.lack {
				if strings.Contains(page, w) {
					t.Errorf("page has %q", w)
				}
			}
			if strings.Contains(page, "http://") && !strings.Contains(page, `xmlns="http://www.w3.org/2000/svg"`) {
				t.Error("page refers to the network")
			}
		})
	}
	// The leaderboard is best first (val_acc, max), the trial without a
	// metric last.
	var b bytes.Buffer
	if err := Write(&b, Options{Dir: "../../testdata/runs/search", Now: fixedNow}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if i, j, k := strings.Index(page, "<td>0.8</td>"), strings.Index(page, "<td>0.77</td>"), strings.Index(page, "<td>diverged</td>"); !(i >= 0 && i < j && j < k) {
		t.Errorf("leaderboard order: 0.8 at %d, 0.77 at %d, diverged at %d", i, j, k)
	}
}

// TestWriteBadFolder: a folder that is not a run is one error naming it.
func TestWriteBadFolder(t *testing.T) {
	dir := t.TempDir()
	err := Write(&bytes.Buffer{}, Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("error %v, want one naming %s", err, dir)
	}
}

// TestHeatmap checks the shares, the diagonal and the row accuracy.
func TestHeatmap(t *testing.T) {
	h := newHeatmap([][]int{{3, 1}, {0, 0}}, []string{"cat"})
	if h.Columns[0] != "cat" || h.Columns[1] != "1" {
		t.Errorf("columns %v", h.Columns)
	}
	r := h.Rows[0]
	if r.Accuracy != "0.750" || !r.Cells[0].Diag || r.Cells[1].Diag || r.Cells[0].Color != template.CSS("rgba(31, 119, 180, 0.750)") || r.Cells[1].Color != template.CSS("rgba(214, 39, 40, 0.500)") {
		t.Errorf("row 0 %+v", r)
	}
	if h.Rows[1].Accuracy != "–" {
		t.Errorf("an empty class has accuracy %q", h.Rows[1].Accuracy)
	}
}

// TestHistoSVG draws two histograms on one axis with the zero line.
func TestHistoSVG(t *testing.T) {
	before := tboard.NewHisto([]float32{-1, 0, 1}, 4)
	after := tboard.NewHisto([]float32{-2, 0.5, 2, 2}, 4)
	svg := string(histoSVG(&before, &after))
	if strings.Count(svg, "<rect") != 8 || !strings.Contains(svg, "#bbb") || !strings.Contains(svg, `stroke-dasharray`) || !strings.HasSuffix(svg, "</svg>") {
		t.Errorf("svg %s", svg)
	}
	one := tboard.NewHisto([]float32{3, 3}, 8)
	if svg := string(histoSVG(nil, &one)); strings.Count(svg, "<rect") != 1 {
		t.Errorf("constant values: %s", svg)
	}
}
