package run

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/report"
	"github.com/nettrain/nettrain/pkg/rng"
	"github.com/nettrain/nettrain/pkg/tensor"
)

var (
	testConfig = testfix.Config
	smallData  = testfix.SmallData
	firstN     = testfix.FirstN
)

const trainLimit = testfix.TrainLimit

// trainRun trains cfg into a fresh run directory and returns the result and
// the directory.
func trainRun(t *testing.T, cfg *config.Config) (*Result, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	res, err := Train(cfg, Options{OutDir: dir, Pool: testfix.Pool(t, 2)})
	if err != nil {
		t.Fatalf("Train: %v", err)
	}
	return res, dir
}

func ckptPath(runDir, name string) string { return filepath.Join(runDir, CheckpointDir, name) }

// metricsCSV is metrics.csv read back: rows of named columns.
type metricsCSV []map[string]string

func readMetrics(t *testing.T, runDir string) metricsCSV {
	t.Helper()
	f, err := os.Open(filepath.Join(runDir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("metrics.csv: %v", err)
	}
	want := "epoch,step,lr,train_loss,train_acc,val_loss,val_acc,ema_val_loss,ema_val_acc,epoch_seconds,images_per_second"
	if len(recs) == 0 || strings.Join(recs[0], ",") != want {
		t.Fatalf("metrics.csv header %v, want %s", recs, want)
	}
	var rows metricsCSV
	for _, r := range recs[1:] {
		row := map[string]string{}
		for i, k := range recs[0] {
			row[k] = r[i]
		}
		rows = append(rows, row)
	}
	return rows
}

// num parses a float column of metrics.csv (written with 'g', -1, so the
// value round-trips exactly).
func num(t *testing.T, row map[string]string, col string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(row[col], 64)
	if err != nil {
		t.Fatalf("metrics.csv column %s: %v", col, err)
	}
	return v
}

// firstMax returns the index of the first largest value of col.
func firstMax(t *testing.T, rows metricsCSV, col string) int {
	t.Helper()
	best := 0
	for i := range rows {
		if num(t, rows[i], col) > num(t, rows[best], col) {
			best = i
		}
	}
	return best
}

var timingCols = map[string]bool{"epoch_seconds": true, "images_per_second": true}

// stripTimings deletes every timing (timingCols, and the position's
// "seconds") from decoded JSON, at any depth.
func stripTimings(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if timingCols[k] || k == "seconds" {
				delete(v, k)
			} else {
				stripTimings(x)
			}
		}
	case []any:
		for _, x := range v {
			stripTimings(x)
		}
	}
}

