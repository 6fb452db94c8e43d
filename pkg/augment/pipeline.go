package augment

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/nettrain/nettrain/pkg/rng"
)

// Step is one pipeline stage: Op is applied with probability P.
type Step struct {
	P  float64 // in [0, 1]: 0 never applies Op, 1 always does
	Op Op
}

// Pipeline is an ordered list of steps applied to one example. Build it with
// New from Specs, or directly from ops. A Pipeline is read-only once built
// and safe for concurrent use.
//
// By default every step renders its own result, exactly as applying the
// ops one after the other (torchvision's Compose). With Fuse, consecutive
// geometric steps (Geometric ops) that share a Border are composed into one
// warp and resampled once: rotate, shear and stretch then blur the image
// once instead of three times, at a price in semantics — nothing is clipped
// between fused steps, so content one step moves out of the frame can be
// moved back by the next, where applying them one by one would show the
// fill. Fusing never changes the random draws.
type Pipeline struct {
	Steps []Step
	Fuse  bool // compose consecutive geometric steps into one resampling
}

// shaper is implemented by ops whose output shape differs from their input
// or that cannot handle some shapes.
type shaper interface {
	outShape(c, h, w int) (int, int, int, error)
}

// OutShape returns the shape (C,H,W) of the pipeline's output for inputs of
// shape (c,h,w) (geometric steps like Crop with a Size may change it; every
// step is assumed to apply), or an error naming the step whose parameters
// do not fit that shape. Call it once when the data set is known: Apply
// panics on what OutShape rejects.
func (p *Pipeline) OutShape(c, h, w int) (oc, oh, ow int, err error) {
	for i, s := range p.Steps {
		sh, ok := s.Op.(shaper)
		if !ok {
			continue
		}
		if c, h, w, err = sh.outShape(c, h, w); err != nil {
			return 0, 0, 0, wrapStep(i, opName(s.Op), err)
		}
	}
	return c, h, w, nil
}

// rands recycles the generators Apply reseeds per example.
var rands = sync.Pool{New: func() any {
	src := &rand.PCG{}
	return &pooledRand{src: src, r: rand.New(src)}
}}

type pooledRand struct {
	src *rand.PCG
	r   *rand.Rand
}

// Apply augments one example in place with the random stream
// rng.New(seed, rng.Augment, epoch, index): the same (seed, epoch, index)
// always gives the same output, whatever the batch or thread it is
// processed in. index should be the example's index in the data set, not
// its position in a batch. It panics if epoch or index is negative.
func (p *Pipeline) Apply(img *Image, seed uint64, epoch, index int) {
	if epoch < 0 || index < 0 {
		panic(fmt.Sprintf("augment: Pipeline.Apply: negative epoch %d or index %d", epoch, index))
	}
	pr := rands.Get().(*pooledRand)
	rng.Reseed(pr.src, seed, rng.Augment, uint64(epoch), uint64(index))
	p.ApplyRand(img, pr.r)
	rands.Put(pr)
}

// ApplyBatch augments the examples of a batch x, shape (n, c, h, w), in
// place; example k uses Apply(…, seed, epoch, idx[k]) with idx (len n) the
// examples' data set indices. The pipeline must keep the shape (OutShape
// equal to (c,h,w)); it panics otherwise.
func (p *Pipeline) ApplyBatch(x []float32, idx []int, c, h, w int, seed uint64, epoch int) {
	f := c * h * w
	if len(x) != len(idx)*f {
		panic(fmt.Sprintf("augment: ApplyBatch: len(x)=%d, want %d·%d", len(x), len(idx), f))
	}
	for k, i := range idx {
		img := Image{C: c, H: h, W: w, Pix: x[k*f : (k+1)*f : (k+1)*f]}
		p.Apply(&img, seed, epoch, i)
		if img.C != c || img.H != h || img.W != w || &img.Pix[0] != &x[k*f] {
			panic("augment: ApplyBatch: the pipeline changes the image shape")
		}
	}
}

// ApplyRand augments img in place drawing from r: for each step one
// r.Float64() decides whether it applies (u < P), then the op draws its own
// parameters.
func (p *Pipeline) ApplyRand(img *Image, r *rand.Rand) {
	img.check("Pipeline")
	var (
		pend     Warp
		pendFill Fill
		pending  bool
		h, w     = img.H, img.W // size after the pending warp
	)
	flush := func() {
		if pending {
			warpInPlace(img, pend, h, w, pendFill)
			pending = false
		}
	}
	for _, s := range p.Steps {
		if !(r.Float64() < s.P) {
			continue
		}
		g, ok := s.Op.(Geometric)
		if !ok || !p.Fuse {
			flush()
			s.Op.Apply(img, r)
			h, w = img.H, img.W
			continue
		}
		wp, oh, ow := g.Transform(h, w, r)
		if pending && g.Border() == pendFill {
			if c, ok := compose(pend, wp); ok {
				pend, h, w = c, oh, ow
				continue
			}
		}
		flush()
		pend, pendFill, pending, h, w = wp, g.Border(), true, oh, ow
	}
	flush()
}
