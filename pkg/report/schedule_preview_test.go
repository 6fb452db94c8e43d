package report

import (
	"bytes"
	"encoding/csv"
	"image/png"
	"strconv"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/engine"
)

func TestOptimizerStepsPerEpoch(t *testing.T) {
	for _, tc := range []struct {
		n, batch, acc, want int
	}{
		{500, 32, 1, 16}, {512, 32, 1, 16}, {500, 32, 3, 6}, {500, 32, 16, 1}, {1, 32, 4, 1},
	} {
		cfg := testfix.Config(t, "train.batch_size="+strconv.Itoa(tc.batch), "train.accumulate="+strconv.Itoa(tc.acc))
		if got, err := OptimizerStepsPerEpoch(cfg, tc.n); err != nil || got != tc.want {
			t.Errorf("%d examples, batch %d, accumulate %d: %d (%v), want %d", tc.n, tc.batch, tc.acc, got, err, tc.want)
		}
	}
	if _, err := OptimizerStepsPerEpoch(testfix.Config(t), 0); err == nil || !engine.IsInputError(err) {
		t.Errorf("0 examples: %v, want an input error", err)
	}
	if _, err := SchedulePreview(testfix.Config(t), 0); err == nil || !engine.IsInputError(err) {
		t.Errorf("0 steps per epoch: %v, want an input error", err)
	}
	if _, err := SchedulePreview(testfix.Config(t, "schedule.type=invsqrt"), 10); err == nil || !engine.IsInputError(err) {
		t.Errorf("invsqrt without warmup: %v, want the schedule's input error", err)
	}
}

func TestWriteScheduleCSVAndPlot(t *testing.T) {
	cfg := testfix.Config(t, "schedule.type=cosine", "schedule.warmup_epochs=0.5", "schedule.plateau.enabled=true")
	pts, err := SchedulePreview(cfg, 16)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteScheduleCSV(&b, pts); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(recs) != len(pts)+1 || strings.Join(recs[0], ",") != "step,epoch,lr" {
		t.Fatalf("CSV: %d records (%v), want the header and %d rows", len(recs), err, len(pts))
	}
	for i, r := range recs[1:] {
		lr, _ := strconv.ParseFloat(r[2], 64)
		ep, _ := strconv.ParseFloat(r[1], 64)
		if r[0] != strconv.Itoa(i+1) || lr != pts[i].LR || ep != pts[i].Epoch {
			t.Fatalf("CSV row %d: %v, want %+v", i+1, r, pts[i])
		}
	}

	title := ScheduleTitle(cfg)
	if !strings.Contains(title, "cosine") || !strings.Contains(title, "warmup 0.5 epochs") || !strings.Contains(title, "plateau") {
		t.Errorf("title %q", title)
	}
	if note := PlateauNote(cfg); !strings.Contains(note, "cannot be previewed") {
		t.Errorf("plateau note %q", note)
	}
	if note := PlateauNote(testfix.Config(t)); note != "" {
		t.Errorf("plateau note without plateau: %q", note)
	}
	b.Reset()
	if err := WriteSchedulePlot(&b, pts, title, 8, 16, "png"); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatalf("the plot is not a PNG: %v", err)
	}
	if r := img.Bounds(); r.Dx() != 768 || r.Dy() != 432 {
		t.Errorf("PNG is %v, want 768×432", r)
	}
	b.Reset()
	if err := WriteSchedulePlot(&b, pts, title, 0, 16, "svg"); err != nil || !strings.Contains(b.String(), "<svg") {
		t.Errorf("SVG: %v", err)
	}
	if err := WriteSchedulePlot(&b, pts, title, 0, 16, "gif"); err == nil || !engine.IsInputError(err) {
		t.Errorf("gif: %v, want an input error", err)
	}
}
