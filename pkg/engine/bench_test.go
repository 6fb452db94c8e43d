package engine

import (
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// BenchmarkTrainStep times one full training step (forward, loss, zero
// grad, backward, SGD Nesterov update) of each bench model of configs/bench
// at batch 128, on the in-repo Fashion-MNIST subset so that it runs on any
// machine, and reports images/s. `make bench` runs it; cmd/nettrain-bench
// measures whole epochs on the full data set against PyTorch.
func BenchmarkTrainStep(b *testing.B) {
	for _, name := range []string{"mlp", "cnn", "resnet8"} {
		b.Run(name, func(b *testing.B) {
			tr, x, y := benchTrainer(b, name)
			lr := tr.Plan.BaseLR
			tr.TrainStep(x, y, lr) // warm-up: layers allocate their buffers on the first step
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				tr.TrainStep(x, y, lr)
			}
			b.ReportMetric(float64(len(y))*float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkInference times the evaluation-mode forward pass of each bench
// model at batch 128 (what eval and predict run per batch), in images/s.
func BenchmarkInference(b *testing.B) {
	for _, name := range []string{"mlp", "cnn", "resnet8"} {
		b.Run(name, func(b *testing.B) {
			tr, x, _ := benchTrainer(b, name)
			ctx := &nn.Context{Train: false, Pool: tr.Pool}
			tr.Model.Net.Forward(ctx, x) // warm-up: layers allocate their buffers
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				tr.Model.Net.Forward(ctx, x)
			}
			b.ReportMetric(float64(x.Shape[0])*float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// benchTrainer builds the trainer of configs/bench/<name>.yaml on the
// in-repo subset and returns it with its first training batch.
func benchTrainer(b *testing.B, name string) (*Trainer, *tensor.Tensor, []int32) {
	b.Helper()
	small, err := filepath.Abs("../../testdata/fashion-mnist-small")
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join("../../configs/bench", name+".yaml")
	cfg, err := config.Load(path, []string{"data.dir=" + small, "data.val_split=0"})
	if err != nil {
		b.Fatal(err)
	}
	s, err := LoadTrainSplits(cfg, 2)
	if err != nil {
		b.Fatal(err)
	}
	d := s.Train
	m, err := BuildModel(cfg, path, []int{d.C, d.H, d.W}, d.Classes)
	if err != nil {
		b.Fatal(err)
	}
	tr, err := NewTrainer(mustPlan(b, cfg), m, s, testfix.Pool(b, runtime.GOMAXPROCS(0)))
	if err != nil {
		b.Fatal(err)
	}
	n := min(cfg.Train.BatchSize, d.N)
	x := tensor.FromData(d.Range(nil, 0, n), n, d.C, d.H, d.W)
	return tr, x, slices.Clone(d.Y[:n])
}

// BenchmarkMonitoredStep times a training step that the monitor measures
// (monitor.every): the gradient norm, the copy of the weights before the
// step and the update ratios after it, around the step of
// BenchmarkTrainStep. The monitor's cost per step at interval k is
// (measured − plain)/k: the README's overhead numbers come from the pair.
func BenchmarkMonitoredStep(b *testing.B) {
	for _, name := range []string{"mlp", "cnn"} {
		b.Run(name, func(b *testing.B) {
			tr, x, y := benchTrainer(b, name)
			lr := tr.Plan.BaseLR
			params := tr.Model.Params()
			mon := newMonitor(1, params)
			tr.TrainStep(x, y, lr)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				nn.ZeroGrad(params)
				tr.forwardBackward(x, y, nil, 1, 0)
				tr.addPenalty(params)
				mon.beforeStep(params)
				tr.clipAndStep(lr)
				mon.afterStep()
			}
			b.ReportMetric(float64(len(y))*float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
