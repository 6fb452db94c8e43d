package engine

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"

	"github.com/nettrain/nettrain/pkg/dist"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// dataParallel is a trainer's part of a data-parallel job: the
// communicator, and the gradient buckets summed over the ranks after every
// step's backward pass. Nil in a single process.
type dataParallel struct {
	comm dist.Comm
	// buckets hold the trainable parameters' gradients in backward order
	// (the last layer's first); next is the first bucket of the current
	// step not started yet.
	buckets []*gradBucket
	next    int
	// blockRows is the rows per block of each gradient too large for one
	// bucket (see nn.GradWatcher): one bucket per block.
	blockRows map[*nn.Param]int
	// final is, during the last backward pass of a step, the number of
	// leading values of each gradient reported final by its layer
	// (RowsDone); finished is the lowest step whose backward pass is done
	// (math.MaxInt before the first).
	final    map[*tensor.Tensor]int
	finished int
	// overlap starts a bucket as soon as the backward pass is done with
	// its layers (distributed.overlap).
	overlap bool
	// capBytes is distributed.bucket_cap_mb in bytes.
	capBytes int
	// checksumEvery is distributed.checksum_every (0: off).
	checksumEvery int
	// stats is the step's [Σ loss·n, correct, seen] summed over the ranks.
	stats [3]float64
}

// gradBucket is a group of gradients, or one block of rows of a large
// one, summed over the ranks as one message. Every gradient's Data is a
// view into one array that the buckets' flat slices divide (as DDP's
// gradient_as_bucket_view), so the backward pass writes the messages and
// the sums land in the gradients, with no copy in or out.
type gradBucket struct {
	pieces []gradPiece
	flat   []float32
	// first is the lowest index (in the network's Steps) of a step whose
	// parameters are in the bucket: the bucket is complete once Backward
	// has finished that step, or earlier when the layers report every
	// piece final. -1: parameters outside the steps.
	first   int
	pending *dist.Pending
}

// gradPiece is the values [lo, hi) of a gradient.
type gradPiece struct {
	grad   *tensor.Tensor
	lo, hi int
}

// Distribute makes the trainer one rank of the data-parallel job of comm:
// from now on it computes on its shard of every batch (see
// data.Loader.Shard), sums the gradients over the ranks after every
// backward pass, agrees with the other ranks on every decision (the step
// loss, divergence, pausing) and averages the batch-norm running statistics
// over the ranks at every epoch end and pause, so every rank holds the same
// model. It first copies rank 0's parameters and buffers to every rank
// (after a Restore, so a resumed job starts from one state) and checks that
// they agree. A comm of one rank changes nothing: the run is bit for bit
// the single-process one. Call it once, after Restore and before Run.
func (t *Trainer) Distribute(comm dist.Comm) error {
	if comm == nil || comm.Size() <= 1 {
		return nil
	}
	d := t.Plan.Distributed
	t.dp = &dataParallel{comm: comm, overlap: d.Overlap, capBytes: max(int(d.BucketCapMB*(1<<20)), 4), checksumEvery: d.ChecksumEvery}
	t.loader.Shard(comm.Rank(), comm.Size())
	t.noFeatureCache = true // the cache holds whole batches, not shards
	t.dp.planBuckets(t.Model.Net, t.trainable)
	for _, nt := range prefixed("", t.Model) {
		if err := comm.Broadcast(nt.Tensor.Data, 0); err != nil {
			return fmt.Errorf("broadcasting %s from rank 0: %w", nt.Name, err)
		}
	}
	return t.compareChecksums()
}

// Ranks is the number of ranks the trainer computes with (1 in a single
// process).
func (t *Trainer) Ranks() int {
	if t.dp == nil {
		return 1
	}
	return t.dp.comm.Size()
}

