package run

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/tboard"
)

// tbScalars reads every event file of a run's tb folder in order, as
// TensorBoard does: a session restart at step s drops the events of the
// earlier files from step s on. It returns tag → step → value and the
// decoded HParams summaries.
func tbScalars(t *testing.T, runDir string) (map[string]map[int64]float32, []tboard.HParamsData, map[string]int) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(runDir, TensorBoardDir, "events.out.tfevents.*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no event files in %s: %v", runDir, err)
	}
	slices.Sort(files)
	var events []tboard.Event
	for _, f := range files {
		evs, err := tboard.ReadFile(f) // every record's two CRCs, every message
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 || evs[0].FileVersion != tboard.FileVersion {
			t.Fatalf("%s: no file_version event first", f)
		}
		for _, e := range evs {
			if e.Restart {
				events = slices.DeleteFunc(events, func(old tboard.Event) bool { return old.Step >= e.Step })
			}
			events = append(events, e)
		}
	}
	scalars := map[string]map[int64]float32{}
	histos := map[string]int{}
	var hp []tboard.HParamsData
	for _, e := range events {
		for _, v := range e.Values {
			switch {
			case v.Simple != nil:
				if scalars[v.Tag] == nil {
					scalars[v.Tag] = map[int64]float32{}
				}
				if _, dup := scalars[v.Tag][e.Step]; dup {
					t.Errorf("%s written twice at step %d", v.Tag, e.Step)
				}
				scalars[v.Tag][e.Step] = *v.Simple
			case v.Histo != nil:
				histos[strings.SplitN(v.Tag, "/", 2)[0]]++
				if v.Histo.Num <= 0 || len(v.Histo.Buckets) > 64 {
					t.Errorf("histogram %s at step %d: %d values, %d buckets", v.Tag, e.Step, int(v.Histo.Num), len(v.Histo.Buckets))
				}
			case v.PluginName == "hparams":
				d, err := tboard.DecodeHParams(v.PluginContent)
				if err != nil {
					t.Fatal(err)
				}
				hp = append(hp, d)
			}
		}
	}
	return scalars, hp, histos
}

// checkTBMatchesCSV checks that every cell of metrics.csv (but step) is an
// epoch/COLUMN scalar at the row's step, and that every steps.csv loss, lr
// and filled monitor cell is a step scalar at its step, equal as float32.
func checkTBMatchesCSV(t *testing.T, runDir string, scalars map[string]map[int64]float32, skip map[string]bool) {
	t.Helper()
	check := func(file, prefix string, rename map[string]string) {
		b, err := os.ReadFile(filepath.Join(runDir, file))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		header := strings.Split(lines[0], ",")
		stepCol := slices.Index(header, "step")
		n := 0
		for _, l := range lines[1:] {
			cells := strings.Split(l, ",")
			step, _ := strconv.ParseInt(cells[stepCol], 10, 64)
			for i, c := range cells {
				col := header[i]
				if c == "" || col == "step" || skip[col] || (rename != nil && rename[col] == "-") {
					continue
				}
				tag := prefix + col
				if r, ok := rename[col]; ok {
					tag = r
				} else if name, ok := strings.CutPrefix(col, "update_ratio:"); ok {
					tag = tagRatio + name
				}
				want, _ := strconv.ParseFloat(c, 64)
				got, ok := scalars[tag][step]
				if !ok || got != float32(want) {
					t.Errorf("%s %s at step %d: %s in the CSV, %v (present %v) in TensorBoard", file, col, step, c, got, ok)
				}
				n++
			}
		}
		if n == 0 {
			t.Errorf("%s: no values compared", file)
		}
	}
	check(MetricsFile, tagEpoch, nil)
	check(StepsFile, "", map[string]string{"loss": tagStepLoss, "acc": tagStepAcc, "lr": tagStepLR, "grad_norm": tagGradNorm, "epoch": "-", "batch": "-"})
}

