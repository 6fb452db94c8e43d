package run

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/engine"
)

func TestEarlyStoppingObserve(t *testing.T) {
	cases := []struct {
		name  string
		es    engine.EarlyStopping
		seq   []float64
		stops int // 1-based epoch at which Observe first says stop, 0 = never
		best  float64
	}{
		{"min, patience 2", engine.EarlyStopping{Mode: "min", Patience: 2}, []float64{1, 0.8, 0.9, 0.7, 0.75, 0.71, 0.6}, 6, 0.7},
		{"min_delta makes small gains count as none", engine.EarlyStopping{Mode: "min", Patience: 2, MinDelta: 0.05}, []float64{1, 0.97, 0.96, 0.5}, 3, 1},
		{"max", engine.EarlyStopping{Mode: "max", Patience: 1}, []float64{0.5, 0.6, 0.6}, 3, 0.6},
		{"NaN never improves", engine.EarlyStopping{Mode: "min", Patience: 2}, []float64{math.NaN(), 1, math.NaN(), math.NaN()}, 4, 1},
		{"keeps improving", engine.EarlyStopping{Mode: "min", Patience: 1}, []float64{3, 2, 1}, 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			es := tc.es
			got := 0
			for i, v := range tc.seq {
				if es.Observe(i+1, v) {
					got = i + 1
					break
				}
			}
			if got != tc.stops || es.Best != tc.best {
				t.Errorf("stops at epoch %d with best %v, want %d and %v (state %+v)", got, es.Best, tc.stops, tc.best, es)
			}
		})
	}
}