func loadFile(t *testing.T, path string) *checkpoint.File {
	t.Helper()
	f, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// tensorsEqual reports whether a and b hold the same tensors, bit for bit.
func tensorsEqual(a, b *checkpoint.File) (bool, string) {
	if len(a.Tensors) != len(b.Tensors) {
		return false, fmt.Sprintf("%d vs %d tensors", len(a.Tensors), len(b.Tensors))
	}
	for i, ta := range a.Tensors {
		tb := b.Tensors[i]
		if ta.Name != tb.Name || !reflect.DeepEqual(ta.Shape, tb.Shape) || len(ta.Data) != len(tb.Data) {
			return false, fmt.Sprintf("tensor %d: %s%v vs %s%v", i, ta.Name, ta.Shape, tb.Name, tb.Shape)
		}
		for j := range ta.Data {
			if math.Float32bits(ta.Data[j]) != math.Float32bits(tb.Data[j]) {
				return false, fmt.Sprintf("%s[%d]: %v vs %v", ta.Name, j, ta.Data[j], tb.Data[j])
			}
		}
	}
	return true, ""
}

// labelCounts counts the examples of each class.
func labelCounts(d *data.Dataset, classes int) []int {
	n := make([]int, classes)
	for _, y := range d.Y {
		n[y]++
	}
	return n
}

// reference scores m on d independently of engine.Evaluate: one forward pass over
// the whole set, arg-max (first on ties) and log-sum-exp in float64.
func reference(m *nn.Sequential, d *data.Dataset, classes int) (correct int, loss float64, conf [][]int) {
	x := tensor.FromData(d.Range(nil, 0, d.N), d.N, d.C, d.H, d.W)
	logits := m.Forward(&nn.Context{}, x)
	conf = make([][]int, classes)
	for i := range conf {
		conf[i] = make([]int, classes)
	}
	for i := 0; i < d.N; i++ {
		z := logits.Data[i*classes : (i+1)*classes]
		arg, mx := 0, float64(z[0])
		for j := range z {
			if float64(z[j]) > mx {
				arg, mx = j, float64(z[j])
			}
		}
		var s float64
		for _, v := range z {
			s += math.Exp(float64(v) - mx)
		}
		loss += mx + math.Log(s) - float64(z[d.Y[i]])
		conf[d.Y[i]][arg]++
		if arg == int(d.Y[i]) {
			correct++
		}
	}
	return correct, loss / float64(d.N), conf
}

// testSet loads the test split standardized with p (global or none).
func testSet(t *testing.T, p data.Preprocessor) *data.Dataset {
	t.Helper()
	d, err := data.LoadIDXDir(smallData(t), "test")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() == "global" {
		st := p.State()
		mean, _ := st.Tensor(data.TensorMean)
		std, _ := st.Tensor(data.TensorStd)
		d.X, d.Pixels = d.Range(nil, 0, d.N), nil
		for i, v := range d.X {
			d.X[i] = (v - mean.Data[0]) / std.Data[0]
		}
	}
	return d
}

func TestTrainDeterministic(t *testing.T) {
	resA, a := trainRun(t, testConfig(t))
	resB, b := trainRun(t, testConfig(t))

	rowsA, rowsB := readMetrics(t, a), readMetrics(t, b)
	if len(rowsA) != 2 || len(rowsB) != 2 {
		t.Fatalf("metrics.csv rows: %d and %d, want 2", len(rowsA), len(rowsB))
	}
	for i := range rowsA {
		for col, va := range rowsA[i] {
			if !timingCols[col] && va != rowsB[i][col] {
				t.Errorf("metrics.csv row %d column %s: %s vs %s", i+1, col, va, rowsB[i][col])
			}
		}
	}
	if !reflect.DeepEqual(resA.Test, resB.Test) {
		t.Errorf("test metrics differ: %+v vs %+v", resA.Test, resB.Test)
	}

	for _, name := range []string{LastCheckpoint, BestCheckpoint} {
		fa, fb := loadFile(t, ckptPath(a, name)), loadFile(t, ckptPath(b, name))
		if ok, why := tensorsEqual(fa, fb); !ok {
			t.Errorf("%s: tensors differ: %s", name, why)
		}
		if _, ok := fa.Tensor("optimizer." + fa.Tensors[0].Name + ".momentum_buffer"); !ok {
			t.Errorf("%s: no momentum buffer for %s (momentum is 0.9)", name, fa.Tensors[0].Name)
		}
		if len(fa.Metadata) != len(fb.Metadata) {
			t.Errorf("%s: metadata keys differ: %v vs %v", name, fa.Metadata, fb.Metadata)
		}
		for k, va := range fa.Metadata {
			vb := fb.Metadata[k]
			if k == engine.MetaMetrics || k == engine.MetaTrainState { // hold the epochs' timings
				var ma, mb map[string]any
				if json.Unmarshal([]byte(va), &ma) != nil || json.Unmarshal([]byte(vb), &mb) != nil {
					t.Fatalf("%s: metadata %s is not JSON: %q", name, k, va)
				}
				stripTimings(ma)
				stripTimings(mb)
				if !reflect.DeepEqual(ma, mb) {
					t.Errorf("%s: metadata %s differs apart from timings: %v vs %v", name, k, ma, mb)
				}
			} else if va != vb {
				t.Errorf("%s: metadata %s differs: %q vs %q", name, k, va, vb)
			}
		}
	}

	// Another seed: other init, split and shuffle, so every weight differs.
	_, c := trainRun(t, testConfig(t, "seed=2"))
	fa, fc := loadFile(t, ckptPath(a, LastCheckpoint)), loadFile(t, ckptPath(c, LastCheckpoint))
	for _, ta := range fa.Tensors {
		if !strings.HasSuffix(ta.Name, ".weight") {
			continue
		}
		tc, ok := fc.Tensor(ta.Name)
		if !ok {
			t.Fatalf("seed 2: no tensor %s", ta.Name)
		}
		if reflect.DeepEqual(ta.Data, tc.Data) {
			t.Errorf("seed 1 and seed 2 give the same %s", ta.Name)
		}
	}
}

// TestTrainBestAndFinalTest checks best.ckpt against metrics.csv and the
// reported test score against a fresh evaluation of best.ckpt.
func TestTrainBestAndFinalTest(t *testing.T) {
	cases := []struct {
		name      string
		overrides []string
		metric    string
		wantBest  int // best epoch, known from these fixed seeds; 0: don't care
	}{
		{"val, best is last", []string{"train.epochs=3"}, "val_acc", 3},
		{"val, best is first", []string{"train.epochs=3", "optimizer.lr=0.3"}, "val_acc", 1},
		{"no val, best in the middle", []string{"train.epochs=3", "optimizer.lr=0.2", "data.val_split=0"}, "train_acc", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, dir := trainRun(t, testConfig(t, tc.overrides...))
			rows := readMetrics(t, dir)
			if len(rows) != 3 || len(res.Epochs) != 3 {
				t.Fatalf("%d metrics rows, %d result epochs, want 3", len(rows), len(res.Epochs))
			}
			bi := firstMax(t, rows, tc.metric)
			bestEpoch := int(num(t, rows[bi], "epoch"))
			if tc.wantBest != 0 && bestEpoch != tc.wantBest {
				t.Logf("note: best epoch is %d, the case expected %d (fixture drift?)", bestEpoch, tc.wantBest)
			}
			if res.BestMetric != tc.metric || res.Best.Epoch != bestEpoch {
				t.Errorf("result best: %s epoch %d, metrics.csv says %s epoch %d", res.BestMetric, res.Best.Epoch, tc.metric, bestEpoch)
			}
			best, err := LoadCheckpoint(ckptPath(dir, BestCheckpoint))
			if err != nil {
				t.Fatal(err)
			}
			if best.Epoch != bestEpoch || best.Step != int64(num(t, rows[bi], "step")) {
				t.Errorf("best.ckpt is epoch %d step %d, want epoch %d step %s", best.Epoch, best.Step, bestEpoch, rows[bi]["step"])
			}
			if got := engine.MetricValue(best.Metrics, tc.metric); got != num(t, rows[bi], tc.metric) {
				t.Errorf("best.ckpt %s %v, metrics.csv %v", tc.metric, got, rows[bi][tc.metric])
			}
			for i, row := range rows {
				if hasVal := row["val_loss"] != "" || row["val_acc"] != ""; hasVal != (tc.metric == "val_acc") {
					t.Errorf("metrics.csv row %d: val_loss %q val_acc %q", i+1, row["val_loss"], row["val_acc"])
				}
			}
			// best.ckpt holds the same weights as last.ckpt iff the last epoch is the best.
			same, _ := tensorsEqual(loadFile(t, ckptPath(dir, BestCheckpoint)), loadFile(t, ckptPath(dir, LastCheckpoint)))
			if same != (bestEpoch == 3) {
				t.Errorf("best.ckpt equals last.ckpt: %v, best epoch %d of 3", same, bestEpoch)
			}

			// The reported test score is best.ckpt's, exactly.
			rep, err := EvaluateCheckpoint(ckptPath(dir, BestCheckpoint), EvalOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Split != "test" || rep.Epoch != bestEpoch || rep.N != 500 {
				t.Errorf("eval report: split %q epoch %d n %d", rep.Split, rep.Epoch, rep.N)
			}
			if rep.Accuracy != res.Test.Accuracy || rep.Loss != res.Test.Loss || !reflect.DeepEqual(rep.EvalMetrics, res.Test) {
				t.Errorf("EvaluateCheckpoint(best) = acc %v loss %v, Train reported acc %v loss %v",
					rep.Accuracy, rep.Loss, res.Test.Accuracy, res.Test.Loss)
			}
			correct, loss, _ := reference(best.Model.Net, testSet(t, best.Prep), best.Model.Classes)
			if res.Test.Correct != correct || math.Abs(res.Test.Loss-loss) > 1e-6*loss {
				t.Errorf("reported test: %d correct, loss %v; independent forward pass: %d, %v", res.Test.Correct, res.Test.Loss, correct, loss)
			}
			var summary Result
			b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
			if err != nil || json.Unmarshal(b, &summary) != nil {
				t.Fatalf("summary.json: %v", err)
			}
			if summary.Test.Accuracy != res.Test.Accuracy || summary.Best.Epoch != bestEpoch || summary.BestMetric != tc.metric {
				t.Errorf("summary.json: test acc %v best epoch %d (%s)", summary.Test.Accuracy, summary.Best.Epoch, summary.BestMetric)
			}
		})
	}
}

// TestEvaluateCheckpointSplits checks that "val" and "train" are carved
// exactly as in training, for several seeds and val_split forms.
func TestEvaluateCheckpointSplits(t *testing.T) {
	first := firstN(t, trainLimit)
	counts := labelCounts(first, 10)
	cases := []struct {
		seed, valSplit string
		nVal           int
	}{
		{"1", "100", 100},
		{"18446744073709551615", "0.15", 90},
		{"9007199254740993", "0.3333333333333333", 200}, // not exact in float64
	}
	for _, tc := range cases {
		t.Run("seed="+tc.seed+",val_split="+tc.valSplit, func(t *testing.T) {
			_, dir := trainRun(t, testConfig(t, "seed="+tc.seed, "data.val_split="+tc.valSplit))
			rows := readMetrics(t, dir)
			last := rows[len(rows)-1]
			path := ckptPath(dir, LastCheckpoint)
			val, err := EvaluateCheckpoint(path, EvalOptions{Split: "val"})
			if err != nil {
				t.Fatal(err)
			}
			if val.N != tc.nVal || val.Accuracy != num(t, last, "val_acc") || val.Loss != num(t, last, "val_loss") {
				t.Errorf("val: n %d acc %v loss %v; metrics.csv: n %d acc %s loss %s",
					val.N, val.Accuracy, val.Loss, tc.nVal, last["val_acc"], last["val_loss"])
			}
			// The batch size only changes the rounding of the mean loss.
			val7, err := EvaluateCheckpoint(path, EvalOptions{Split: "val", BatchSize: 7})
			if err != nil {
				t.Fatal(err)
			}
			if val7.Correct != val.Correct || math.Abs(val7.Loss-val.Loss) > 1e-9*val.Loss {
				t.Errorf("val with batch 7: %d correct loss %v, with default batch %d, %v", val7.Correct, val7.Loss, val.Correct, val.Loss)
			}
			train, err := EvaluateCheckpoint(path, EvalOptions{Split: "train"})
			if err != nil {
				t.Fatal(err)
			}
			if train.N != trainLimit-tc.nVal || train.Split != "train" {
				t.Errorf("train: split %q n %d, want %d", train.Split, train.N, trainLimit-tc.nVal)
			}
			// val and train partition the first train_limit examples.
			for c := range counts {
				got := 0
				for _, v := range val.Confusion[c] {
					got += v
				}
				for _, v := range train.Confusion[c] {
					got += v
				}
				if got != counts[c] {
					t.Errorf("class %d: %d examples in val+train, %d in the first %d", c, got, counts[c], trainLimit)
				}
			}
		})
	}
}

func TestTrainWithoutValidation(t *testing.T) {
	res, dir := trainRun(t, testConfig(t, "data.val_split=0"))
	if res.BestMetric != "train_acc" || res.Best.HasVal {
		t.Errorf("best metric %q (has val %v), want train_acc", res.BestMetric, res.Best.HasVal)
	}
	rows := readMetrics(t, dir)
	for i, row := range rows {
		if row["val_loss"] != "" || row["val_acc"] != "" {
			t.Errorf("row %d: val_loss %q val_acc %q, want empty", i+1, row["val_loss"], row["val_acc"])
		}
	}
	if want := int(num(t, rows[firstMax(t, rows, "train_acc")], "epoch")); res.Best.Epoch != want {
		t.Errorf("best epoch %d, highest train_acc in epoch %d", res.Best.Epoch, want)
	}
	path := ckptPath(dir, LastCheckpoint)
	_, err := EvaluateCheckpoint(path, EvalOptions{Split: "val"})
	var ie *engine.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "no validation split") {
		t.Errorf("eval --split val without a validation split: %v (%T), want *engine.InputError", err, err)
	}
	train, err := EvaluateCheckpoint(path, EvalOptions{Split: "train"})
	if err != nil || train.N != trainLimit {
		t.Errorf("eval --split train: %v, n %d, want %d", err, train.N, trainLimit)
	}
	if _, err := EvaluateCheckpoint(path, EvalOptions{Split: "dev"}); !engine.IsInputError(err) {
		t.Errorf("eval --split dev: %v, want an *engine.InputError", err)
	}
}

