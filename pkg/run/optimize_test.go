package run

import (
	"math"
	"testing"

	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// TestOptimizersTrain trains a few epochs with every optimizer type and
// checks that the training loss goes down.
func TestOptimizersTrain(t *testing.T) {
	cases := map[string][]string{
		"sgd":     {"optimizer.type=sgd"},
		"adam":    {"optimizer.type=adam", "optimizer.lr=0.001", "optimizer.momentum=0"},
		"adamw":   {"optimizer.type=adamw", "optimizer.lr=0.001", "optimizer.momentum=0", "optimizer.weight_decay=0.01"},
		"rmsprop": {"optimizer.type=rmsprop", "optimizer.lr=0.001", "optimizer.momentum=0"},
		"adagrad": {"optimizer.type=adagrad", "optimizer.lr=0.01", "optimizer.momentum=0"},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			_, dir := trainRun(t, testConfig(t, append(o, "train.epochs=3")...))
			rows := readMetrics(t, dir)
			first, last := num(t, rows[0], "train_loss"), num(t, rows[len(rows)-1], "train_loss")
			if !(last < 0.8*first) {
				t.Fatalf("train loss %v → %v: not going down", first, last)
			}
		})
	}
}

// TestPlateauReducesLR watches val_acc in "min" mode, so every epoch that
// improves accuracy counts as bad: with patience 0 each such epoch halves
// the rate, which metrics.csv's lr column shows.
func TestPlateauReducesLR(t *testing.T) {
	cfg := testConfig(t, "train.epochs=4", "schedule.plateau.enabled=true", "schedule.plateau.metric=val_acc",
		"schedule.plateau.mode=min", "schedule.plateau.patience=0", "schedule.plateau.factor=0.5", "schedule.plateau.threshold=0")
	_, dir := trainRun(t, cfg)
	rows := readMetrics(t, dir)
	lrs := make([]float64, len(rows))
	for i, r := range rows {
		lrs[i] = num(t, r, "lr")
	}
	if lrs[0] != cfg.Optimizer.LR {
		t.Fatalf("epoch 1 lr %v, want %v", lrs[0], cfg.Optimizer.LR)
	}
	for i := 1; i < len(lrs); i++ {
		if lrs[i] > lrs[i-1] {
			t.Fatalf("lr rose: %v", lrs)
		}
	}
	if lrs[len(lrs)-1] >= lrs[0] {
		t.Fatalf("plateau never reduced the rate: %v", lrs)
	}
}

// TestScaleRuleAndClipping checks the linear batch-size rule on the logged
// rate, and that value clipping bounds a step's update.
func TestScaleRuleAndClipping(t *testing.T) {
	cfg := testConfig(t, "train.epochs=1", "schedule.scale_rule=linear", "schedule.base_batch_size=64")
	_, dir := trainRun(t, cfg)
	if got, want := num(t, readMetrics(t, dir)[0], "lr"), cfg.Optimizer.LR*float64(cfg.Train.BatchSize)/64; math.Abs(got-want) > 1e-15 {
		t.Fatalf("lr %v, want %v (linear scaling)", got, want)
	}
	// With momentum off and gradients clipped to 1e-6, one SGD step moves
	// no weight by more than lr·1e-6.
	cfg = testConfig(t, "optimizer.momentum=0", "optimizer.clip_grad_value=1.0e-6")
	tr, m, _ := newTestTrainer(t, cfg)
	before := make([][]float32, len(m.Params()))
	for i, p := range m.Params() {
		before[i] = append([]float32(nil), p.Value.Data...)
	}
	x, y := firstBatch(t, tr)
	tr.TrainStep(x, y, cfg.Optimizer.LR)
	for i, p := range m.Params() {
		for j, v := range p.Value.Data {
			// The update itself is at most lr·1e-6; storing it in float32
			// rounds by up to one unit in the last place.
			ulp := float64(math.Nextafter32(float32(math.Abs(float64(v))), 1) - float32(math.Abs(float64(v))))
			bound := cfg.Optimizer.LR*1e-6 + ulp
			if d := math.Abs(float64(v - before[i][j])); d > bound {
				t.Fatalf("%s[%d] moved %v > %v", p.Name, j, d, bound)
			}
		}
	}
}

// firstBatch returns the first training batch of epoch 0 (copied).
func firstBatch(t *testing.T, tr *engine.Trainer) (*tensor.Tensor, []int32) {
	t.Helper()
	var x *tensor.Tensor
	var y []int32
	_ = tr.ForEachBatch(0, 0, func(b int, bx *tensor.Tensor, by []int32) error {
		if b == 0 {
			x, y = bx.Clone(), append([]int32(nil), by...)
		}
		return nil
	})
	return x, y
}
