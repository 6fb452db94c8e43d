package nn_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/nn/nntest"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// rows returns examples [lo, hi) of x (N, ...) as a tensor of their own.
func rows(x *tensor.Tensor, lo, hi int) *tensor.Tensor {
	per := tensor.Numel(x.Shape[1:])
	shape := slices.Clone(x.Shape)
	shape[0] = hi - lo
	return tensor.FromData(slices.Clone(x.Data[lo*per:hi*per]), shape...)
}

// bnResult is what one batch-norm training pass produces.
type bnResult struct {
	y, dx, grads, running []float32
}

func bnState(b *nn.BatchNorm) (grads, running []float32) {
	return slices.Concat(b.Weight.Grad.Data, b.Bias.Grad.Data), slices.Concat(b.RunningMean.Value.Data, b.RunningVar.Value.Data)
}

// partsReference runs each part [j·n/k, (j+1)·n/k) of x through its own
// copy of the batch norm, as k ranks would, and puts the results together:
// outputs and input gradients concatenated, parameter gradients summed
// (the gradient all-reduce) and running statistics averaged.
func partsReference(t *testing.T, seed uint64, x, dy *tensor.Tensor, k int) bnResult {
	t.Helper()
	n := x.Shape[0]
	var r bnResult
	var grads, running []float32
	for j := range k {
		lo, hi := j*n/k, (j+1)*n/k
		b := randomBatchNorm(x.Shape[1], seed)
		c := &nn.Context{Train: true}
		r.y = append(r.y, b.Forward(c, rows(x, lo, hi)).Data...)
		r.dx = append(r.dx, b.Backward(c, rows(dy, lo, hi)).Data...)
		g, run := bnState(b)
		if grads == nil {
			grads, running = make([]float32, len(g)), make([]float32, len(run))
		}
		for i := range g {
			grads[i] += g[i]
			running[i] += run[i] / float32(k)
		}
	}
	r.grads, r.running = grads, running
	return r
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return 1e9
	}
	var d float64
	for i := range a {
		d = max(d, float64(a[i]-b[i]), float64(b[i]-a[i]))
	}
	return d
}

// TestGhostBatchNormIsPerPart checks ghost batch norm against k batch norms
// run on the k parts alone: outputs and input gradients bit for bit,
// parameter gradients bit for bit (added part by part, as the all-reduce
// of two ranks adds them), running statistics to float32 rounding.
func TestGhostBatchNormIsPerPart(t *testing.T) {
	cases := []struct {
		name  string
		shape []int
		k     int
	}{
		{"1d_two_parts", []int{8, 4}, 2},
		{"2d_two_parts", []int{6, 3, 2, 3}, 2},
		{"2d_uneven_three_parts", []int{7, 3, 2, 2}, 3},
		{"2d_one_part", []int{5, 2, 3, 3}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x, dy := nntest.RandomInput(11, tc.shape...), nntest.RandomInput(12, tc.shape...)
			want := partsReference(t, 3, x, dy, tc.k)
			b := randomBatchNorm(tc.shape[1], 3)
			c := &nn.Context{Train: true, GhostSplits: tc.k}
			y := b.Forward(c, x).Data
			dx := b.Backward(c, dy).Data
			grads, running := bnState(b)
			if !slices.Equal(y, want.y) || !slices.Equal(dx, want.dx) {
				t.Fatalf("outputs or input gradients differ from the parts run alone: max |Δy| %g, |Δdx| %g", maxDiff(y, want.y), maxDiff(dx, want.dx))
			}
			if tc.k <= 2 && !slices.Equal(grads, want.grads) {
				t.Fatalf("parameter gradients %v, want %v", grads, want.grads)
			}
			if d := maxDiff(grads, want.grads); d > 1e-5 {
				t.Fatalf("parameter gradients differ by %g", d)
			}
			if d := maxDiff(running, want.running); d > 1e-6 {
				t.Fatalf("running statistics differ by %g: %v, want %v", d, running, want.running)
			}
		})
	}
}

