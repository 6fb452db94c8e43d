package engine

import (
	"sync"

	"github.com/nettrain/nettrain/pkg/augment"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// batchBuf is one mini-batch buffer: x (n,C,H,W) over xdata, labels y and,
// when the batch was mixed (mixup, cutmix), soft targets (n,classes).
type batchBuf struct {
	x     tensor.Tensor
	xdata []float32
	y     []int32
	n     int
	// soft holds the mixed batch's targets over softData; mixed says
	// whether this batch was mixed (soft is valid).
	soft     tensor.Tensor
	softData []float32
	mixed    bool
	// raw is the raw batch (n, c, h, w of the data set) that augmentation
	// works on before preprocessing, when the pipeline preprocesses.
	raw []float32
	// err is the data set's read error after filling this batch (a
	// streamed folder whose file did not decode), nil when it read.
	err error
}

// targets returns the batch's soft targets, or nil when it was not mixed.
func (b *batchBuf) targets() *tensor.Tensor {
	if !b.mixed {
		return nil
	}
	return &b.soft
}

// batchTransform is what the pipeline does to a training batch beyond
// copying it: augment each raw example, mix the batch, preprocess it. The
// zero value does nothing.
type batchTransform struct {
	// aug augments each example in place (nil: none), keyed by (seed,
	// epoch, data set index).
	aug *augment.Pipeline
	// prep, when set, is applied to each batch after augmentation and
	// mixing (the data set is raw); nil means the data set is already
	// preprocessed.
	prep data.Preprocessor
	// mixup and cutmix mix batches (alpha 0: off), drawing from
	// augment.MixRand(seed, epoch, batch).
	mixup, cutmix config.Mix
	// classes is the width of the soft targets.
	classes int
	seed    uint64
}

// mixing reports whether any batch may be mixed.
func (t *batchTransform) mixing() bool { return t.mixup.Alpha > 0 || t.cutmix.Alpha > 0 }

// newBatchTransform returns the training batch transform of the plan for the
// prepared splits and a model with the given class count.
func newBatchTransform(p *Plan, s *Splits, classes int) batchTransform {
	t := batchTransform{mixup: p.Mixup, cutmix: p.CutMix, classes: classes, seed: p.Seed}
	if s.Raw {
		t.prep = s.Prep
		t.aug = s.Augmenter
	}
	return t
}

// batchPipeline loads the mini-batches of an epoch into two buffers in
// turn: while the training step uses one, a background goroutine fills the
// other with the next batch — copying it and, as configured, augmenting,
// mixing and preprocessing it. The batches and their order are exactly the
// loader's, and every random draw is a function of (seed, epoch, example
// index) or (seed, epoch, batch), so results do not depend on the pipeline
// or on the thread count.
type batchPipeline struct {
	loader *data.Loader
	d      *data.Dataset
	bufs   [2]batchBuf
	tf     batchTransform
	epochN int    // the current epoch
	out    [3]int // per-example shape of the batches handed out (C,H,W)
	// workers bounds the goroutines that augment and preprocess a batch
	// (the run's thread budget; ≤ 1: one).
	workers int
}

func newBatchPipeline(loader *data.Loader, d *data.Dataset, batchSize int) *batchPipeline {
	return newBatchPipelineWith(loader, d, batchSize, batchTransform{})
}

// newBatchPipelineWith is newBatchPipeline with a batch transform.
func newBatchPipelineWith(loader *data.Loader, d *data.Dataset, batchSize int, tf batchTransform) *batchPipeline {
	p := &batchPipeline{loader: loader, d: d, tf: tf, out: [3]int{d.C, d.H, d.W}}
	if tf.prep != nil {
		p.out[0], p.out[1], p.out[2] = tf.prep.OutShape(d.C, d.H, d.W)
	}
	for i := range p.bufs {
		b := &p.bufs[i]
		b.xdata = make([]float32, batchSize*p.out[0]*p.out[1]*p.out[2])
		b.y = make([]int32, batchSize)
		b.x.Shape = []int{0, p.out[0], p.out[1], p.out[2]}
		if tf.prep != nil {
			b.raw = make([]float32, batchSize*d.FeatureLen())
		}
		if tf.mixing() {
			b.softData = make([]float32, batchSize*tf.classes)
			b.soft.Shape = []int{0, tf.classes}
		}
	}
	return p
}

// fill loads batch b of the current epoch into buf and transforms it.
func (p *batchPipeline) fill(buf *batchBuf, b int) {
	tf := &p.tf
	outLen := p.out[0] * p.out[1] * p.out[2]
	buf.mixed = false
	if tf.prep == nil {
		buf.n = p.loader.Batch(b, buf.xdata, buf.y)
		if tf.mixing() {
			p.mix(buf, buf.xdata[:buf.n*outLen], p.out[0], p.out[1], p.out[2], b)
		}
	} else {
		d := p.d
		f := d.FeatureLen()
		buf.n = p.loader.Batch(b, buf.raw, buf.y)
		if buf.err = ReadError(d); buf.err != nil {
			return // the batch is not used
		}
		raw := buf.raw[:buf.n*f]
		if tf.aug != nil {
			p.augment(raw, p.loader.Indices(b))
		}
		if tf.mixing() {
			p.mix(buf, raw, d.C, d.H, d.W, b)
		}
		bd := data.Dataset{X: raw, N: buf.n, C: d.C, H: d.H, W: d.W, Classes: d.Classes}
		if err := tf.prep.Apply(&bd, p.workers); err != nil {
			// The preprocessing was fitted on this data set's shape.
			panic("engine: preprocessing a batch: " + err.Error())
		}
		copy(buf.xdata, bd.X)
	}
	buf.x.Shape[0] = buf.n
	buf.x.Data = buf.xdata[:buf.n*outLen]
	buf.err = ReadError(p.d)
}

// augment augments the raw examples of a batch in place, in parallel over
// the examples on up to p.workers goroutines; example k is data set example
// idx[k].
func (p *batchPipeline) augment(raw []float32, idx []int) {
	d, tf := p.d, &p.tf
	workers := max(1, min(p.workers, len(idx)))
	f := d.FeatureLen()
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(idx)/workers, (w+1)*len(idx)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			tf.aug.ApplyBatch(raw[lo*f:hi*f], idx[lo:hi], d.C, d.H, d.W, tf.seed, p.epochN)
		}()
	}
	wg.Wait()
}