// ghostSplits is the number of ghost parts of a training batch on this
// rank: ceil(batch/ghost) for the rank's share of train.batch_size, 1
// without ghost batch norm.
func (t *Trainer) ghostSplits() int {
	g := t.Plan.GhostBatchSize
	if g <= 0 {
		return 1
	}
	ranks := t.Ranks()
	local := (t.Plan.BatchSize + ranks - 1) / ranks
	return max((local+g-1)/g, 1)
}

// dropoutStep is the index the stochastic layers of mini-batch micro of
// the current step draw from: step·accumulate + micro in one process, and
// that times the number of ranks plus the rank in a job, so no two ranks
// draw the same masks.
func (t *Trainer) dropoutStep(micro int) int64 {
	s := t.Step*int64(t.Plan.Accumulate) + int64(micro)
	if t.dp == nil {
		return s
	}
	return s*int64(t.dp.comm.Size()) + int64(t.dp.comm.Rank())
}

// planBuckets groups the gradients of the trainable parameters into
// buckets of at most capBytes, walking the network's steps from the last
// to the first, as Backward finishes them. A gradient larger than
// capBytes is split into blocks of whole rows (its first dimension), one
// bucket each, which a layer that computes them block by block (Linear)
// lets start before it is done. The gradients become views into the
// buckets' memory.
func (dp *dataParallel) planBuckets(net *nn.Sequential, trainable []*nn.Param) {
	want := map[*tensor.Tensor]bool{}
	for _, p := range trainable {
		want[p.Grad] = true
	}
	dp.buckets = dp.buckets[:0]
	dp.blockRows = map[*nn.Param]int{}
	dp.final = map[*tensor.Tensor]int{}
	var cur *gradBucket
	size := 0
	open := func(step int) {
		cur = &gradBucket{first: step}
		dp.buckets = append(dp.buckets, cur)
		size = 0
	}
	var order []*tensor.Tensor // the gradients in memory order
	add := func(p *nn.Param, step int) {
		g := p.Grad
		if !want[g] {
			return
		}
		delete(want, g)
		order = append(order, g)
		n := len(g.Data)
		if rows := g.Shape[0]; 4*n > dp.capBytes && len(g.Shape) > 1 && rows > 1 {
			per := max(dp.capBytes/(4*(n/rows)), 1)
			dp.blockRows[p] = per
			for r := 0; r < rows; r += per {
				open(step)
				cur.pieces = []gradPiece{{g, r * (n / rows), min(r+per, rows) * (n / rows)}}
			}
			cur = nil
			return
		}
		if cur == nil || size+4*n > dp.capBytes && size > 0 {
			open(step)
		}
		cur.pieces = append(cur.pieces, gradPiece{g, 0, n})
		cur.first = step
		size += 4 * n
	}
	steps := net.Steps()
	dp.finished = math.MaxInt
	for i := len(steps) - 1; i >= 0; i-- {
		ps := steps[i].Layer.Params()
		for j := len(ps) - 1; j >= 0; j-- {
			add(ps[j], i)
		}
	}
	for _, p := range trainable { // not in any step: summed last
		if want[p.Grad] {
			cur = nil
			add(p, -1)
		}
	}
	// One array in bucket order; a gradient split into blocks lies in
	// consecutive buckets, in the order of its rows, so it stays whole.
	total := 0
	for _, g := range order {
		total += len(g.Data)
	}
	mem := make([]float32, total)
	start := map[*tensor.Tensor]int{}
	off := 0
	for _, b := range dp.buckets {
		from := off
		for _, pc := range b.pieces {
			if pc.lo == 0 {
				start[pc.grad] = off
			}
			off += pc.hi - pc.lo
		}
		b.flat = mem[from:off:off]
	}
	for _, g := range order {
		o := start[g]
		view := mem[o : o+len(g.Data) : o+len(g.Data)]
		copy(view, g.Data)
		g.Data = view
	}
}

// start starts the sum of bucket i's gradients over the ranks.
func (dp *dataParallel) start(i int) {
	b := dp.buckets[i]
	b.pending = dp.comm.StartSumFloat32(b.flat)
}

