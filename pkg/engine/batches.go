package engine

import (
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// batchBuf is one mini-batch buffer: x (n,C,H,W) over xdata and labels y.
type batchBuf struct {
	x     tensor.Tensor
	xdata []float32
	y     []int32
	n     int
}

// batchPipeline loads the mini-batches of an epoch into two buffers in
// turn: while the training step uses one, a background goroutine fills the
// other with the next batch. The batches and their order are exactly the
// loader's, so results do not depend on the pipeline.
type batchPipeline struct {
	loader *data.Loader
	d      *data.Dataset
	bufs   [2]batchBuf
}

func newBatchPipeline(loader *data.Loader, d *data.Dataset, batchSize int) *batchPipeline {
	p := &batchPipeline{loader: loader, d: d}
	for i := range p.bufs {
		b := &p.bufs[i]
		b.xdata = make([]float32, batchSize*d.FeatureLen())
		b.y = make([]int32, batchSize)
		b.x.Shape = []int{0, d.C, d.H, d.W}
	}
	return p
}

// fill loads batch b of the current epoch into buf.
func (p *batchPipeline) fill(buf *batchBuf, b int) {
	buf.n = p.loader.Batch(b, buf.xdata, buf.y)
	buf.x.Shape[0] = buf.n
	buf.x.Data = buf.xdata[:buf.n*p.d.FeatureLen()]
}

// epoch prepares the loader for epoch e and calls fn for each of its
// batches from start on, in order, x (n,C,H,W) and y (n,), prefetching the next batch
// while fn runs. It stops at the first error fn returns. x and y are valid
// only during the call.
func (p *batchPipeline) epoch(e, start int, fn func(b int, x *tensor.Tensor, y []int32) error) error {
	p.loader.Epoch(e)
	nb := p.loader.NumBatches()
	ready := make(chan int, len(p.bufs))
	free := make(chan int, len(p.bufs))
	stop := make(chan struct{})
	defer close(stop)
	for i := range p.bufs {
		free <- i
	}
	go func() {
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
		err := fn(b, &buf.x, buf.y[:buf.n])
		free <- i
		if err != nil {
			return err
		}
	}
	return nil
}