// TestCheckpointPreprocessing checks that the stored mean/std are fitted on
// the training split only.
func TestCheckpointPreprocessing(t *testing.T) {
	first := firstN(t, trainLimit)
	cases := []struct {
		name      string
		overrides []string
		nVal      int
	}{
		{"val split", []string{"data.val_split=100"}, 100},
		{"other seed", []string{"data.val_split=0.25", "seed=7"}, 150},
		{"no val split", []string{"data.val_split=0"}, 0},
		{"normalize none", []string{"preprocess.normalize=none"}, 100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, append([]string{"train.epochs=1"}, tc.overrides...)...)
			_, dir := trainRun(t, cfg)
			f := loadFile(t, ckptPath(dir, LastCheckpoint))
			var got data.PreprocessHeader
			if err := json.Unmarshal([]byte(f.Metadata[metaPreprocess]), &got); err != nil {
				t.Fatalf("metadata %s: %v", metaPreprocess, err)
			}
			if got.Method != cfg.Preprocess.Method {
				t.Fatalf("stored method %q, want %q", got.Method, cfg.Preprocess.Method)
			}
			var want [2]float32 // mean, std
			if cfg.Preprocess.Method == "global" {
				train, _, err := data.SplitValidation(first, tc.nVal, rng.New(cfg.Seed, rng.Split).Uint64())
				if err != nil {
					t.Fatal(err)
				}
				s := data.FitStandardizer(train)
				want = [2]float32{s.Mean, s.Std}
				if all := data.FitStandardizer(first); tc.nVal > 0 && all == s {
					t.Fatalf("test is vacuous: train split and all %d examples have the same mean/std", trainLimit)
				}
				mean, ok1 := f.Tensor(data.TensorMean)
				std, ok2 := f.Tensor(data.TensorStd)
				if !ok1 || !ok2 || [2]float32{mean.Data[0], std.Data[0]} != want {
					t.Errorf("stored preprocessing tensors %v %v, fitted on the training split %v", mean, std, want)
				}
			}
			l, err := LoadCheckpoint(ckptPath(dir, LastCheckpoint))
			if err != nil || l.Prep.Name() != cfg.Preprocess.Method {
				t.Fatalf("LoadCheckpoint prep %v (%v), want %s", l.Prep, err, cfg.Preprocess.Method)
			}
			if cfg.Preprocess.Method == "global" {
				st := l.Prep.State()
				mean, _ := st.Tensor(data.TensorMean)
				std, _ := st.Tensor(data.TensorStd)
				if [2]float32{mean.Data[0], std.Data[0]} != want {
					t.Errorf("LoadCheckpoint prep %v %v, want %v", mean, std, want)
				}
			}
		})
	}
}