// TestEarlyStoppingRun watches the training loss in mode max: it can only
// get worse after epoch 1, so patience 2 stops the run after epoch 3.
func TestEarlyStoppingRun(t *testing.T) {
	cfg := testConfig(t, "train.epochs=6", "train.early_stopping.enabled=true", "train.early_stopping.metric=train_loss",
		"train.early_stopping.mode=max", "train.early_stopping.patience=2")
	var out bytes.Buffer
	dir := filepath.Join(t.TempDir(), "run")
	res, err := Train(cfg, Options{OutDir: dir, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if rows := readMetrics(t, dir); len(rows) != 3 || len(res.Epochs) != 3 {
		t.Fatalf("%d metrics rows, %d epochs in the result, want 3", len(rows), len(res.Epochs))
	}
	if !strings.Contains(res.StopReason, "early stopping after epoch 3") || !strings.Contains(out.String(), "train_loss has not improved") {
		t.Errorf("stop reason %q; output:\n%s", res.StopReason, out.String())
	}
	// Resuming a stopped run trains nothing more.
	if _, err := Train(cfg, Options{OutDir: dir, Resume: true}); err != nil {
		t.Fatal(err)
	}
	if rows := readMetrics(t, dir); len(rows) != 3 {
		t.Errorf("resuming an early-stopped run: %d rows, want 3", len(rows))
	}
}

// dynamicsConfig turns on every feature with state a resume must restore:
// dropout (keyed by step), a cosine schedule, reduce-on-plateau, EMA with
// warmup, early stopping, the k best checkpoints and the divergence
// factor.
func dynamicsConfig(t *testing.T, extra ...string) []string {
	return append([]string{"model.dropout=0.2", "schedule.type=cosine", "schedule.plateau.enabled=true", "schedule.plateau.patience=0",
		"ema.enabled=true", "ema.warmup=true", "train.early_stopping.enabled=true", "train.early_stopping.patience=5",
		"checkpoint.keep_best=2", "checkpoint.monitor=val_loss", "train.divergence_factor=10", "train.epochs=3"}, extra...)
}

// sameRun checks that two run directories hold bit-identical checkpoints
// (every tensor: weights, buffers, optimizer state, EMA), the same
// metrics.csv apart from the timing columns, and a byte-identical
// steps.csv (it has no timing columns).
func sameRun(t *testing.T, want, got string) {
	t.Helper()
	ws, _ := os.ReadFile(filepath.Join(want, StepsFile))
	gs, _ := os.ReadFile(filepath.Join(got, StepsFile))
	if len(ws) == 0 || string(ws) != string(gs) {
		t.Errorf("steps.csv differs from the uninterrupted run's:\n%s\nwant\n%s", gs, ws)
	}
	for _, name := range []string{LastCheckpoint, BestCheckpoint, "best-2.ckpt"} {
		if ok, why := tensorsEqual(loadFile(t, ckptPath(want, name)), loadFile(t, ckptPath(got, name))); !ok {
			t.Errorf("%s differs: %s", name, why)
		}
	}
	a, b := readMetrics(t, want), readMetrics(t, got)
	if len(a) != len(b) {
		t.Fatalf("metrics.csv: %d rows vs %d", len(a), len(b))
	}
	for i := range a {
		for col, v := range a[i] {
			if !timingCols[col] && v != b[i][col] {
				t.Errorf("metrics.csv row %d %s: %s vs %s", i+1, col, v, b[i][col])
			}
		}
	}
}

func TestResumeIsExact(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra []string
		stop  Options
	}{
		{"after epoch 1", nil, Options{StopAfterEpochs: 1}},
		{"mid-epoch at step 21", nil, Options{StopAfterSteps: 21}},
		{"mid-epoch with accumulate 2", []string{"train.accumulate=2"}, Options{StopAfterSteps: 11}},
		{"swa, stopped inside the averaged epochs", []string{"swa.enabled=true", "swa.start=2", "swa.lr=0.01"}, Options{StopAfterSteps: 21}},
		{"staged unfreeze, stopped in the frozen epoch", []string{"train.freeze=[fc1.*]", "train.unfreeze_at=1"}, Options{StopAfterSteps: 7}},
		// The adaptive optimizers' state (moments, step count, squared
		// sums) comes back from last.ckpt on disk, not from memory.
		{"adam, mid-epoch", []string{"optimizer.type=adam", "optimizer.lr=0.002", "optimizer.momentum=0", "optimizer.nesterov=false"}, Options{StopAfterSteps: 13}},
		{"rmsprop with momentum, mid-epoch", []string{"optimizer.type=rmsprop", "optimizer.lr=0.001", "optimizer.momentum=0.5"}, Options{StopAfterSteps: 13}},
		{"adagrad, after epoch 1", []string{"optimizer.type=adagrad", "optimizer.lr=0.02", "optimizer.momentum=0", "optimizer.nesterov=false"}, Options{StopAfterEpochs: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, dynamicsConfig(t, tc.extra...)...)
			_, full := trainRun(t, cfg)

			dir := filepath.Join(t.TempDir(), "run")
			opt := tc.stop
			opt.OutDir = dir
			_, err := Train(cfg, opt)
			var in *Interrupted
			if !errors.As(err, &in) {
				t.Fatalf("stopped run: %v, want *Interrupted", err)
			}
			if tc.stop.StopAfterSteps > 0 && in.Batch == 0 {
				t.Fatalf("stopped at %+v, want inside an epoch", in)
			}
			if got := readSteps(t, dir); len(got) != int(in.Step) {
				t.Fatalf("after the stop at step %d steps.csv has %d rows", in.Step, len(got))
			}
			if _, err := os.Stat(filepath.Join(dir, SummaryFile)); err == nil {
				t.Error("an interrupted run wrote summary.json")
			}
			res, err := Train(cfg, Options{OutDir: dir, Resume: true})
			if err != nil {
				t.Fatalf("resume: %v", err)
			}
			if len(res.Epochs) != 3 {
				t.Errorf("resumed result has %d epochs, want 3", len(res.Epochs))
			}
			sameRun(t, full, dir)
		})
	}
}