// ready reports whether every value of bucket b is final in this pass.
func (dp *dataParallel) ready(b *gradBucket) bool {
	if b.first >= dp.finished {
		return true
	}
	for _, pc := range b.pieces {
		if dp.final[pc.grad] < pc.hi {
			return false
		}
	}
	return true
}

// startReady starts the buckets, in order, that are ready.
func (dp *dataParallel) startReady() {
	for dp.next < len(dp.buckets) && dp.ready(dp.buckets[dp.next]) {
		dp.start(dp.next)
		dp.next++
	}
}

// afterBackwardStep starts every bucket the backward pass has completed
// with step i.
func (dp *dataParallel) afterBackwardStep(i int) {
	dp.finished = i
	dp.startReady()
}

// BlockRows is the rows per block of p's gradient (nn.GradWatcher).
func (dp *dataParallel) BlockRows(p *nn.Param) int { return dp.blockRows[p] }

// RowsDone starts the buckets completed by rows [0, rows) of p's
// gradient (nn.GradWatcher).
func (dp *dataParallel) RowsDone(p *nn.Param, rows int) {
	g := p.Grad
	dp.final[g] = rows * (len(g.Data) / g.Shape[0])
	dp.startReady()
}

// finishGradients starts the buckets not started yet and waits for all of
// them: the gradients then hold their sums over the ranks. It readies the
// watch of the next pass.
func (dp *dataParallel) finishGradients() error {
	for ; dp.next < len(dp.buckets); dp.next++ {
		dp.start(dp.next)
	}
	dp.next = 0
	dp.finished = math.MaxInt
	clear(dp.final)
	var err error
	for _, b := range dp.buckets {
		if werr := b.pending.Wait(); werr != nil && err == nil {
			err = fmt.Errorf("summing the gradients over the ranks: %w", werr)
		}
	}
	return err
}

// sumStats sums the step's loss sum, correct predictions and examples
// over the ranks.
func (dp *dataParallel) sumStats(sum float64, correct, seen int) (float64, int, int, error) {
	dp.stats = [3]float64{sum, float64(correct), float64(seen)}
	if err := dp.comm.SumFloat64(dp.stats[:]); err != nil {
		return 0, 0, 0, fmt.Errorf("summing the step's loss over the ranks: %w", err)
	}
	return dp.stats[0], int(dp.stats[1]), int(dp.stats[2]), nil
}

// pause asks Pause on every rank and returns whether any rank wants to
// pause, so all ranks stop at the same step.
func (t *Trainer) pause() bool {
	local := t.Pause != nil && t.Pause()
	if t.dp == nil {
		return local
	}
	v := []float64{0}
	if local {
		v[0] = 1
	}
	if err := t.dp.comm.MaxFloat64(v); err != nil {
		t.Abort(fmt.Errorf("agreeing on a pause over the ranks: %w", err))
		return false
	}
	return v[0] > 0
}

// averageBuffers replaces the batch-norm running statistics of every rank
// by their mean over the ranks. Each rank's statistics follow its own part
// of the batches; as they move linearly with the batch statistics, the mean
// is what a single running average of the parts' statistics would hold.
func (t *Trainer) averageBuffers() error {
	if t.dp == nil {
		return nil
	}
	inv := 1 / float32(t.dp.comm.Size())
	for _, b := range t.Model.Buffers() {
		d := b.Value.Data
		if err := t.dp.comm.SumFloat32(d); err != nil {
			return fmt.Errorf("averaging %s over the ranks: %w", b.Name, err)
		}
		for i := range d {
			d[i] *= inv
		}
	}
	return nil
}

// checksumDue reports whether the parameters are compared after the step
// that made t.Step steps.
func (t *Trainer) checksumDue() bool {
	k := t.dp.checksumEvery
	return k > 0 && (t.Step == 1 || t.Step%int64(k) == 0)
}

