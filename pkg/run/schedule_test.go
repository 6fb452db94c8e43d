package run

import (
	"testing"

	"github.com/nettrain/nettrain/pkg/report"
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
			n, err := report.TrainExamples(cfg, 2)
			if err != nil || n != trainLimit-100 {
				t.Fatalf("TrainExamples: %d, %v; want %d", n, err, trainLimit-100)
			}
			spe, err := report.OptimizerStepsPerEpoch(cfg, n)
			if err != nil {
				t.Fatal(err)
			}
			pts, err := report.SchedulePreview(cfg, spe)
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
			w, err := report.WarmupSteps(cfg, spe)
			if err != nil {
				t.Fatal(err)
			}
			if w != int(1.5*float64(spe)+0.5) || pts[0].LR >= pts[w-1].LR || pts[w-1].LR < pts[w].LR {
				t.Errorf("warmup %d steps: lr %v at step 1, %v at step %d, %v after", w, pts[0].LR, pts[w-1].LR, w, pts[w].LR)
			}
		})
	}
}