// TestResumeAfterCrash simulates a crash during epoch 3: last.ckpt is the
// one from the end of epoch 1 while metrics.csv and steps.csv already have
// later rows, the last one half-written.
func TestResumeAfterCrash(t *testing.T) {
	cfg := testConfig(t, dynamicsConfig(t)...)
	_, full := trainRun(t, cfg)
	stopped := filepath.Join(t.TempDir(), "stopped")
	if _, err := Train(cfg, Options{OutDir: stopped, StopAfterEpochs: 1}); err == nil {
		t.Fatal("want *Interrupted")
	}
	crashed := filepath.Join(t.TempDir(), "crashed")
	_, err := Train(cfg, Options{OutDir: crashed})
	if err != nil {
		t.Fatal(err)
	}
	ep1, _ := os.ReadFile(ckptPath(stopped, LastCheckpoint))
	if err := os.WriteFile(ckptPath(crashed, LastCheckpoint), ep1, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(crashed, SummaryFile))
	// The crash also left a half-written row after the complete ones.
	f, err := os.OpenFile(filepath.Join(crashed, StepsFile), os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("999,9,9,0.0")
	f.Close()
	if _, err := Train(cfg, Options{OutDir: crashed, Resume: true}); err != nil {
		t.Fatalf("resume: %v", err)
	}
	sameRun(t, full, crashed)
}

func TestResumeRefusesChangedConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := Train(testConfig(t), Options{OutDir: dir, StopAfterEpochs: 1}); err == nil {
		t.Fatal("want *Interrupted")
	}
	changed := testConfig(t, "train.epochs=3")
	_, err := Train(changed, Options{OutDir: dir, Resume: true})
	if err == nil || !engine.IsInputError(err) || !strings.Contains(err.Error(), "--force") || !strings.Contains(err.Error(), "train.epochs was 2, now 3") {
		t.Fatalf("resume with a changed config: %v, want an input error naming the change and --force", err)
	}
	res, err := Train(changed, Options{OutDir: dir, Resume: true, Force: true})
	if err != nil || len(res.Epochs) != 3 {
		t.Fatalf("--force: %v", err)
	}
	_, err = Train(testConfig(t), Options{OutDir: filepath.Join(t.TempDir(), "none"), Resume: true})
	if err == nil || !strings.Contains(err.Error(), "last.ckpt") {
		t.Fatalf("resuming an empty folder: %v", err)
	}
}