func TestTrainDivergence(t *testing.T) {
	cases := []struct {
		name      string
		overrides []string
		completed int // epochs finished before the loss blew up
	}{
		{"lr 1e6 diverges in epoch 1", []string{"optimizer.lr=1.0e+6"}, 0},
		{"warmup to lr 30 diverges in epoch 2", []string{"optimizer.lr=30", "optimizer.momentum=0", "schedule.warmup_epochs=2", "train.epochs=3"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			_, err := Train(testConfig(t, tc.overrides...), Options{OutDir: dir})
			if err == nil {
				t.Fatal("training succeeded, want a divergence error")
			}
			msg := err.Error()
			if !strings.Contains(msg, "diverged") || !strings.Contains(msg, "learning rate") || engine.IsInputError(err) {
				t.Errorf("error %q (input error %v), want a non-input error mentioning divergence and the learning rate", msg, engine.IsInputError(err))
			}
			if want := fmt.Sprintf("epoch %d,", tc.completed+1); !strings.Contains(msg, want) {
				t.Errorf("error %q does not name %q", msg, want)
			}
			if rows := readMetrics(t, dir); len(rows) != tc.completed {
				t.Errorf("metrics.csv has %d rows, want %d", len(rows), tc.completed)
			}
			if _, err := os.Stat(filepath.Join(dir, SummaryFile)); err == nil {
				t.Errorf("a failed run wrote %s", SummaryFile)
			}
			for _, name := range []string{LastCheckpoint, BestCheckpoint} {
				path := ckptPath(dir, name)
				if tc.completed == 0 {
					if _, err := os.Stat(path); err == nil {
						t.Errorf("%s exists though no epoch finished", name)
					}
					continue
				}
				l, err := LoadCheckpoint(path)
				if err != nil {
					t.Fatalf("%s written before the divergence does not load: %v", name, err)
				}
				if l.Epoch != tc.completed {
					t.Errorf("%s is epoch %d, want %d", name, l.Epoch, tc.completed)
				}
				for _, p := range l.Model.Params() {
					for _, v := range p.Value.Data {
						if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
							t.Fatalf("%s: %s holds %v", name, p.Name, v)
						}
					}
				}
				rep, err := EvaluateCheckpoint(path, EvalOptions{})
				if err != nil || math.IsNaN(rep.Loss) || math.IsInf(rep.Loss, 0) {
					t.Errorf("evaluating %s: %v, loss %v", name, err, rep.Loss)
				}
			}
		})
	}
}