// mix mixes the batch x (n, c, h, w) of buf with mixup or cutmix, drawing
// from augment.MixRand(seed, epoch, b): with both configured, the first
// draw picks cutmix (< 0.5) or mixup; the next decides whether the batch
// is mixed at all (< p); the method then draws its own λ and permutation.
func (p *batchPipeline) mix(buf *batchBuf, x []float32, c, h, w, b int) {
	tf := &p.tf
	r := augment.MixRand(tf.seed, p.epochN, b)
	cut := tf.cutmix.Alpha > 0
	if cut && tf.mixup.Alpha > 0 {
		cut = r.Float64() < 0.5
	}
	m := tf.mixup
	if cut {
		m = tf.cutmix
	}
	if !(r.Float64() < m.P) {
		return
	}
	n := buf.n
	soft := buf.softData[:n*tf.classes]
	if cut {
		augment.CutMix(x, buf.y[:n], n, c, h, w, tf.classes, m.Alpha, r, soft)
	} else {
		augment.Mixup(x, buf.y[:n], n, c, h, w, tf.classes, m.Alpha, r, soft)
	}
	buf.mixed = true
	buf.soft.Shape[0] = n
	buf.soft.Data = soft
}

// epoch prepares the loader for epoch e and calls fn for each of its
// batches from start on, in order, x (n,C,H,W) and y (n,), prefetching the next batch
// while fn runs. It stops at the first error fn returns. x and y are valid
// only during the call.
func (p *batchPipeline) epoch(e, start int, fn func(b int, x *tensor.Tensor, y []int32) error) error {
	return p.epochBatches(e, start, func(b int, buf *batchBuf) error {
		return fn(b, &buf.x, buf.y[:buf.n])
	})
}

// epochBatches is epoch handing out the whole batch buffer (with its soft
// targets when mixed); buf is valid only during the call.
func (p *batchPipeline) epochBatches(e, start int, fn func(b int, buf *batchBuf) error) error {
	p.loader.Epoch(e)
	p.epochN = e
	nb := p.loader.NumBatches()
	ready := make(chan int, len(p.bufs))
	free := make(chan int, len(p.bufs))
	stop, done := make(chan struct{}), make(chan struct{})
	defer func() {
		close(stop)
		<-done // the prefetcher is not left filling a buffer of this epoch
	}()
	for i := range p.bufs {
		free <- i
	}
	go func() {
		defer close(done)
		for b := start; b < nb; b++ {
			var i int
			select {
			case i = <-free:
			case <-stop:
				return
			}
			p.fill(&p.bufs[i], b)
			ready <- i
		}
	}()
	for b := start; b < nb; b++ {
		i := <-ready
		buf := &p.bufs[i]
		err := buf.err
		if err == nil {
			err = fn(b, buf)
		}
		free <- i
		if err != nil {
			return err
		}
	}
	return nil
}
