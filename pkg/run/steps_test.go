package run

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/report"
)

// stepRow is one row of steps.csv.
type stepRow struct {
	step, epoch, batch int
	lr, loss           float64
}

// readSteps reads a run's steps.csv, checking its header.
func readSteps(t *testing.T, runDir string) []stepRow {
	t.Helper()
	f, err := os.Open(filepath.Join(runDir, StepsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("steps.csv: %v", err)
	}
	if len(recs) == 0 || !strings.HasPrefix(strings.Join(recs[0], ","), stepsBaseHeader+",acc,grad_norm") {
		t.Fatalf("steps.csv header %v, want %q and the monitor's columns", recs, stepsBaseHeader)
	}
	rows := make([]stepRow, len(recs)-1)
	for i, r := range recs[1:] {
		// acc on every row; grad_norm and the ratios every 20th step (the default).
		step, _ := strconv.Atoi(r[0])
		if acc, err := strconv.ParseFloat(r[5], 64); err != nil || acc < 0 || acc > 1 {
			t.Fatalf("steps.csv row %d: acc %q", i+1, r[5])
		}
		for j := 6; j < len(r); j++ {
			if measured := step%20 == 0; (r[j] != "") != measured {
				t.Fatalf("steps.csv row %d (step %d): %s = %q", i+1, step, recs[0][j], r[j])
			}
		}
		ints := make([]int, 3)
		for j := range ints {
			if ints[j], err = strconv.Atoi(r[j]); err != nil {
				t.Fatalf("steps.csv row %d: %v", i+1, err)
			}
		}
		lr, err1 := strconv.ParseFloat(r[3], 64)
		loss, err2 := strconv.ParseFloat(r[4], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("steps.csv row %d: %v %v", i+1, err1, err2)
		}
		rows[i] = stepRow{ints[0], ints[1], ints[2], lr, loss}
	}
	return rows
}

// TestStepsCSV checks steps.csv of a short run: one row per optimizer step
// with consecutive step numbers, epoch and batch positions that follow the
// batches (accumulation included), finite losses, and the rate of each
// epoch's last step equal to metrics.csv's lr at the same step.
func TestStepsCSV(t *testing.T) {
	for _, tc := range []struct {
		name       string
		accumulate int
	}{{"accumulate 1", 1}, {"accumulate 3", 3}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, "schedule.type=cosine", "schedule.warmup_epochs=0.5", "train.accumulate="+strconv.Itoa(tc.accumulate))
			_, dir := trainRun(t, cfg)
			rows := readSteps(t, dir)
			batches := (trainLimit - 100 + 31) / 32 // 500 training examples in batches of 32
			spe := (batches + tc.accumulate - 1) / tc.accumulate
			if len(rows) != spe*cfg.Train.Epochs {
				t.Fatalf("%d rows, want %d epochs × %d steps", len(rows), cfg.Train.Epochs, spe)
			}
			for i, r := range rows {
				e, j := i/spe, i%spe
				wantBatch := min((j+1)*tc.accumulate, batches)
				if r.step != i+1 || r.epoch != e+1 || r.batch != wantBatch {
					t.Fatalf("row %d: step %d epoch %d batch %d, want %d %d %d", i+1, r.step, r.epoch, r.batch, i+1, e+1, wantBatch)
				}
				if math.IsNaN(r.loss) || r.loss <= 0 || r.lr <= 0 {
					t.Fatalf("row %d: lr %v loss %v", i+1, r.lr, r.loss)
				}
			}
			for _, m := range readMetrics(t, dir) {
				step := int(num(t, m, "step"))
				if got := rows[step-1].lr; got != num(t, m, "lr") {
					t.Errorf("step %d: steps.csv lr %v, metrics.csv %v", step, got, num(t, m, "lr"))
				}
			}
		})
	}
}