// paramChecksum is the FNV-1a hash of the bits of every parameter.
func paramChecksum(params []*nn.Param) uint64 {
	h := fnv.New64a()
	var buf [4096]byte
	for _, p := range params {
		d := p.Value.Data
		for len(d) > 0 {
			n := min(len(d), len(buf)/4)
			for i, v := range d[:n] {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
			}
			h.Write(buf[:4*n])
			d = d[n:]
		}
	}
	return h.Sum64()
}

// compareChecksums gathers every rank's parameter checksum and fails, on
// every rank alike, when one differs from rank 0's.
func (t *Trainer) compareChecksums() error {
	sums, err := t.dp.comm.GatherUint64(paramChecksum(t.Model.Params()))
	if err != nil {
		return fmt.Errorf("comparing the parameters over the ranks: %w", err)
	}
	for r, s := range sums {
		if s != sums[0] {
			return fmt.Errorf("step %d: the parameters of rank %d differ from rank 0's (checksum %016x, rank 0 %016x): the ranks' models diverged — run every rank with the same binary, config and data; the checkpoints already written are intact", t.Step, r, s, sums[0])
		}
	}
	return nil
}

// DistributedSummary is the line a data-parallel run prints at its start:
// the ranks and their share of the global batch, the large-batch rules
// applied (the learning rate's scaling and warmup) and how batch norm
// normalizes. "" in a single process.
func (t *Trainer) DistributedSummary() string {
	if t.dp == nil {
		return ""
	}
	p := t.Plan
	n := t.dp.comm.Size()
	sc := p.schedule.Spec
	rule := "lr " + fmtG(p.BaseLR)
	if sc.ScaleRule != "" && sc.ScaleRule != "none" {
		rule += fmt.Sprintf(" (optimizer.lr scaled %s to the global batch %d from base_batch_size %d)", sc.ScaleRule, p.BatchSize, sc.BaseBatchSize)
	} else {
		rule += " (schedule.scale_rule none: not scaled with the batch)"
	}
	warm := "no warmup"
	if w := p.WarmupSteps(p.StepsPerEpoch(t.loader.NumBatches())); w > 0 {
		warm = fmt.Sprintf("warmup %d steps", w)
	}
	bn := "batch norm per rank"
	switch {
	case p.Distributed.SyncBN:
		bn = "synchronized batch norm"
	case p.GhostBatchSize > 0:
		bn = fmt.Sprintf("ghost batch norm of %d within each rank", p.GhostBatchSize)
	}
	overlap := "overlapped with the backward pass"
	if !p.Distributed.Overlap {
		overlap = "after the backward pass"
	}
	share := fmt.Sprint(p.BatchSize / n)
	if p.BatchSize%n != 0 {
		share += fmt.Sprintf("–%d", p.BatchSize/n+1)
	}
	buckets := "1 bucket"
	if len(t.dp.buckets) != 1 {
		buckets = fmt.Sprintf("%d buckets", len(t.dp.buckets))
	}
	return fmt.Sprintf("data-parallel: %d ranks × %s examples = global batch %d; %s, %s; %s; gradients all-reduced in %s of ≤ %g MiB %s",
		n, share, p.BatchSize, rule, warm, bn, buckets, p.Distributed.BucketCapMB, overlap)
}

// fmtG formats a rate compactly.
func fmtG(v float64) string { return fmt.Sprintf("%g", v) }

// evaluateVal scores m on the validation split, shared by the ranks of a
// data-parallel job (each scores its share of the batches; every rank gets
// the one-process metrics).
func (t *Trainer) evaluateVal(m *model.Model) (EvalMetrics, error) {
	var comm dist.Comm
	if t.dp != nil {
		comm = t.dp.comm
	}
	return EvaluateRanks(m, t.Val, t.Plan.EvalBatchSize, t.Pool, comm)
}