// TestGhostBatchNormGradient checks ghost batch norm's backward against
// finite differences.
func TestGhostBatchNormGradient(t *testing.T) {
	for _, k := range []int{2, 3} {
		nntest.CheckLayer(t, randomBatchNorm(3, 5), nntest.RandomInput(9, 6, 3, 2, 2),
			nntest.Options{Seed: 1, Context: &nn.Context{Train: true, GhostSplits: k}})
	}
}

// ranksReducer sums the SumFloat64 calls of k goroutines, one per
// simulated rank, as an all-reduce does: each call blocks until all k
// ranks have made theirs.
type ranksReducer struct {
	mu    sync.Mutex
	cond  *sync.Cond
	k     int
	sum   []float64
	in    int // ranks that added their values to sum this round
	out   int // ranks that copied the sum out this round
	round int
}

func newRanksReducer(k int) *ranksReducer {
	r := &ranksReducer{k: k}
	r.cond = sync.NewCond(&r.mu)
	return r
}

func (r *ranksReducer) SumFloat64(x []float64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.in == r.k { // the previous round is still being read
		r.cond.Wait()
	}
	if r.in == 0 {
		r.sum = make([]float64, len(x))
	}
	for i, v := range x {
		r.sum[i] += v
	}
	r.in++
	round := r.round
	r.cond.Broadcast()
	for r.in < r.k && r.round == round {
		r.cond.Wait()
	}
	copy(x, r.sum)
	if r.out++; r.out == r.k {
		r.in, r.out = 0, 0
		r.round++
		r.cond.Broadcast()
	}
	return nil
}

// TestSyncBatchNormIsWholeBatch runs k simulated ranks, each with its part
// of the batch and a synchronized batch norm, and checks that together
// they compute what one batch norm computes on the whole batch: outputs and
// input gradients (to the rounding of the sums' order), summed parameter
// gradients and the running statistics of every rank.
func TestSyncBatchNormIsWholeBatch(t *testing.T) {
	for _, k := range []int{2, 3} {
		shape := []int{7, 3, 2, 3}
		x, dy := nntest.RandomInput(21, shape...), nntest.RandomInput(22, shape...)
		whole := randomBatchNorm(3, 4)
		c := &nn.Context{Train: true}
		wantY := whole.Forward(c, x).Data
		wantDx := whole.Backward(c, dy).Data
		wantGrads, wantRunning := bnState(whole)

		red := newRanksReducer(k)
		n := shape[0]
		ys, dxs := make([][]float32, k), make([][]float32, k)
		grads, running := make([][]float32, k), make([][]float32, k)
		var wg sync.WaitGroup
		for j := range k {
			wg.Add(1)
			go func() {
				defer wg.Done()
				lo, hi := j*n/k, (j+1)*n/k
				b := randomBatchNorm(3, 4)
				c := &nn.Context{Train: true, Sync: red}
				ys[j] = slices.Clone(b.Forward(c, rows(x, lo, hi)).Data)
				dxs[j] = slices.Clone(b.Backward(c, rows(dy, lo, hi)).Data)
				grads[j], running[j] = bnState(b)
			}()
		}
		wg.Wait()
		sumGrads := make([]float32, len(wantGrads))
		for j := range k {
			for i, g := range grads[j] {
				sumGrads[i] += g
			}
			if d := maxDiff(running[j], wantRunning); d > 1e-6 {
				t.Errorf("k=%d: rank %d running statistics differ by %g", k, j, d)
			}
		}
		for _, c := range []struct {
			what      string
			got, want []float32
		}{
			{"outputs", slices.Concat(ys...), wantY},
			{"input gradients", slices.Concat(dxs...), wantDx},
			{"parameter gradients", sumGrads, wantGrads},
		} {
			if d := maxDiff(c.got, c.want); d > 1e-5 {
				t.Errorf("k=%d: %s differ from the whole batch's by %g", k, c.what, d)
			}
		}
	}
}