func TestSanity(t *testing.T) {
	ln10 := math.Log(10)
	cases := []struct {
		name      string
		overrides []string
		passed    bool
		check     func(t *testing.T, cfg *config.Config, r *report.SanityReport)
	}{
		{"reasonable config", nil, true, func(t *testing.T, _ *config.Config, r *report.SanityReport) {
			ic, oc := r.InitialLoss, r.Overfit
			if ic.Examples != 500 || ic.Expected != ln10 || math.Abs(ic.Loss-ln10) > 0.1*ln10 || ic.Diagnosis != "" {
				t.Errorf("initial loss check: %+v", ic)
			}
			if oc.Examples != 5*32 || oc.TrainAcc != 1 || oc.Steps > oc.MaxSteps || oc.FinalLoss >= oc.InitialLoss || oc.Diagnosis != "" {
				t.Errorf("overfit check: %+v", oc)
			}
		}},
		{"linear scale rule", []string{"schedule.scale_rule=linear", "schedule.base_batch_size=8"}, false, func(t *testing.T, cfg *config.Config, r *report.SanityReport) {
			// The overfit check trains at the run's base rate: optimizer.lr
			// scaled for batch 32 from 8 (it used the raw lr before), too high here.
			if want := 4 * cfg.Optimizer.LR; r.Overfit.LR != want || !strings.Contains(r.Overfit.Diagnosis, "0.2") {
				t.Errorf("overfit rate %g, want %g (schedule.scale_rule applied)", r.Overfit.LR, want)
			}
		}},
		{"lr 50", []string{"optimizer.lr=50"}, false, func(t *testing.T, _ *config.Config, r *report.SanityReport) {
			if !r.InitialLoss.Passed || r.Overfit.Passed || !strings.Contains(r.Overfit.Diagnosis, "too high") {
				t.Errorf("want the overfit check to fail with a too-high diagnosis: %+v", r.Overfit)
			}
		}},
		{"plain kaiming head", []string{"model.head_init_scale=1", "model.init=kaiming_normal", "model.hidden=[256]"}, false, func(t *testing.T, _ *config.Config, r *report.SanityReport) {
			ic := r.InitialLoss
			if ic.Passed || ic.Loss <= 1.1*ln10 || !strings.Contains(ic.Diagnosis, "too large") {
				t.Errorf("want the initial-loss check to fail with a too-large diagnosis: %+v", ic)
			}
		}},
		{"zero init, no momentum", []string{"model.init=zeros", "optimizer.momentum=0"}, false, func(t *testing.T, cfg *config.Config, r *report.SanityReport) {
			// All logits are 0 at init: the loss is ln(10) up to rounding.
			if ic := r.InitialLoss; !ic.Passed || math.Abs(ic.Loss-ln10) > 1e-9 {
				t.Errorf("initial loss check: %+v", ic)
			}
			oc := r.Overfit
			if oc.Passed || oc.FinalLoss <= 0.9*oc.InitialLoss || !strings.Contains(oc.Diagnosis, "still all identical") || !strings.Contains(oc.Diagnosis, "zero or constant init") {
				t.Errorf("want a diagnosis naming the units that stay identical after a zero init: %+v", oc)
			}
			// The diagnosis's claim: with zero init no weight ever moves, so
			// every neuron stays identical; only the output bias learns.
			tr, m, _ := newTestTrainer(t, cfg)
			if err := tr.ForEachBatch(0, 0, func(b int, x *tensor.Tensor, y []int32) error {
				if b < 10 {
					tr.TrainStep(x, y, cfg.Optimizer.LR)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			moved := 0
			for _, p := range m.Params() {
				for _, v := range p.Value.Data {
					if v != 0 {
						moved++
						if strings.HasSuffix(p.Name, ".weight") {
							t.Fatalf("zero init: %s moved to %v", p.Name, v)
						}
					}
				}
			}
			if moved == 0 {
				t.Errorf("zero init: no parameter moved in 10 steps (the output bias should)")
			}
		}},
		{"l2", []string{"regularization.l2=0.001"}, true, func(t *testing.T, cfg *config.Config, r *report.SanityReport) {
			ic := r.InitialLoss
			if ic.L2 != 0.001 || !(ic.LossWithReg > ic.Loss) {
				t.Errorf("l2 0.001: loss %v, with reg %v", ic.Loss, ic.LossWithReg)
			}
			// The penalty is λ·Σw² over the weights (not biases) of the fresh model.
			m, err := engine.BuildModel(cfg, "", []int{1, 28, 28}, 10)
			if err != nil {
				t.Fatal(err)
			}
			var sum float64
			for _, p := range m.Params() {
				if strings.HasSuffix(p.Name, ".weight") {
					for _, v := range p.Value.Data {
						sum += float64(v) * float64(v)
					}
				}
			}
			if d := ic.LossWithReg - ic.Loss; math.Abs(d-0.001*sum) > 1e-9*d {
				t.Errorf("penalty %v, want λ·Σw² = %v", d, 0.001*sum)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, tc.overrides...)
			r, err := report.Sanity(cfg, report.SanityOptions{MaxSteps: 300})
			if err != nil {
				t.Fatal(err)
			}
			if r.Passed != tc.passed || r.Passed != (r.InitialLoss.Passed && r.Overfit.Passed) || r.Classes != 10 {
				t.Errorf("passed %v (initial %v, overfit %v), want %v", r.Passed, r.InitialLoss.Passed, r.Overfit.Passed, tc.passed)
			}
			tc.check(t, cfg, r)
		})
	}
}

func TestPrepareRunDir(t *testing.T) {
	put := func(name string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if name == CheckpointDir {
				if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err := os.WriteFile(filepath.Join(dir, name), []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		refused bool // without overwrite
	}{
		{"new nested folder", func(*testing.T, string) {}, false},
		{"empty folder", func(t *testing.T, dir string) { os.MkdirAll(dir, 0o755) }, false},
		{"unrelated file", put("notes.txt"), false},
		{"metrics.csv", put(MetricsFile), true},
		{"config.yaml", put(ConfigFile), true},
		{"summary.json", put(SummaryFile), true},
		{"checkpoints folder", put(CheckpointDir), true},
	}
	for _, tc := range cases {
		for _, overwrite := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/overwrite=%v", tc.name, overwrite), func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "a", "run")
				tc.setup(t, dir)
				err := prepareRunDir(dir, overwrite)
				if tc.refused && !overwrite {
					var ie *engine.InputError
					if !errors.As(err, &ie) || !strings.Contains(err.Error(), "already holds a run") {
						t.Fatalf("err %v (%T), want an *engine.InputError saying the folder holds a run", err, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if st, err := os.Stat(filepath.Join(dir, CheckpointDir)); err != nil || !st.IsDir() {
					t.Errorf("no %s folder: %v", CheckpointDir, err)
				}
			})
		}
	}
	t.Run("path is a file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		os.WriteFile(file, nil, 0o644)
		for _, overwrite := range []bool{false, true} {
			if err := prepareRunDir(file, overwrite); !engine.IsInputError(err) {
				t.Errorf("overwrite %v: %v, want an *engine.InputError", overwrite, err)
			}
		}
	})
	t.Run("Train into a used folder", func(t *testing.T) {
		cfg := testConfig(t, "train.epochs=1")
		_, dir := trainRun(t, cfg)
		before, _ := os.ReadFile(ckptPath(dir, BestCheckpoint))
		_, err := Train(cfg, Options{OutDir: dir})
		after, _ := os.ReadFile(ckptPath(dir, BestCheckpoint))
		if !engine.IsInputError(err) || !bytes.Equal(before, after) {
			t.Errorf("second Train: %v (input error %v), best.ckpt kept %v", err, engine.IsInputError(err), bytes.Equal(before, after))
		}
		if _, err := Train(cfg, Options{OutDir: dir, Overwrite: true}); err != nil {
			t.Errorf("Train with Overwrite: %v", err)
		}
	})
}

func TestEvaluate(t *testing.T) {
	cfg := testConfig(t, "train.epochs=1")
	tr, m, s := newTestTrainer(t, cfg)
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	test := testSet(t, s.Prep)
	var lowClasses []int // examples of classes 0-4 only: classes 5-9 are empty
	for i, y := range test.Y {
		if y < 5 {
			lowClasses = append(lowClasses, i)
		}
	}
	zero, err := engine.BuildModel(testConfig(t, "model.init=zeros"), "", []int{1, 28, 28}, 10)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		m    *model.Model
		d    *data.Dataset
	}{
		{"trained model, test set", m, test},
		{"missing classes", m, test.Subset(lowClasses)},
		{"zero init: all logits tie", zero, test},
	}
	pool := testfix.Pool(t, 2)
	for _, tc := range cases {
		correct, loss, conf := reference(tc.m.Net, tc.d, 10)
		counts := labelCounts(tc.d, 10)
		for _, bs := range []int{1, 7, 128, 1000} {
			t.Run(fmt.Sprintf("%s/batch=%d", tc.name, bs), func(t *testing.T) {
				r := engine.Evaluate(tc.m, tc.d, bs, nil)
				if r2 := engine.Evaluate(tc.m, tc.d, bs, pool); !reflect.DeepEqual(r2, r) {
					t.Errorf("on 2 threads %+v, on the caller %+v", r2, r)
				}
				if r.N != tc.d.N || r.Correct != correct || r.Accuracy != float64(r.Correct)/float64(r.N) {
					t.Errorf("n %d correct %d accuracy %v; want n %d correct %d", r.N, r.Correct, r.Accuracy, tc.d.N, correct)
				}
				if math.Abs(r.Loss-loss) > 1e-6*loss {
					t.Errorf("loss %v, independent %v", r.Loss, loss)
				}
				if !reflect.DeepEqual(r.Confusion, conf) {
					t.Errorf("confusion %v, independent %v", r.Confusion, conf)
				}
				trace := 0
				for c, row := range r.Confusion {
					sum := 0
					for _, v := range row {
						sum += v
					}
					trace += row[c]
					if sum != counts[c] {
						t.Errorf("confusion row %d sums to %d, class has %d examples", c, sum, counts[c])
					}
					want := 0.0
					if sum > 0 {
						want = float64(row[c]) / float64(sum)
					}
					if r.PerClass[c] != want {
						t.Errorf("per-class accuracy %d: %v, confusion says %v", c, r.PerClass[c], want)
					}
				}
				if trace != r.Correct {
					t.Errorf("confusion trace %d, correct %d", trace, r.Correct)
				}
			})
		}
	}
	// Ties go to the first class, in both the count and the matrix.
	if r := engine.Evaluate(zero, test, 128, nil); r.Correct != labelCounts(test, 10)[0] || math.Abs(r.Loss-math.Log(10)) > 1e-9 {
		t.Errorf("zero model: %d correct (class 0 has %d), loss %v want ln 10", r.Correct, labelCounts(test, 10)[0], r.Loss)
	}
	empty := engine.Evaluate(m, test.Subset(nil), 16, pool)
	if empty.N != 0 || empty.Correct != 0 || empty.Accuracy != 0 || empty.Loss != 0 || len(empty.PerClass) != 10 || len(empty.Confusion) != 10 {
		t.Errorf("empty data set: %+v", empty)
	}
}

// TestOverwriteRemovesOldResults checks that --overwrite cannot leave the
// earlier run's best checkpoint or summary beside a failed new run.
func TestOverwriteRemovesOldResults(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	trainRunInto := func(overrides ...string) error {
		_, err := Train(testConfig(t, overrides...), Options{OutDir: dir, Overwrite: true})
		return err
	}
	if err := trainRunInto(); err != nil {
		t.Fatal(err)
	}
	if err := trainRunInto("optimizer.lr=1.0e+6"); err == nil {
		t.Fatal("the second run should diverge")
	}
	for _, name := range []string{SummaryFile, filepath.Join(CheckpointDir, BestCheckpoint), filepath.Join(CheckpointDir, LastCheckpoint)} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s of the overwritten run is still there", name)
		}
	}
}

// TestNonFiniteWeightsStopTraining checks the end-of-epoch weight check:
// weights poisoned after the last step of an epoch are never checkpointed.
func TestNonFiniteWeightsStopTraining(t *testing.T) {
	cfg := testConfig(t)
	tr, m, _ := newTestTrainer(t, cfg)
	tr.AddHook(engine.PhaseRecord, poisonHook{})
	err := tr.Run()
	if err == nil || !strings.Contains(err.Error(), "NaN or Inf") || !strings.Contains(err.Error(), m.Params()[0].Name) {
		t.Fatalf("error %v, want one naming %s as non-finite", err, m.Params()[0].Name)
	}
}

// poisonHook writes a NaN into the first parameter after the last step of
// each epoch.
type poisonHook struct{ engine.BaseHook }

func (poisonHook) StepEnd(t *engine.Trainer, s engine.StepStats) {
	if s.Batch == s.Batches-1 {
		t.Model.Params()[0].Value.Data[0] = float32(math.NaN())
	}
}

// TestReloadWithBuffersAndPReLU trains a small CNN with batch norm, prelu
// and dropout, and checks that its checkpoint carries the running
// statistics and evaluates to exactly the reported test metrics.
func TestReloadWithBuffersAndPReLU(t *testing.T) {
	layers := "[{type: conv2d, out: 4, kernel: 3, padding: 1, bias: false}, {type: batchnorm}, {type: prelu, per_channel: true}, " +
		"{type: maxpool2d, kernel: 2}, {type: basic_block, out: 8, stride: 2}, {type: global_avgpool}, {type: dropout, p: 0.2}, {type: linear, out: 10}]"
	cfg := testConfig(t, "model.arch=layers", "model.hidden=[]", "model.layers="+layers, "train.epochs=1")
	res, dir := trainRun(t, cfg)
	f := loadFile(t, ckptPath(dir, BestCheckpoint))
	for _, name := range []string{"batchnorm1.running_mean", "batchnorm1.running_var", "basic_block4.bn1.running_mean", "basic_block4.shortcut.bn.running_var", "prelu2.weight"} {
		tn, ok := f.Tensor(name)
		if !ok {
			t.Fatalf("checkpoint lacks %s", name)
		}
		changed := false
		for _, v := range tn.Data {
			changed = changed || (v != 0 && v != 1 && v != 0.25)
		}
		if !changed {
			t.Errorf("%s still holds its initial values after training", name)
		}
	}
	r, err := EvaluateCheckpoint(ckptPath(dir, BestCheckpoint), EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Accuracy != res.Test.Accuracy || r.Loss != res.Test.Loss {
		t.Fatalf("reloaded checkpoint scores %v/%v, training reported %v/%v", r.Accuracy, r.Loss, res.Test.Accuracy, res.Test.Loss)
	}
}

// newTestTrainer prepares cfg's data, builds its model for the 28x28
// Fashion-MNIST subset and returns a trainer over them.
// mustPlan resolves cfg.
func mustPlan(t testing.TB, cfg *config.Config) *engine.Plan {
	t.Helper()
	p, err := engine.NewPlan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newTestTrainer(t testing.TB, cfg *config.Config) (*engine.Trainer, *model.Model, *engine.Splits) {
	t.Helper()
	return newTestTrainerOn(t, cfg, testfix.Pool(t, 2))
}

// newTestTrainerOn is newTestTrainer on pool.
func newTestTrainerOn(t testing.TB, cfg *config.Config, pool *tensor.Pool) (*engine.Trainer, *model.Model, *engine.Splits) {
	t.Helper()
	s, err := engine.LoadTrainSplits(cfg, pool.Threads())
	if err != nil {
		t.Fatal(err)
	}
	m, err := engine.BuildModel(cfg, "", []int{1, 28, 28}, 10)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := engine.NewTrainer(mustPlan(t, cfg), m, s, pool)
	if err != nil {
		t.Fatal(err)
	}
	return tr, m, s
}

// probeHook records, at every epoch end, what the stated order promises a
// PhaseReport hook: the validation metrics are filled in and the epoch's
// last.ckpt is on disk.
type probeHook struct {
	engine.BaseHook
	dir    string
	epochs []int
	steps  int
	err    error
}

func (h *probeHook) StepEnd(*engine.Trainer, engine.StepStats) { h.steps++ }

func (h *probeHook) EpochEnd(_ *engine.Trainer, m *engine.EpochMetrics) error {
	f, err := checkpoint.Load(ckptPath(h.dir, LastCheckpoint))
	switch {
	case err != nil:
		h.err = err
	case !m.HasVal:
		h.err = fmt.Errorf("epoch %d: no validation metrics yet", m.Epoch)
	case f.Metadata[engine.MetaEpoch] != strconv.Itoa(m.Epoch):
		h.err = fmt.Errorf("epoch %d: last.ckpt is of epoch %s", m.Epoch, f.Metadata[engine.MetaEpoch])
	}
	h.epochs = append(h.epochs, m.Epoch)
	return h.err
}

// TestOptionsHooks adds a caller's hook through Options.Hooks and checks
// that it sees every step and epoch, after the measuring and recording
// phases.
func TestOptionsHooks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	probe := &probeHook{dir: dir}
	res, err := Train(testConfig(t), Options{OutDir: dir, Hooks: []engine.Attached{{Phase: engine.PhaseReport, Hook: probe}}})
	if err != nil {
		t.Fatal(err)
	}
	if probe.err != nil || !slices.Equal(probe.epochs, []int{1, 2}) || probe.steps != int(res.Epochs[1].Step) {
		t.Fatalf("probe saw epochs %v and %d steps (err %v); want [1 2] and %d", probe.epochs, probe.steps, probe.err, res.Epochs[1].Step)
	}
}
