package run

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/engine"
)

// TestAverageCheckpoints: the average of two runs of one architecture holds
// the mean of every weight and buffer, loads and evaluates like any
// checkpoint, and records its members; runs of other architectures are
// refused naming the member and the tensor.
func TestAverageCheckpoints(t *testing.T) {
	_, a := trainRun(t, testConfig(t))
	_, b := trainRun(t, testConfig(t, "seed=2"))
	ca, cb := ckptPath(a, BestCheckpoint), ckptPath(b, BestCheckpoint)
	out := filepath.Join(t.TempDir(), "avg.ckpt")
	rep, err := AverageCheckpoints([]string{ca, cb}, out, AverageOptions{BNUpdate: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.BatchNorms != 0 || len(rep.Members) != 2 {
		t.Errorf("report %+v: an MLP has no batch norm to update", rep)
	}
	la, lb, avg := mustLoad(t, ca), mustLoad(t, cb), mustLoad(t, out)
	ta, tb, tavg := engine.ModelTensors(la.Model), engine.ModelTensors(lb.Model), engine.ModelTensors(avg.Model)
	for i := range tavg {
		for j, v := range tavg[i].Data {
			want := float32((float64(ta[i].Data[j]) + float64(tb[i].Data[j])) / 2)
			if v != want {
				t.Fatalf("%s[%d] = %v, want the mean %v", tavg[i].Name, j, v, want)
			}
		}
	}
	if _, err := EvaluateCheckpoint(out, EvalOptions{}); err != nil {
		t.Errorf("evaluating the average: %v", err)
	}
	f := loadFile(t, out)
	if !strings.Contains(f.Metadata[metaAveragedFrom], BestCheckpoint) || f.Metadata[metaBNUpdate] != "false" {
		t.Errorf("metadata %q=%q %q=%q", metaAveragedFrom, f.Metadata[metaAveragedFrom], metaBNUpdate, f.Metadata[metaBNUpdate])
	}

	_, wide := trainRun(t, testConfig(t, "model.hidden=[16]"))
	cases := []struct {
		name  string
		paths []string
		want  []string
	}{
		{"other architecture", []string{ca, ckptPath(wide, BestCheckpoint)}, []string{"same architecture", "[16 784]", "[32 784]"}},
		{"none", nil, []string{"no checkpoints"}},
		{"missing file", []string{ca, filepath.Join(a, "nope.ckpt")}, []string{"nope.ckpt"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "bad.ckpt")
			_, err := AverageCheckpoints(tc.paths, dst, AverageOptions{})
			if !engine.IsInputError(err) {
				t.Fatalf("error %v, want an input error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if _, err := os.Stat(dst); err == nil {
				t.Errorf("%s written despite the error", dst)
			}
		})
	}
}

// TestAverageReestimatesBatchNorm: averaging a CNN with batch norm with
// BNUpdate replaces the averaged running statistics by ones measured on the
// training split; without it they are the members' mean.
func TestAverageReestimatesBatchNorm(t *testing.T) {
	cnn := []string{"model.arch=cnn", "model.widths=[4]", "model.convs_per_stage=1", "model.hidden=[]", "train.epochs=1"}
	_, a := trainRun(t, testConfig(t, cnn...))
	_, b := trainRun(t, testConfig(t, append(cnn, "seed=2")...))
	paths := []string{ckptPath(a, BestCheckpoint), ckptPath(b, BestCheckpoint)}
	dir := t.TempDir()
	plain, updated := filepath.Join(dir, "plain.ckpt"), filepath.Join(dir, "bn.ckpt")
	if _, err := AverageCheckpoints(paths, plain, AverageOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := AverageCheckpoints(paths, updated, AverageOptions{BNUpdate: true, Pool: testfix.Pool(t, 2)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.BatchNorms == 0 || rep.Examples != testfix.TrainLimit-100 {
		t.Fatalf("report %+v: want the batch norms updated over %d examples", rep, testfix.TrainLimit-100)
	}
	mp, mu := mustLoad(t, plain).Model, mustLoad(t, updated).Model
	bp, bu := engine.BatchNormLayers(mp), engine.BatchNormLayers(mu)
	differs := false
	for i := range bp {
		for j, v := range bp[i].RunningMean.Value.Data {
			differs = differs || math.Abs(float64(v-bu[i].RunningMean.Value.Data[j])) > 1e-6
		}
	}
	if !differs {
		t.Error("re-estimated running means equal the averaged ones")
	}
	if _, err := EvaluateCheckpoint(updated, EvalOptions{}); err != nil {
		t.Error(err)
	}
	if f := loadFile(t, updated); f.Metadata[metaBNUpdate] != "true" {
		t.Errorf("bn_update = %q", f.Metadata[metaBNUpdate])
	}
}

// TestRankedCheckpoints: a run keeping a checkpoint per epoch ranks them by
// the metric each recorded, one per epoch, best first.
func TestRankedCheckpoints(t *testing.T) {
	_, dir := trainRun(t, testConfig(t, "train.epochs=4", "checkpoint.every=1", "checkpoint.keep_best=2"))
	rows := readMetrics(t, dir)
	for _, tc := range []struct {
		metric string
		k      int
	}{{"val_acc", 0}, {"val_loss", 3}, {"train_loss", 1}} {
		got, err := RankedCheckpoints(dir, tc.metric, tc.k)
		if err != nil {
			t.Fatal(err)
		}
		want := 4
		if tc.k > 0 {
			want = tc.k
		}
		if len(got) != want {
			t.Fatalf("%s top %d: %d checkpoints %v", tc.metric, tc.k, len(got), got)
		}
		seen := map[int]bool{}
		prev := math.NaN()
		for _, p := range got {
			l := mustLoad(t, p)
			if seen[l.Epoch] {
				t.Errorf("%s: epoch %d twice", tc.metric, l.Epoch)
			}
			seen[l.Epoch] = true
			v := engine.MetricValue(l.Metrics, tc.metric)
			if rec, err := strconv.ParseFloat(rows[l.Epoch-1][tc.metric], 64); err != nil || math.Abs(rec-v) > 1e-5*math.Max(1, math.Abs(v)) {
				t.Errorf("%s of %s: %v, metrics.csv says %v (%v)", tc.metric, p, v, rec, err)
			}
			inOrder := v <= prev // accuracies: best (highest) first
			if strings.HasSuffix(tc.metric, "_loss") {
				inOrder = v >= prev
			}
			if !math.IsNaN(prev) && !inOrder {
				t.Errorf("%s: %v ranked after %v", tc.metric, v, prev)
			}
			prev = v
		}
	}
	if _, err := RankedCheckpoints(dir, "accuracy", 0); !engine.IsInputError(err) || !strings.Contains(err.Error(), "val_acc") {
		t.Errorf("unknown metric: %v", err)
	}
	if _, err := RankedCheckpoints(t.TempDir(), "val_acc", 0); !engine.IsInputError(err) || !strings.Contains(err.Error(), "no checkpoints") {
		t.Errorf("empty folder: %v", err)
	}
}

func mustLoad(t *testing.T, path string) *Loaded {
	t.Helper()
	l, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
