package report

import (
	"bytes"
	"image/png"
	"testing"
)

// TestWriteSearchPlot draws the three panels of a two-key search (one of
// them categorical in a second case) as a PNG of the expected width, and
// refuses an empty search.
func TestWriteSearchPlot(t *testing.T) {
	trials := []SearchTrial{
		{Values: []string{"0.1", "1e-5"}, Stage: 0, Metric: 0.8},
		{Values: []string{"0.01", "1e-4"}, Stage: 0, Metric: 0.85},
		{Values: []string{"0.03", "3e-5"}, Stage: 1, Metric: 0.87},
	}
	for _, tt := range []struct {
		name   string
		params []SearchParam
		trials []SearchTrial
		panels int
	}{
		{"two numeric keys", []SearchParam{{Key: "optimizer.lr", Log: true}, {Key: "regularization.l2", Log: true}}, trials, 3},
		{"a categorical key", []SearchParam{{Key: "optimizer.lr", Log: true}, {Key: "model.activation"}}, []SearchTrial{
			{Values: []string{"0.1", "relu"}, Metric: 0.8}, {Values: []string{"0.01", "gelu"}, Metric: 0.7}}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSearchPlot(&buf, SearchPlot{Metric: "val_acc", Max: true, Params: tt.params, Trials: tt.trials}); err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w <= h*tt.panels || w > h*(tt.panels+1) {
				t.Errorf("image %d×%d, want about %d square-ish panels", w, h, tt.panels)
			}
		})
	}
	if err := WriteSearchPlot(&bytes.Buffer{}, SearchPlot{Metric: "val_acc"}); err == nil {
		t.Error("an empty search drew a plot")
	}
}
