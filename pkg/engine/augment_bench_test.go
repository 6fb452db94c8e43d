package engine

import (
	"errors"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/config"
)

// errBenchDone ends a benchmark's epoch loop.
var errBenchDone = errors.New("done")

// BenchmarkTrainStepAugment measures what augmentation costs a training
// step of the bench CNN (configs/bench/cnn.yaml, batch 128, in-repo data):
// "none" is the plain pipeline (batches copied in the background) with one
// TrainStep per batch; "augment" adds random crop (pad 2), horizontal flip
// and random erasing, run in the pipeline's background goroutine (parallel
// over the batch) followed by per-batch standardization; "augment-only"
// fills augmented batches without training, the cost the background
// goroutine has to hide. Compare the ns/op of the first two.
func BenchmarkTrainStepAugment(b *testing.B) {
	aug := "augment=[{op: crop, pad: 2}, {op: hflip, p: 0.5}, {op: erase, p: 0.5}]"
	cases := []struct {
		name  string
		ov    []string
		train bool
	}{
		{"none", nil, true},
		{"augment", []string{aug}, true},
		{"augment-only", []string{aug}, false},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			small, err := filepath.Abs("../../testdata/fashion-mnist-small")
			if err != nil {
				b.Fatal(err)
			}
			cfg, err := config.Load("../../configs/bench/cnn.yaml", append([]string{"data.dir=" + small, "data.val_split=0"}, c.ov...))
			if err != nil {
				b.Fatal(err)
			}
			s, err := LoadTrainSplits(cfg, 2)
			if err != nil {
				b.Fatal(err)
			}
			m, err := BuildModel(cfg, "", s.InShape(), s.Train.Classes)
			if err != nil {
				b.Fatal(err)
			}
			tr, err := NewTrainer(mustPlan(b, cfg), m, s, testfix.Pool(b, runtime.GOMAXPROCS(0)))
			if err != nil {
				b.Fatal(err)
			}
			lr := cfg.Optimizer.LR
			run := func(steps int) {
				done, images := 0, 0
				for e := 0; done < steps; e++ {
					_ = tr.batches.epochBatches(e, 0, func(_ int, buf *batchBuf) error {
						if c.train {
							tr.TrainStepSoft(&buf.x, buf.y[:buf.n], buf.targets(), lr)
						}
						images += buf.n
						if done++; done >= steps {
							return errBenchDone
						}
						return nil
					})
				}
				_ = images
			}
			run(2) // warm-up: layers size their buffers
			b.ResetTimer()
			run(b.N)
			b.ReportMetric(float64(cfg.Train.BatchSize)*float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