// TestDivergenceGuard resumes a good run with lr=100: the first non-finite
// loss or gradient stops it before that step, naming the step and the
// parameter, and leaves last.ckpt of epoch 1 untouched.
func TestDivergenceGuard(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := Train(testConfig(t, "train.epochs=3"), Options{OutDir: dir, StopAfterEpochs: 1}); err == nil {
		t.Fatal("want *Interrupted")
	}
	before, _ := os.ReadFile(ckptPath(dir, LastCheckpoint))
	_, err := Train(testConfig(t, "train.epochs=3", "optimizer.lr=100"), Options{OutDir: dir, Resume: true, Force: true,
		Stdout: io.Discard})
	if err == nil {
		t.Fatal("lr=100 trained without diverging")
	}
	msg := err.Error()
	for _, want := range []string{"epoch 2, step", "diverged", "learning rate (100)", "NaN or Inf"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if engine.IsInputError(err) {
		t.Error("divergence reported as an input error")
	}
	after, _ := os.ReadFile(ckptPath(dir, LastCheckpoint))
	if !bytes.Equal(before, after) {
		t.Error("last.ckpt changed")
	}
	if l, err := LoadCheckpoint(ckptPath(dir, LastCheckpoint)); err != nil || l.Epoch != 1 {
		t.Errorf("last.ckpt: %v", err)
	}
	if rows := readMetrics(t, dir); len(rows) != 1 {
		t.Errorf("%d metrics rows, want 1", len(rows))
	}
}

// TestAccumulateMatchesLargerBatch checks that accumulating 2 batches of
// 16 takes the same steps as batches of 32, up to float rounding, on a
// model without batch norm or dropout (the last group, 16+4 examples,
// matches the last batch of 20 because each mini-batch's loss is weighted
// by its share of the group).
func TestAccumulateMatchesLargerBatch(t *testing.T) {
	_, big := trainRun(t, testConfig(t, "train.batch_size=32", "schedule.type=cosine", "regularization.l2=1e-3"))
	_, acc := trainRun(t, testConfig(t, "train.batch_size=16", "train.accumulate=2", "schedule.type=cosine", "regularization.l2=1e-3"))
	a, b := loadFile(t, ckptPath(big, LastCheckpoint)), loadFile(t, ckptPath(acc, LastCheckpoint))
	for _, ta := range a.Tensors {
		tb, ok := b.Tensor(ta.Name)
		if !ok {
			t.Fatalf("no %s", ta.Name)
		}
		var maxDiff, maxAbs float64
		for i := range ta.Data {
			maxDiff = math.Max(maxDiff, math.Abs(float64(ta.Data[i]-tb.Data[i])))
			maxAbs = math.Max(maxAbs, math.Abs(float64(ta.Data[i])))
		}
		if maxDiff > 1e-4*math.Max(maxAbs, 1e-3) {
			t.Errorf("%s: max difference %g (max |value| %g)", ta.Name, maxDiff, maxAbs)
		}
	}
	ra, rb := readMetrics(t, big), readMetrics(t, acc)
	for i := range ra {
		if ra[i]["step"] != rb[i]["step"] || ra[i]["lr"] != rb[i]["lr"] {
			t.Errorf("epoch %d: step/lr %s/%s vs %s/%s", i+1, ra[i]["step"], ra[i]["lr"], rb[i]["step"], rb[i]["lr"])
		}
		if d := math.Abs(num(t, ra[i], "train_loss") - num(t, rb[i], "train_loss")); d > 1e-4 {
			t.Errorf("epoch %d: train loss differs by %g", i+1, d)
		}
	}
}

func TestEMA(t *testing.T) {
	// The average follows torch-ema's formula.
	cfg := testConfig(t, "ema.enabled=true", "ema.decay=0.9", "ema.warmup=true")
	tr, m, _ := newTestTrainer(t, cfg)
	e := tr.EMA
	w := m.Params()[0].Value.Data
	start := e.Model.Params()[0].Value.Data[0]
	w[0] = start + 1
	e.Update() // n=1: d = min(0.9, 2/11)
	if got, want := e.Model.Params()[0].Value.Data[0], start-float32(1-2.0/11)*(start-w[0]); got != want {
		t.Errorf("after one update %v, want %v", got, want)
	}

	res, dir := trainRun(t, testConfig(t, "ema.enabled=true", "ema.decay=0.9", "train.epochs=2"))
	rows := readMetrics(t, dir)
	if rows[1]["ema_val_acc"] == "" || rows[1]["ema_val_loss"] == "" || !res.Epochs[1].HasEMA {
		t.Fatalf("no EMA metrics: %v", rows[1])
	}
	f := loadFile(t, ckptPath(dir, LastCheckpoint))
	for _, name := range []string{"ema.fc1.weight", "ema.classifier.bias"} {
		if _, ok := f.Tensor(name); !ok {
			names := []string{}
			for _, tn := range f.Tensors {
				names = append(names, tn.Name)
			}
			t.Fatalf("checkpoint lacks %s: %v", name, names)
		}
	}
	r, err := EvaluateCheckpoint(ckptPath(dir, LastCheckpoint), EvalOptions{Split: "val", EMA: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Loss != num(t, rows[1], "ema_val_loss") || !r.EMA {
		t.Errorf("eval --ema val loss %v, metrics.csv ema_val_loss %s", r.Loss, rows[1]["ema_val_loss"])
	}
	raw, _ := EvaluateCheckpoint(ckptPath(dir, LastCheckpoint), EvalOptions{Split: "val"})
	if raw.Loss == r.Loss || raw.Loss != num(t, rows[1], "val_loss") {
		t.Errorf("raw val loss %v, EMA %v, metrics.csv %s", raw.Loss, r.Loss, rows[1]["val_loss"])
	}

	_, plain := trainRun(t, testConfig(t, "train.epochs=1"))
	if readMetrics(t, plain)[0]["ema_val_acc"] != "" {
		t.Error("ema_val_acc is filled without EMA")
	}
	_, err = EvaluateCheckpoint(ckptPath(plain, LastCheckpoint), EvalOptions{EMA: true})
	if err == nil || !engine.IsInputError(err) || !strings.Contains(err.Error(), "no EMA weights") {
		t.Errorf("--ema without EMA weights: %v", err)
	}
}

// TestKeepBestAndEvery checks best.ckpt, best-1…best-k by val_loss and the
// periodic epoch-N.ckpt against metrics.csv.
func TestKeepBestAndEvery(t *testing.T) {
	res, dir := trainRun(t, testConfig(t, "train.epochs=5", "checkpoint.monitor=val_loss", "checkpoint.keep_best=3", "checkpoint.every=2", "optimizer.lr=0.2"))
	rows := readMetrics(t, dir)
	order := []int{0, 1, 2, 3, 4}
	// Stable sort by val_loss, ascending: ties keep the earlier epoch first.
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && num(t, rows[order[j]], "val_loss") < num(t, rows[order[j-1]], "val_loss"); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	epochOf := func(name string) int {
		l, err := LoadCheckpoint(ckptPath(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return l.Epoch
	}
	if got := epochOf(BestCheckpoint); got != order[0]+1 || res.Best.Epoch != got || res.BestMetric != "val_loss" {
		t.Errorf("best.ckpt is epoch %d (result %d %s), want %d", got, res.Best.Epoch, res.BestMetric, order[0]+1)
	}
	for k := 1; k <= 3; k++ {
		if got := epochOf(bestName(k)); got != order[k-1]+1 {
			t.Errorf("%s is epoch %d, want %d", bestName(k), got, order[k-1]+1)
		}
	}
	if _, err := os.Stat(ckptPath(dir, bestName(4))); err == nil {
		t.Error("best-4.ckpt exists with keep_best 3")
	}
	for _, e := range []int{2, 4} {
		if got := epochOf(epochName(e)); got != e {
			t.Errorf("%s is epoch %d", epochName(e), got)
		}
	}
	for _, e := range []int{1, 3, 5} {
		if _, err := os.Stat(ckptPath(dir, epochName(e))); err == nil {
			t.Errorf("%s exists with every 2", epochName(e))
		}
	}
}

// TestResumeAcceptsConfigOfOlderSchema resumes a checkpoint whose stored
// config lacks a key at its default value, as one written before that key
// existed: the stored config read by this nettrain is the same config, so
// no --force is needed; a real change is still refused.
func TestResumeAcceptsConfigOfOlderSchema(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	cfg := testConfig(t)
	if _, err := Train(cfg, Options{OutDir: dir, StopAfterEpochs: 1}); err == nil {
		t.Fatal("want *Interrupted")
	}
	// Rewrite last.ckpt as an older nettrain would have: without the
	// train.label_smoothing line (default 0) and with that YAML's hash.
	path := ckptPath(dir, LastCheckpoint)
	f, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range strings.Split(f.Metadata["config"], "\n") {
		if strings.TrimSpace(l) != "label_smoothing: 0" {
			kept = append(kept, l)
		}
	}
	if len(kept) != strings.Count(f.Metadata["config"], "\n") {
		t.Fatalf("the stored config has no line \"label_smoothing: 0\" to drop:\n%s", f.Metadata["config"])
	}
	old := strings.Join(kept, "\n")
	f.Metadata["config"], f.Metadata["config_sha256"] = old, configHash([]byte(old))
	if err := checkpoint.Save(path, f); err != nil {
		t.Fatal(err)
	}
	if _, err := Train(cfg, Options{OutDir: dir, Resume: true}); err != nil {
		t.Fatalf("resume with the same config of a newer schema: %v", err)
	}
	if _, err := Train(testConfig(t, "train.label_smoothing=0.1"), Options{OutDir: dir, Resume: true}); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("resume with a changed config: %v, want a refusal naming --force", err)
	}
}