// TestStepsCSVPlateau checks that steps.csv holds the rate actually used,
// reduce-on-plateau's factor included: with patience 0 and an absolute
// threshold no epoch can meet, epoch 2 counts as bad and epoch 3 runs at
// half the schedule's rate.
func TestStepsCSVPlateau(t *testing.T) {
	cfg := testConfig(t, "train.epochs=3", "schedule.type=cosine", "schedule.plateau.enabled=true", "schedule.plateau.patience=0",
		"schedule.plateau.factor=0.5", "schedule.plateau.threshold_mode=abs", "schedule.plateau.threshold=100")
	_, dir := trainRun(t, cfg)
	rows := readSteps(t, dir)
	spe := len(rows) / 3
	pts, err := report.SchedulePreview(cfg, spe)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		want := pts[i].LR
		if r.epoch == 3 {
			want *= 0.5
		}
		if r.lr != want {
			t.Fatalf("step %d (epoch %d): lr %v, want %v", r.step, r.epoch, r.lr, want)
		}
	}
}

func TestTruncateSteps(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, StepsFile)
	stepsHeader := stepsHeader([]string{"fc1.weight"})
	truncateSteps := func(p string, step int64) error { return truncateSteps(p, stepsHeader, step) }
	if err := truncateSteps(p, 5); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != stepsHeader {
		t.Errorf("a missing steps.csv became %q, want the header", b)
	}
	os.WriteFile(p, []byte(stepsHeader+"1,1,1,0.1,2\n2,1,2,0.1,2\n3,2,1,0.1,2\n4,2"), 0o644)
	if err := truncateSteps(p, 2); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != stepsHeader+"1,1,1,0.1,2\n2,1,2,0.1,2\n" {
		t.Errorf("truncated to step 2: %q", b)
	}
	os.WriteFile(p, []byte("epoch,step\n1,1\n"), 0o644)
	if err := truncateSteps(p, 2); err == nil || !engine.IsInputError(err) || !strings.Contains(err.Error(), "header") {
		t.Errorf("foreign header: %v, want an input error about the header", err)
	}
	// A steps.csv of a run started before the monitor columns is upgraded.
	os.WriteFile(p, []byte(stepsBaseHeader+"\n1,1,1,0.1,2\n2,1,2,0.1,2\n"), 0o644)
	if err := truncateSteps(p, 1); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != stepsHeader+"1,1,1,0.1,2,,,\n" {
		t.Errorf("an older steps.csv became %q", b)
	}
	os.WriteFile(p, []byte(stepsHeader+"x,1,1,0.1,2\n"), 0o644)
	if err := truncateSteps(p, 2); err == nil || !strings.Contains(err.Error(), StepsFile+":2:") {
		t.Errorf("a bad step column: %v, want an error naming line 2", err)
	}
}

// TestStepsHookNoAllocations checks that logging a step allocates nothing.
func TestStepsHookNoAllocations(t *testing.T) {
	h := newStepsHook(filepath.Join(t.TempDir(), StepsFile))
	tr := &engine.Trainer{}
	h.EpochStart(tr, 0)
	if h.err != nil {
		t.Fatal(h.err)
	}
	s := engine.StepStats{Epoch: 0, Batch: 3, Batches: 10, N: 32, Loss: 2.302585092994046, LR: 0.012345678901234567}
	allocs := testing.AllocsPerRun(1000, func() {
		tr.Step++
		h.StepEnd(tr, s)
	})
	if allocs != 0 {
		t.Errorf("StepEnd allocates %v times per step, want 0", allocs)
	}
	if err := h.EpochEnd(tr, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(h.path)
	if lines := strings.Count(string(b), "\n"); lines != 1+int(tr.Step) {
		t.Errorf("%d lines for %d steps", lines, tr.Step)
	}
}

// TestStepsHookReportsErrors checks that a steps.csv that cannot be
// written stops the run at the epoch end with the file named.
func TestStepsHookReportsErrors(t *testing.T) {
	h := newStepsHook(filepath.Join(t.TempDir(), StepsFile))
	tr := &engine.Trainer{Step: 3} // a resume onto a file that is not a steps.csv
	os.WriteFile(h.path, []byte("not,a,steps,file\n"), 0o644)
	h.EpochStart(tr, 0)
	h.StepEnd(tr, engine.StepStats{})
	if err := h.EpochEnd(tr, nil); err == nil || !strings.Contains(err.Error(), StepsFile) {
		t.Errorf("EpochEnd: %v, want an error naming %s", err, StepsFile)
	}
	if _, err := h.MarshalState(); err == nil {
		t.Error("MarshalState: no error, want the hook's error (a checkpoint must not pretend steps.csv is fine)")
	}
}
