package engine

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// TestBatchPipelineMatchesLoader checks that prefetching changes nothing:
// every batch equals what the loader yields directly, in order, including
// the short last batch, and an error stops the epoch.
func TestBatchPipelineMatchesLoader(t *testing.T) {
	d := testfix.FirstN(t, 103)
	const bs = 10
	direct := data.NewLoader(d, bs, true, false, 7)
	p := newBatchPipeline(data.NewLoader(d, bs, true, false, 7), d, bs)
	feat := d.FeatureLen()
	for _, epoch := range []int{0, 1, 5} {
		direct.Epoch(epoch)
		seen := 0
		err := p.epoch(epoch, 0, func(b int, x *tensor.Tensor, y []int32) error {
			wx, wy := make([]float32, bs*feat), make([]int32, bs)
			n := direct.Batch(b, wx, wy)
			if x.Shape[0] != n || len(y) != n || !slices.Equal(x.Data, wx[:n*feat]) || !slices.Equal(y, wy[:n]) {
				t.Fatalf("epoch %d batch %d differs from the loader's", epoch, b)
			}
			seen += n
			return nil
		})
		if err != nil || seen != d.N {
			t.Fatalf("epoch %d: %v, %d examples, want %d", epoch, err, seen, d.N)
		}
	}
	stop := errors.New("stop")
	calls := 0
	err := p.epoch(2, 0, func(b int, _ *tensor.Tensor, _ []int32) error {
		calls++
		if b == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 4 {
		t.Fatalf("early stop: %v after %d calls", err, calls)
	}
}

// TestTrainStepDoesNotAllocate holds the memory discipline of the training
// step: after the first step has sized every buffer, a step allocates
// nothing, on the caller alone (nil pool) and on a pool of 2 threads.
func TestTrainStepDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	cases := map[string][]string{
		"mlp": {"model.hidden=[32,16]", "regularization.l2=0.001"},
		"cnn": {"model.arch=cnn", "model.widths=[4,8]", "model.convs_per_stage=1", "model.hidden=[]", "model.dropout=0.2"},
	}
	for name, overrides := range cases {
		for _, threads := range []int{0, 2} {
			t.Run(fmt.Sprintf("%s/threads=%d", name, threads), func(t *testing.T) {
				cfg := testfix.Config(t, append(overrides, "train.batch_size=8")...)
				var pool *tensor.Pool
				if threads > 0 {
					pool = testfix.Pool(t, threads)
				}
				tr, _, s := newTestTrainerOn(t, cfg, pool)
				x := tensor.FromData(s.Train.Range(nil, 0, 8), 8, 1, 28, 28)
				y := s.Train.Y[:8]
				tr.TrainStep(x, y, 0.01)
				if n := testing.AllocsPerRun(10, func() { tr.TrainStep(x, y, 0.01) }); n != 0 {
					t.Fatalf("%v allocations per training step, want 0", n)
				}
			})
		}
	}
}
