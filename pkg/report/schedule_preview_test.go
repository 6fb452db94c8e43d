package report

import (
	"bytes"
	"encoding/csv"
	"image/png"
	"strconv"
	"strings"
	"testing"
)

// TestSchedulePreviewMatchesRun checks that the preview, computed before
// training from the number of training examples alone, is the lr column of
// steps.csv of a real run, exactly (cosine with warmup, also with
// accumulation and the linear batch-size scaling rule).
func TestSchedulePreviewMatchesRun(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra []string
	}{
		{"cosine with warmup", nil},
		{"accumulate 2, linear scaling", []string{"train.accumulate=2", "schedule.scale_rule=linear", "schedule.base_batch_size=16"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, append([]string{"train.epochs=3", "schedule.type=cosine", "schedule.warmup_epochs=1.5", "schedule.min_lr=0.001"}, tc.extra...)...)
			n, err := TrainExamples(cfg)
			if err != nil || n != trainLimit-100 {
				t.Fatalf("TrainExamples: %d, %v; want %d", n, err, trainLimit-100)
			}
			spe, err := OptimizerStepsPerEpoch(cfg, n)
			if err != nil {
				t.Fatal(err)
			}
			pts, err := SchedulePreview(cfg, spe)
			if err != nil {
				t.Fatal(err)
			}
			_, dir := trainRun(t, cfg)
			rows := readSteps(t, dir)
			if len(rows) != len(pts) {
				t.Fatalf("preview has %d steps, the run %d", len(pts), len(rows))
			}
			for i, r := range rows {
				p := pts[i]
				if p.Step != r.step || p.LR != r.lr || p.Epoch != float64(i)/float64(spe) {
					t.Fatalf("step %d: preview %+v, run lr %v", r.step, p, r.lr)
				}
			}
			// The warmup really is in there: the first step is a fraction of
			// the peak, which comes right at the warmup's end.
			w := WarmupSteps(cfg, spe)
			if w != int(1.5*float64(spe)+0.5) || pts[0].LR >= pts[w-1].LR || pts[w-1].LR < pts[w].LR {
				t.Errorf("warmup %d steps: lr %v at step 1, %v at step %d, %v after", w, pts[0].LR, pts[w-1].LR, w, pts[w].LR)
			}
		})
	}
}

func TestOptimizerStepsPerEpoch(t *testing.T) {
	for _, tc := range []struct {
		n, batch, acc, want int
	}{
		{500, 32, 1, 16}, {512, 32, 1, 16}, {500, 32, 3, 6}, {500, 32, 16, 1}, {1, 32, 4, 1},
	} {
		cfg := testConfig(t, "train.batch_size="+strconv.Itoa(tc.batch), "train.accumulate="+strconv.Itoa(tc.acc))
		if got, err := OptimizerStepsPerEpoch(cfg, tc.n); err != nil || got != tc.want {
			t.Errorf("%d examples, batch %d, accumulate %d: %d (%v), want %d", tc.n, tc.batch, tc.acc, got, err, tc.want)
		}
	}
	if _, err := OptimizerStepsPerEpoch(testConfig(t), 0); err == nil || !IsInputError(err) {
		t.Errorf("0 examples: %v, want an input error", err)
	}
	if _, err := SchedulePreview(testConfig(t), 0); err == nil || !IsInputError(err) {
		t.Errorf("0 steps per epoch: %v, want an input error", err)
	}
	if _, err := SchedulePreview(testConfig(t, "schedule.type=invsqrt"), 10); err == nil || !IsInputError(err) {
		t.Errorf("invsqrt without warmup: %v, want the schedule's input error", err)
	}
}

func TestWriteScheduleCSVAndPlot(t *testing.T) {
	cfg := testConfig(t, "schedule.type=cosine", "schedule.warmup_epochs=0.5", "schedule.plateau.enabled=true")
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
	if note := PlateauNote(testConfig(t)); note != "" {
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
	if err := WriteSchedulePlot(&b, pts, title, 0, 16, "gif"); err == nil || !IsInputError(err) {
		t.Errorf("gif: %v, want an input error", err)
	}
}