// TestTensorBoardEvents trains a small run with validation and EMA and
// reads its event file back: every scalar of metrics.csv and steps.csv at
// its step, histograms of weights, gradients and activations every epoch,
// the hyperparameters and the session's end.
func TestTensorBoardEvents(t *testing.T) {
	cfg := testfix.Config(t, "ema.enabled=true", "monitor.every=3", "monitor.histogram_bins=16", "train.epochs=3")
	res, dir := trainRun(t, cfg)
	scalars, hp, histos := tbScalars(t, dir)
	checkTBMatchesCSV(t, dir, scalars, nil)
	const lastStep = 3 * 16 // 500 training examples in batches of 32
	if got := scalars[tagTestAcc]; len(got) != 1 || got[lastStep] != float32(res.Test.Accuracy) {
		t.Errorf("test/acc = %v, want %v at the last step", got, res.Test.Accuracy)
	}
	// 3 epochs × 4 parameters (fc1 and classifier weight and bias) for
	// weights and grads, × 4 top-level layers (flatten, fc1, relu1,
	// classifier) for activations.
	if histos["weights"] != 3*4 || histos["grads"] != 3*4 || histos["activations"] != 3*4 {
		t.Errorf("histograms per kind: %v", histos)
	}
	var start *tboard.SessionStart
	var end *tboard.SessionEnd
	var exp *tboard.Experiment
	for _, d := range hp {
		if d.Start != nil {
			start = d.Start
		}
		if d.End != nil {
			end = d.End
		}
		if d.Experiment != nil {
			exp = d.Experiment
		}
	}
	if start == nil || start.HParams["optimizer.lr"] != 0.05 || start.HParams["model.arch"] != "mlp" || start.HParams["train.batch_size"] != 32.0 {
		t.Errorf("session start %+v", start)
	}
	if exp == nil || len(exp.HParams) != len(start.HParams) || len(exp.Metrics) != len(tbMetrics) {
		t.Errorf("experiment %+v", exp)
	}
	if end == nil || end.Status != tboard.StatusSuccess {
		t.Errorf("session end %+v", end)
	}
	h, err := ReadHistograms(filepath.Join(dir, HistogramsFile))
	if err != nil || len(h.Epochs) != 3 || len(h.Epochs[2].Weights) != 4 || len(h.Epochs[2].Activations) == 0 {
		t.Fatalf("histograms.json: %v %+v", err, h)
	}
	if a := h.Epochs[0].Activations[1]; a.Name != "fc1" || a.Num != float64(HistogramExamples*32) {
		t.Errorf("activation histogram %s counts %v values, want fc1's on the fixed batch of %d validation examples × 32", a.Name, a.Num, HistogramExamples)
	}
	for _, e := range h.Epochs {
		if e.Step != int64(e.Epoch*16) || math.IsNaN(e.Grads[0].Sum) {
			t.Errorf("epoch %d histograms at step %d", e.Epoch, e.Step)
		}
	}
}

// TestTensorBoardResume simulates a crash inside the second epoch of a
// finished run: last.ckpt is the one of step 21, while the event file
// holds all 48 steps, the test metrics and the session's end. After the
// resume, the event files read as TensorBoard reads them (the restart at
// step 22 drops the first file's later events) hold the uninterrupted
// run's scalars, each once.
func TestTensorBoardResume(t *testing.T) {
	cfg := testfix.Config(t, "train.epochs=3", "monitor.every=4")
	_, want := trainRun(t, cfg)
	stopped := filepath.Join(t.TempDir(), "stopped")
	_, err := Train(cfg, Options{OutDir: stopped, Pool: testfix.Pool(t, 2), StopAfterSteps: 21})
	var in *Interrupted
	if !errors.As(err, &in) {
		t.Fatalf("first part: %v", err)
	}
	_, dir := trainRun(t, cfg)
	ckpt, err := os.ReadFile(ckptPath(stopped, LastCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ckptPath(dir, LastCheckpoint), ckpt, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Train(cfg, Options{OutDir: dir, Pool: testfix.Pool(t, 2), Resume: true}); err != nil {
		t.Fatal(err)
	}
	got, _, _ := tbScalars(t, dir)
	ref, _, _ := tbScalars(t, want)
	timing := map[string]bool{tagEpoch + "epoch_seconds": true, tagEpoch + "images_per_second": true}
	for tag, steps := range ref {
		if len(got[tag]) != len(steps) {
			t.Errorf("%s: %d steps after the resume, %d straight", tag, len(got[tag]), len(steps))
			continue
		}
		for s, v := range steps {
			if g, ok := got[tag][s]; !ok || (!timing[tag] && g != v) {
				t.Errorf("%s at step %d: %v after the resume, %v straight", tag, s, g, v)
			}
		}
	}
	checkTBMatchesCSV(t, dir, got, nil)
}
