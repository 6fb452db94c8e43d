package engine

import (
	"slices"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/data"
)

// TestBatchPipelineAugmentDeterministic checks that augmented batches do
// not depend on the thread count and that an example's augmentation
// depends on its data set index, not its batch position.
func TestBatchPipelineAugmentDeterministic(t *testing.T) {
	cfg := testfix.Config(t, "augment=[{op: crop, pad: 2}, {op: hflip, p: 0.5}, {op: rotate, degrees: 10}]", "data.val_split=0")
	s, err := LoadTrainSplits(cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	collect := func(threads, bs int) map[int][]float32 {
		t.Helper()
		plan, err := NewPlan(cfg)
		if err != nil {
			t.Fatal(err)
		}
		tf := newBatchTransform(plan, s, 10)
		loader := data.NewLoader(s.Train, bs, true, false, 3)
		p := newBatchPipelineWith(loader, s.Train, bs, tf)
		p.workers = threads
		out := map[int][]float32{}
		f := s.Train.FeatureLen()
		_ = p.epochBatches(1, 0, func(b int, buf *batchBuf) error {
			for k, i := range loader.Indices(b) {
				out[i] = slices.Clone(buf.x.Data[k*f : (k+1)*f])
			}
			return nil
		})
		return out
	}
	a, b := collect(1, 32), collect(2, 50)
	if len(a) != s.Train.N {
		t.Fatalf("%d examples, want %d", len(a), s.Train.N)
	}
	same := 0
	for i, x := range a {
		if !slices.Equal(x, b[i]) {
			t.Fatalf("example %d differs between batch sizes/thread counts", i)
		}
		raw, err := s.Prep.ApplyExample(slices.Clone(s.Train.Example(i)))
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(x, raw) {
			same++
		}
	}
	if same == len(a) {
		t.Fatal("augmentation changed nothing")
	}
}
