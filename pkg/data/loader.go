package data

import (
	"fmt"
	"math/rand/v2"
)

// loaderStream is added to the epoch number to pick the PCG stream of that
// epoch's shuffle.
const loaderStream = 0x9e3779b97f4a7c15

// Loader yields the mini-batches of a Dataset, epoch by epoch.
//
// With shuffling, the order of epoch e is a function of (seed, e) only: each
// epoch shuffles the identity order with a fresh PCG stream
// rand.NewPCG(seed, uint64(e)+0x9e3779b97f4a7c15). A run resumed at epoch e
// therefore needs only e, not the history of earlier epochs. Without
// shuffling every epoch visits the examples in dataset order.
//
// A Loader is not safe for concurrent use; the Dataset must not change
// shape while the Loader uses it.
type Loader struct {
	d         *Dataset
	batchSize int
	shuffle   bool
	dropLast  bool
	seed      uint64
	order     []int // example indices of the current epoch, len d.N
	// rank and ranks select this process's shard of every batch (see
	// Shard); 0 and 1 without sharding.
	rank, ranks int
}

// NewLoader returns a Loader over d with the given batch size, prepared for
// epoch 0. If dropLast, a final batch smaller than batchSize is skipped;
// otherwise it is yielded as a short batch. It panics if d is nil or
// batchSize < 1.
func NewLoader(d *Dataset, batchSize int, shuffle bool, dropLast bool, seed uint64) *Loader {
	if d == nil {
		panic("data: NewLoader with a nil dataset")
	}
	if batchSize < 1 {
		panic(fmt.Sprintf("data: NewLoader batch size %d, want >= 1", batchSize))
	}
	l := &Loader{
		d:         d,
		batchSize: batchSize,
		shuffle:   shuffle,
		dropLast:  dropLast,
		seed:      seed,
		order:     make([]int, d.N),
		ranks:     1,
	}
	l.Epoch(0)
	return l
}

// NumBatches returns the number of batches per epoch: ceil(N/batchSize), or
// floor(N/batchSize) with dropLast.
func (l *Loader) NumBatches() int {
	if l.dropLast {
		return l.d.N / l.batchSize
	}
	return (l.d.N + l.batchSize - 1) / l.batchSize
}

// Epoch prepares the example order of epoch e (any int; typically 0, 1, ...).
func (l *Loader) Epoch(e int) {
	for i := range l.order {
		l.order[i] = i
	}
	if l.shuffle {
		rng := rand.New(rand.NewPCG(l.seed, uint64(e)+loaderStream))
		rng.Shuffle(len(l.order), func(i, j int) {
			l.order[i], l.order[j] = l.order[j], l.order[i]
		})
	}
}

// Shard makes the loader yield rank's part of every batch of ranks equal
// parts (data-parallel training): of a batch of n examples, the examples
// [rank·n/ranks, (rank+1)·n/ranks) in batch order. The batches, their
// order and the epochs' shuffles stay those of the whole job, so the ranks'
// parts of a batch are disjoint and together are the unsharded batch. A
// part may be empty when n < ranks. It panics unless 0 <= rank < ranks.
func (l *Loader) Shard(rank, ranks int) {
	if ranks < 1 || rank < 0 || rank >= ranks {
		panic(fmt.Sprintf("data: Loader.Shard(%d, %d): want 0 <= rank < ranks", rank, ranks))
	}
	l.rank, l.ranks = rank, ranks
}

// GlobalLen returns the number of examples of batch b over all shards
// (the batch size, or fewer for the last batch).
func (l *Loader) GlobalLen(b int) int {
	start := b * l.batchSize
	return min(start+l.batchSize, l.d.N) - start
}

// span returns batch b's part of l.order: this shard's examples.
func (l *Loader) span(b int) (start, end int) {
	start = b * l.batchSize
	n := min(start+l.batchSize, l.d.N) - start
	return start + l.rank*n/l.ranks, start + (l.rank+1)*n/l.ranks
}

// Indices returns the data set indices of the examples of batch b
// (0 <= b < NumBatches()) of the current epoch, in batch order (this
// shard's, see Shard): a view, valid until the next call to Epoch. It
// panics if b is out of range.
func (l *Loader) Indices(b int) []int {
	if b < 0 || b >= l.NumBatches() {
		panic(fmt.Sprintf("data: Loader.Indices(%d) out of range [0,%d)", b, l.NumBatches()))
	}
	start, end := l.span(b)
	return l.order[start:end]
}

// Batch copies batch b (0 <= b < NumBatches()) of the current epoch into x,
// shape (bs, C, H, W), as [Dataset.Gather] reads it (a byte-stored data set
// converted to float32 and preprocessed here, one example at a time), and
// y, shape (bs,), and returns bs: batchSize, or
// fewer for the last batch when not dropLast (this shard's part of them,
// see Shard). x needs len >= bs*C*H*W and y
// len >= bs; values beyond are left untouched. It panics if b is out of range
// or x or y is too short.
func (l *Loader) Batch(b int, x []float32, y []int32) int {
	if b < 0 || b >= l.NumBatches() {
		panic(fmt.Sprintf("data: Loader.Batch(%d) out of range [0,%d)", b, l.NumBatches()))
	}
	start, end := l.span(b)
	bs := end - start
	f := l.d.FeatureLen()
	if len(x) < bs*f || len(y) < bs {
		panic(fmt.Sprintf("data: Loader.Batch buffers too short: len(x)=%d, len(y)=%d, need %d and %d", len(x), len(y), bs*f, bs))
	}
	l.d.Gather(x, l.order[start:end])
	for j, i := range l.order[start:end] {
		y[j] = l.d.Y[i]
	}
	return bs
}
