package nn

import (
	"fmt"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// Conv2d is a 2-D convolution (cross-correlation, as in PyTorch's
// nn.Conv2d) over NCHW inputs with zero padding:
//
//	y[n,o,i,j] = b[o] + Σ_{c,u,v} W[o,c,u,v] · x[n, c, i·sH−pH+u, j·sW−pW+v]
//
// It is computed with im2col and (*tensor.Pool).Gemm, one example at a time
// or, on small output planes, a fixed group of examples side by side (see
// groupSize), the batch split across the threads of the Context's Pool,
// each with its own column buffer kept between calls. Results are bit-identical for
// every thread count: groups depend on the batch size alone, the output and
// input gradient are per group, and the parameter gradients are summed over
// gradChunks fixed batch chunks in chunk order (see Backward). The output
// size along each axis is (in + 2·pad − kernel)/stride + 1, rounded down.
//
// DropConnect p > 0 (Wan et al. 2013, "Regularization of Neural Networks
// using DropConnect") masks the weights in training as Linear does: the
// forward pass uses W⊙M, M ∈ {0, 1/(1−p)} per weight with keep probability
// 1−p, drawn afresh each step from (c.Seed, c.Step, DropConnectSalt) and
// shared by the batch, and dW is masked alike; the bias is not masked. In
// evaluation all weights are used unscaled.
type Conv2d struct {
	// NoInputGrad skips the input gradient, as Linear.NoInputGrad: Backward
	// accumulates the parameter gradients and returns nil. Model builders set
	// it on a first convolution that nothing trainable precedes, saving the
	// im2col of dy and one matrix multiply per example.
	NoInputGrad bool
	// InC and OutC are the input and output channel counts; KH and KW the
	// kernel height and width.
	InC, OutC, KH, KW int
	// StrideH, StrideW, PadH and PadW are the per-axis stride (≥ 1) and
	// zero padding (≥ 0). NewConv2d sets both axes alike; set them after
	// construction (not between Forward and Backward) for a non-square
	// configuration.
	StrideH, StrideW, PadH, PadW int

	Weight *Param // (outC, inC, kH, kW)
	Bias   *Param // (outC,), nil without bias

	// DropConnect is the probability, in [0, 1), of dropping each weight in
	// training (0: off); DropConnectSalt distinguishes this layer's masks
	// from other layers'.
	DropConnect     float64
	DropConnectSalt uint64

	dc dropConnect

	x    *tensor.Tensor // cached input (N, inC, H, W)
	y    *tensor.Tensor // output buffer (N, outC, OH, OW)
	dx   *tensor.Tensor // input-gradient buffer (N, inC, H, W)
	cols [][]float32    // per-worker column buffers: im2col of x, and in Backward of dy or dcol
	// scratch holds per-worker group buffers: the group's products before
	// they are scattered to the examples, and its gathered dy.
	scratch [][]float32
	// xMasks and dyMasks are the im2col padding masks (see shiftMasks) of x
	// and, in Backward, of dy, set before the workers start.
	xMasks, dyMasks []uint16

	// dwPart holds the transposed weight gradients (inC·kH·kW, outC) of the
	// batch chunks of Backward, one after another; dbPart the bias
	// gradients of chunks 1, 2, … (chunk 0 adds into Bias.Grad directly).
	dwPart, dbPart []float32
	// wFlip is the kernel of the input gradient as a convolution of dy:
	// (inC, outC·kH·kW) with wFlip[c, o, u, v] = W[o, c, kH−1−u, kW−1−v].
	wFlip []float32

	run convRun // the call in progress, shared with the workers
}

// gradChunks is the most batch chunks Backward sums parameter gradients
// over. A batch of N is cut into min(N, gradChunks) contiguous chunks of
// ⌊N/chunks⌋ or ⌈N/chunks⌉ examples whatever the thread count, so the sum
// order, and with it every bit of the gradient, depends on N alone. It
// bounds the useful parallelism of Backward, and costs gradChunks−1 extra
// copies of the parameter gradients per layer.
const gradChunks = 8

// convRun is the geometry and data of one Forward or Backward call, read
// by the workers. convForward, convBackward and convReduce are its tasks.
type convRun struct {
	c                                    *Conv2d
	pool                                 *tensor.Pool // the pass's Context.Pool
	n, h, w, oh, ow, p, k, inLen, outLen int
	direct                               bool           // 1x1 pointwise: the column matrix is the example
	viaDy                                bool           // Backward: dx as a convolution of dy (see dxGeom)
	group                                int            // examples per matrix multiply (see groupSize)
	wt                                   []float32      // the weights in use (masked under DropConnect)
	dw                                   []float32      // where the weight gradient adds (Weight.Grad, or DropConnect's scratch)
	dy                                   *tensor.Tensor // Backward's output gradient
	chunks                               int            // Backward's batch chunks
}

type (
	convForward  convRun
	convBackward convRun
	convReduce   convRun
)

// setup fills r for an input of n×(inC, h, w) with output (oh, ow), run on
// pool.
func (r *convRun) setup(c *Conv2d, pool *tensor.Pool, n, h, w, oh, ow int) {
	*r = convRun{c: c, pool: pool, n: n, h: h, w: w, oh: oh, ow: ow, p: oh * ow,
		k: c.InC * c.KH * c.KW, inLen: c.InC * h * w, outLen: c.OutC * oh * ow,
		direct: c.isPointwise()}
	r.group = 1
	if !r.direct {
		r.group = min(groupSize(r.p), n)
	}
}

// Grouping: a matrix multiply over the oh·ow columns of one example wastes
// most of its last 16-wide vector on small planes (49 columns fill 64
// lanes) and reloads its output tiles for few products. Below groupCols
// columns, Forward and Backward multiply a group of examples side by side
// instead: their column matrices fill one (K, group·oh·ow) matrix and the
// product is scattered back per example (1.7x faster GEMMs on 7x7 planes,
// 1.16x on 14x14).
const (
	groupCols = 256 // planes with fewer output positions are grouped
	maxGroup  = 16  // examples per group at most
)

// groupSize returns the examples per matrix multiply for output planes of
// p positions: 1 from groupCols up; else the fewest (at most maxGroup)
// whose planes fill at least groupCols columns in whole 16-wide vectors,
// or that fill groupCols.
func groupSize(p int) int {
	if p >= groupCols {
		return 1
	}
	g := (groupCols + p - 1) / p
	for k := g; k <= maxGroup; k++ {
		if k*p%16 == 0 {
			return k
		}
	}
	return min(g, maxGroup)
}

// prepareWorkers makes sure each worker pool runs tasks over tasks items
// on, min(pool.Threads(), tasks) of them, has a column buffer of at least
// size values and, when examples are grouped, a scratch buffer of scratch
// values.
func (c *Conv2d) prepareWorkers(pool *tensor.Pool, tasks, size, scratch int) {
	nw := min(pool.Threads(), tasks)
	for len(c.cols) < nw {
		c.cols = append(c.cols, nil)
		c.scratch = append(c.scratch, nil)
	}
	for i := range nw {
		if size > 0 {
			c.cols[i] = reuseFloats(c.cols[i], size)
		}
		if scratch > 0 {
			c.scratch[i] = reuseFloats(c.scratch[i], scratch)
		}
	}
}

// setMasks computes the im2col padding masks the workers of r need: of x,
// and of dy if dy is true.
func (c *Conv2d) setMasks(r *convRun, dy bool) {
	if g := c.geom(r.h, r.w, r.oh, r.ow); g.usesShift() {
		c.xMasks = g.shiftMasks(c.xMasks)
	}
	if g, ok := c.dxGeom(r.h, r.w, r.oh, r.ow); dy && ok && g.usesShift() {
		c.dyMasks = g.shiftMasks(c.dyMasks)
	}
}

// geom returns the im2col geometry of this layer for an h×w input.
func (c *Conv2d) geom(h, w, oh, ow int) convGeom {
	return convGeom{c: c.InC, h: h, w: w, kh: c.KH, kw: c.KW, sh: c.StrideH, sw: c.StrideW,
		ph: c.PadH, pw: c.PadW, oh: oh, ow: ow}
}

// dxGeom returns the geometry that computes the input gradient of a
// unit-stride convolution as a convolution of dy with the flipped kernel
// (wFlip), padded by k−1−pad, whose output is the h×w input; ok is false
// for strided convolutions and padding ≥ the kernel size, which use
// col2im.
func (c *Conv2d) dxGeom(h, w, oh, ow int) (g convGeom, ok bool) {
	if c.StrideH != 1 || c.StrideW != 1 || c.PadH >= c.KH || c.PadW >= c.KW {
		return convGeom{}, false
	}
	return convGeom{c: c.OutC, h: oh, w: ow, kh: c.KH, kw: c.KW, sh: 1, sw: 1,
		ph: c.KH - 1 - c.PadH, pw: c.KW - 1 - c.PadW, oh: h, ow: w}, true
}

// flipWeights fills wFlip from the weights wt.
func (c *Conv2d) flipWeights(wt []float32) {
	kk := c.KH * c.KW
	c.wFlip = reuseFloats(c.wFlip, len(wt))
	for o := range c.OutC {
		for ch := range c.InC {
			src := wt[(o*c.InC+ch)*kk : (o*c.InC+ch+1)*kk]
			dst := c.wFlip[(ch*c.OutC+o)*kk : (ch*c.OutC+o+1)*kk]
			for e, v := range src {
				dst[kk-1-e] = v
			}
		}
	}
}

// NewConv2d returns a Conv2d layer with zero weights (see the initializers
// and Fans) and, if bias is true, a zero bias. It panics if a size is not
// positive or padding is negative.
func NewConv2d(inC, outC, kernelH, kernelW, stride, padding int, bias bool) *Conv2d {
	if inC < 1 || outC < 1 || kernelH < 1 || kernelW < 1 || stride < 1 || padding < 0 {
		panic(fmt.Sprintf("nn: invalid Conv2d(in=%d, out=%d, kernel=%dx%d, stride=%d, pad=%d)",
			inC, outC, kernelH, kernelW, stride, padding))
	}
	c := &Conv2d{InC: inC, OutC: outC, KH: kernelH, KW: kernelW,
		StrideH: stride, StrideW: stride, PadH: padding, PadW: padding}
	c.Weight = &Param{Name: "weight", Value: tensor.New(outC, inC, kernelH, kernelW),
		Grad: tensor.New(outC, inC, kernelH, kernelW), Decay: true}
	if bias {
		c.Bias = &Param{Name: "bias", Value: tensor.New(outC), Grad: tensor.New(outC)}
	}
	return c
}

// Fans returns the weight's fan-in inC·kH·kW and fan-out outC·kH·kW, as
// torch.nn.init computes them, for use in InitOptions.
func (c *Conv2d) Fans() (fanIn, fanOut int) {
	return c.InC * c.KH * c.KW, c.OutC * c.KH * c.KW
}

// outSize returns the output height and width for an input of h×w, or
// non-positive values if the output would be empty.
func (c *Conv2d) outSize(h, w int) (oh, ow int) {
	eh, ew := h+2*c.PadH-c.KH, w+2*c.PadW-c.KW
	if eh < 0 || ew < 0 {
		return 0, 0
	}
	return eh/c.StrideH + 1, ew/c.StrideW + 1
}

// Forward: x is (N, inC, H, W), returns y (N, outC, OH, OW).
func (c *Conv2d) Forward(ctx *Context, x *tensor.Tensor) *tensor.Tensor {
	if len(x.Shape) != 4 {
		panic(fmt.Sprintf("nn: %s got input %v, want (N, %d, H, W)", c.Describe(), x.Shape, c.InC))
	}
	oh, ow, err := c.check(x.Shape[1:])
	if err != nil {
		panic(fmt.Sprintf("nn: %s got input %v: %v", c.Describe(), x.Shape, err))
	}
	n, h, w := x.Shape[0], x.Shape[2], x.Shape[3]
	c.x = x
	c.y = reuse4(c.y, n, c.OutC, oh, ow)
	r := &c.run
	r.setup(c, ctx.Pool, n, h, w, oh, ow)
	r.wt = c.dc.weights(ctx, c.DropConnect, c.DropConnectSalt, c.Weight.Value.Data)
	colSize, scratch := 0, 0
	if !r.direct {
		colSize = r.k * r.group * r.p
	}
	if r.group > 1 {
		scratch = c.OutC * r.group * r.p
	}
	c.setMasks(r, false)
	groups := (n + r.group - 1) / r.group
	c.prepareWorkers(ctx.Pool, groups, colSize, scratch)
	ctx.Pool.ParallelFor(groups, (*convForward)(r))
	r.wt, r.pool = nil, nil
	return c.y
}

// Backward: dy is (N, outC, OH, OW); accumulates dW += Σₙ dyₙ·colₙᵀ and
// db += Σ_{n,i,j} dy, and returns dx (N, inC, H, W).
//
// The weight gradient is summed transposed, dWᵀ (inC·kH·kW, outC) =
// Σₙ colₙ·dyₙᵀ, so that only the small dyₙ is transposed for the matrix
// multiply. The batch is cut into min(N, gradChunks) contiguous chunks;
// each chunk sums its examples in order into its own dWᵀ and db buffers,
// and the chunks are then added in chunk order (db: chunk 0 adds into
// Bias.Grad directly). Under DropConnect the weights are the masked ones of
// the last Forward, and the weight gradient is masked before it is added.
//
// dx is, for unit stride, the convolution of dyₙ with the flipped kernel
// (im2col of dy, then one matrix multiply: no scatter-add); otherwise
// col2im(Wᵀ·dyₙ). A 1x1 pointwise convolution needs neither: dxₙ = Wᵀ·dyₙ.
func (c *Conv2d) Backward(ctx *Context, dy *tensor.Tensor) *tensor.Tensor {
	x := c.x
	n, h, w := x.Shape[0], x.Shape[2], x.Shape[3]
	oh, ow := c.outSize(h, w)
	if !dy.SameShape(c.y.Shape) {
		panic(fmt.Sprintf("nn: %s backward got dy %v, want %v", c.Describe(), dy.Shape, c.y.Shape))
	}
	if !c.NoInputGrad {
		c.dx = tensor.Ensure(c.dx, x.Shape...)
	}
	r := &c.run
	r.setup(c, ctx.Pool, n, h, w, oh, ow)
	r.dy = dy
	r.chunks = min(n, gradChunks)
	r.wt, r.dw = c.Weight.Value.Data, c.Weight.Grad.Data
	if c.dc.active {
		r.wt, r.dw = c.dc.w, c.dc.gradScratch(len(r.dw))
	}
	c.dwPart = reuseFloats(c.dwPart, r.chunks*len(r.dw))
	if c.Bias != nil {
		c.dbPart = reuseFloats(c.dbPart, (r.chunks-1)*c.OutC)
	}
	colSize, scratch := 0, 0
	if !r.direct {
		colSize = r.k * r.group * r.p
		if g, ok := c.dxGeom(h, w, oh, ow); ok && !c.NoInputGrad {
			r.viaDy = true
			colSize = max(colSize, g.c*g.kh*g.kw*r.group*h*w)
			c.flipWeights(r.wt)
		}
	}
	if r.group > 1 {
		scratch = c.OutC*r.group*r.p + c.InC*r.group*h*w
	}
	c.setMasks(r, r.viaDy)
	c.prepareWorkers(ctx.Pool, r.chunks, colSize, scratch)
	ctx.Pool.ParallelFor(r.chunks, (*convBackward)(r))
	ctx.Pool.ParallelFor((r.k+reduceRows-1)/reduceRows, (*convReduce)(r))
	if c.Bias != nil {
		db := c.Bias.Grad.Data
		for ch := range r.chunks - 1 {
			for o, v := range c.dbPart[ch*c.OutC : (ch+1)*c.OutC] {
				db[o] += v
			}
		}
	}
	if c.dc.active {
		c.dc.accumulate(c.Weight.Grad.Data)
	}
	r.dy, r.wt, r.dw, r.pool = nil, nil, nil, nil
	if c.NoInputGrad {
		return nil
	}
	return c.dx
}

// reduceRows is how many rows of dWᵀ one convReduce task sums.
const reduceRows = 64

// Run computes the examples of group grp of the output: their columns
// side by side, one matrix multiply, and the product scattered back to the
// examples (a group of one is written in place).
func (r *convForward) Run(worker, grp int) {
	c, p, k := r.c, r.p, r.k
	lo, hi := grp*r.group, min((grp+1)*r.group, r.n)
	cnt, ld := hi-lo, (hi-lo)*p
	col := (*convRun)(r).columns(worker, lo, hi)
	y := c.y.Data[lo*r.outLen : hi*r.outLen]
	out := y
	if cnt > 1 {
		out = c.scratch[worker][:c.OutC*ld]
	}
	// out (outC, cnt·P) = W (outC,K) · col (K, cnt·P); y_e[o] = out[o, e] + b[o]
	r.pool.Gemm(false, false, c.OutC, ld, k, 1, r.wt, k, col, ld, 0, out, ld)
	var bias []float32
	if c.Bias != nil {
		bias = c.Bias.Value.Data
	}
	scatterPlanes(y, out, c.OutC, p, cnt, bias)
}

// columns returns the column matrix (K, cnt·P) of examples [lo, hi) of x,
// built in the worker's buffer (a pointwise convolution's, one example, is
// the example itself).
func (r *convRun) columns(worker, lo, hi int) []float32 {
	c := r.c
	if r.direct {
		return c.x.Data[lo*r.inLen : (lo+1)*r.inLen]
	}
	col, ld := c.cols[worker], (hi-lo)*r.p
	g := c.geom(r.h, r.w, r.oh, r.ow)
	for e := lo; e < hi; e++ {
		g.im2col(c.x.Data[e*r.inLen:(e+1)*r.inLen], col[(e-lo)*r.p:], ld, c.xMasks)
	}
	return col
}

// scatterPlanes writes a group's product out (rows, cnt·P) to the cnt
// examples' (rows, P) planes in dst, adding bias[o] to row o if bias is not
// nil. For one example out may be dst itself; then only the bias is added.
func scatterPlanes(dst, out []float32, rows, p, cnt int, bias []float32) {
	if cnt == 1 && bias == nil && &dst[0] == &out[0] {
		return
	}
	ld := cnt * p
	for e := range cnt {
		for o := range rows {
			row, src := dst[(e*rows+o)*p:][:p], out[o*ld+e*p:][:p]
			if bias == nil {
				copy(row, src)
				continue
			}
			b := bias[o]
			for j, v := range src {
				row[j] = v + b
			}
		}
	}
}

// gatherPlanes is the inverse of scatterPlanes without bias: it lays the
// cnt examples' (rows, P) planes of src side by side in dst (rows, cnt·P).
func gatherPlanes(dst, src []float32, rows, p, cnt int) {
	ld := cnt * p
	for e := range cnt {
		for o := range rows {
			copy(dst[o*ld+e*p:][:p], src[(e*rows+o)*p:][:p])
		}
	}
}

// Run computes the input gradient of the examples of chunk ch and sums
// their weight and bias gradients into the chunk's buffers, a group of
// examples at a time (see groupSize).
func (r *convBackward) Run(worker, ch int) {
	c := r.c
	dwt := c.dwPart[ch*len(r.dw) : (ch+1)*len(r.dw)]
	db := []float32(nil)
	if c.Bias != nil {
		db = c.Bias.Grad.Data
		if ch > 0 {
			db = c.dbPart[(ch-1)*c.OutC : ch*c.OutC]
			clear(db)
		}
	}
	first := true // the chunk's dWᵀ is unset until its first group
	hi := (ch + 1) * r.n / r.chunks
	for lo := ch * r.n / r.chunks; lo < hi; lo += r.group {
		r.backwardGroup(worker, lo, min(lo+r.group, hi), dwt, db, first)
		first = false
	}
}

// backwardGroup back-propagates examples [lo, hi): adds their bias
// gradients to db and their weight gradient to dwt (or sets it, if first),
// and writes their input gradients.
func (r *convBackward) backwardGroup(worker, lo, hi int, dwt, db []float32, first bool) {
	c, p, k := r.c, r.p, r.k
	cnt, ld := hi-lo, (hi-lo)*p
	dy := r.dy.Data[lo*r.outLen : hi*r.outLen]
	for e := range cnt {
		for o := range db {
			s, _ := tensor.SumSquares(dy[(e*c.OutC+o)*p:][:p])
			db[o] += float32(s)
		}
	}
	beta := float32(1)
	if first {
		beta = 0
	}
	// The group's output gradients side by side, dyg (outC, cnt·P).
	dyg := dy
	if cnt > 1 {
		dyg = c.scratch[worker][:c.OutC*ld]
		gatherPlanes(dyg, dy, c.OutC, p, cnt)
	}
	col := (*convRun)(r).columns(worker, lo, hi)
	// dWᵀ (K,outC) += col (K, cnt·P) · dygᵀ (cnt·P, outC)
	r.pool.Gemm(false, true, k, c.OutC, ld, 1, col, ld, dyg, ld, beta, dwt, c.OutC)
	if c.NoInputGrad {
		return
	}
	dx := c.dx.Data[lo*r.inLen : hi*r.inLen]
	switch {
	case r.direct:
		// dx_n (K,P) = Wᵀ (K,outC) · dy_n (outC,P): pointwise layers are not grouped
		r.pool.Gemm(true, false, k, p, c.OutC, 1, r.wt, k, dyg, p, 0, dx, p)
	case r.viaDy:
		// dxg (inC, cnt·H·W) = wFlip (inC, outC·kH·kW) · im2col(dy_e)…, scattered to dx
		g, _ := c.dxGeom(r.h, r.w, r.oh, r.ow)
		hw := r.h * r.w
		ldx := cnt * hw
		col = c.cols[worker]
		for e := range cnt {
			g.im2col(dy[e*r.outLen:(e+1)*r.outLen], col[e*hw:], ldx, c.dyMasks)
		}
		out := dx
		if cnt > 1 {
			out = c.scratch[worker][c.OutC*ld:][:c.InC*ldx]
		}
		kt := c.OutC * c.KH * c.KW
		r.pool.Gemm(false, false, c.InC, ldx, kt, 1, c.wFlip, kt, col, ldx, 0, out, ldx)
		scatterPlanes(dx, out, c.InC, hw, cnt, nil)
	default:
		// dcol (K, cnt·P) = Wᵀ (K,outC) · dyg (outC, cnt·P), then col2im per example
		r.pool.Gemm(true, false, k, ld, c.OutC, 1, r.wt, k, dyg, ld, 0, col, ld)
		geom := c.geom(r.h, r.w, r.oh, r.ow)
		for e := range cnt {
			dxn := dx[e*r.inLen : (e+1)*r.inLen]
			clear(dxn)
			geom.col2im(col[e*p:], dxn, ld)
		}
	}
}

// run adds rows [b·reduceRows, …) of the chunks' dWᵀ, in chunk order, to
// the weight gradient (outC, K), transposing.
func (r *convReduce) Run(_, b int) {
	c, k, outC := r.c, r.k, r.c.OutC
	size := len(r.dw)
	for row := b * reduceRows; row < min((b+1)*reduceRows, k); row++ {
		for o := range outC {
			s := c.dwPart[row*outC+o]
			for ch := 1; ch < r.chunks; ch++ {
				s += c.dwPart[ch*size+row*outC+o]
			}
			r.dw[o*k+row] += s
		}
	}
}

// isPointwise reports whether the convolution is a plain per-pixel matrix
// product (1x1 kernel, unit stride, no padding), for which the column
// matrix of an example is the example itself.
func (c *Conv2d) isPointwise() bool {
	return c.KH == 1 && c.KW == 1 && c.StrideH == 1 && c.StrideW == 1 && c.PadH == 0 && c.PadW == 0
}

// convValidRange returns the output indices [lo, hi) along one axis whose input
// index o·stride − pad + kk lies in [0, size).
func convValidRange(size, out, stride, pad, kk int) (lo, hi int) {
	// o·stride ≥ pad − kk  ⇔  o ≥ ceil((pad−kk)/stride)
	if d := pad - kk; d > 0 {
		lo = (d + stride - 1) / stride
	}
	// o·stride ≤ size−1+pad−kk  ⇔  o ≤ floor((size−1+pad−kk)/stride)
	d := size - 1 + pad - kk
	if d < 0 {
		return 0, 0
	}
	hi = min(d/stride+1, out)
	if lo > hi {
		lo = hi
	}
	return lo, hi
}

// convGeom is the geometry of one im2col: c planes of h×w, a kh×kw
// kernel with strides sh, sw and zero padding ph, pw, and the oh×ow output.
type convGeom struct{ c, h, w, kh, kw, sh, sw, ph, pw, oh, ow int }

// im2col fills col (c·kh·kw, oh·ow), rows ld ≥ oh·ow apart, from one
// example xn (c, h, w): row (ch,u,v), column (i,j) holds
// x[ch, i·sh−ph+u, j·sw−pw+v], or 0 in the padding. Columns past oh·ow are
// left alone (another example's, in a group). masks are g.shiftMasks when
// g.usesShift (nil: built here, allocating).
func (g convGeom) im2col(xn, col []float32, ld int, masks []uint16) {
	h, w, oh, ow := g.h, g.w, g.oh, g.ow
	p, kk := oh*ow, g.kh*g.kw
	if g.usesShift() {
		if masks == nil {
			masks = g.shiftMasks(nil)
		}
		g.im2colShift(xn, col, ld, masks)
		return
	}
	// One PadPlanes call per kernel offset (u,v) covers every channel: the
	// rows (ch,u,v) are kk·ld apart in col, the planes h·w apart in x.
	for u := 0; u < g.kh; u++ {
		ilo, ihi := convValidRange(h, oh, g.sh, g.ph, u)
		for v := 0; v < g.kw; v++ {
			jlo, jhi := convValidRange(w, ow, g.sw, g.pw, v)
			l := tensor.PlaneLayout{Head: p, Width: ow}
			src := xn
			if ihi > ilo {
				l = tensor.PlaneLayout{Head: ilo * ow, Rows: ihi - ilo, Width: ow, Tail: (oh - ihi) * ow,
					Lead: jlo, N: jhi - jlo, SrcRow: g.sh * w, SrcCol: g.sw}
				if jhi > jlo {
					src = xn[(ilo*g.sh-g.ph+u)*w+jlo*g.sw-g.pw+v:]
				}
			}
			tensor.PadPlanes(col[(u*g.kw+v)*ld:], kk*ld, src, h*w, g.c, l)
		}
	}
}

// shiftMinChannels is the fewest channels for which im2colShift pays off
// (measured: a 1-channel 28x28 input is 4x faster by rows, 16 channels 1.2x
// faster shifted).
const shiftMinChannels = 4

// usesShift reports whether im2col copies shifted planes (im2colShift): a
// unit-stride convolution whose output rows are as long as its input rows
// (w = ow, as with "same" padding), of a plane ShiftPlanes takes, with
// enough channels.
func (g convGeom) usesShift() bool {
	return g.sh == 1 && g.sw == 1 && g.w == g.ow && g.oh*g.ow <= tensor.MaxShiftPlane && g.c >= shiftMinChannels
}

// shiftMasks returns im2colShift's padding masks in buf (reallocated if
// short): for each kernel offset (u,v) in order, ⌈oh·ow/16⌉ words whose set
// bits are the output positions that read inside the input.
func (g convGeom) shiftMasks(buf []uint16) []uint16 {
	nvec := (g.oh*g.ow + 15) / 16
	n := g.kh * g.kw * nvec
	if cap(buf) < n {
		buf = make([]uint16, n)
	}
	buf = buf[:n]
	clear(buf)
	for u := 0; u < g.kh; u++ {
		ilo, ihi := convValidRange(g.h, g.oh, 1, g.ph, u)
		for v := 0; v < g.kw; v++ {
			jlo, jhi := convValidRange(g.w, g.ow, 1, g.pw, v)
			valid := buf[(u*g.kw+v)*nvec : (u*g.kw+v+1)*nvec]
			if jhi > jlo {
				for i := ilo; i < ihi; i++ {
					setBits(valid, i*g.ow+jlo, i*g.ow+jhi)
				}
			}
		}
	}
	return buf
}

// im2colShift is im2col when g.usesShift: row (ch,u,v) of col is plane ch
// of x shifted by (u−ph)·w + (v−pw), with the positions that fall in the
// padding (the unset bits of masks) set to zero. One ShiftPlanes call per
// kernel offset copies every channel with whole-vector masked moves.
func (g convGeom) im2colShift(xn, col []float32, ld int, masks []uint16) {
	p, kk := g.oh*g.ow, g.kh*g.kw
	nvec := (p + 15) / 16
	for u := 0; u < g.kh; u++ {
		for v := 0; v < g.kw; v++ {
			o := u*g.kw + v
			tensor.ShiftPlanes(col[o*ld:], kk*ld, xn, g.h*g.w, g.c, p, (u-g.ph)*g.w+(v-g.pw), masks[o*nvec:(o+1)*nvec])
		}
	}
}

// setBits sets bits [lo, hi) of the bit set words (bit q is bit q%16 of
// words[q/16]).
func setBits(words []uint16, lo, hi int) {
	for lo < hi {
		w, b := lo/16, lo%16
		n := min(16-b, hi-lo)
		words[w] |= uint16((1<<n - 1) << b)
		lo += n
	}
}

// col2im adds the columns of col (c·kh·kw, oh·ow), rows ld apart, back into
// dxn (c, h, w): the adjoint of im2col.
func (g convGeom) col2im(col, dxn []float32, ld int) {
	h, w, oh, ow := g.h, g.w, g.oh, g.ow
	p := oh * ow
	sh, sw := g.sh, g.sw
	r := 0
	for ch := 0; ch < g.c; ch++ {
		plane := dxn[ch*h*w : (ch+1)*h*w]
		for u := 0; u < g.kh; u++ {
			ilo, ihi := convValidRange(h, oh, sh, g.ph, u)
			for v := 0; v < g.kw; v++ {
				jlo, jhi := convValidRange(w, ow, sw, g.pw, v)
				row := col[r*ld : r*ld+p]
				r++
				if ihi <= ilo || jhi <= jlo {
					continue
				}
				base := (ilo*sh-g.ph+u)*w + jlo*sw - g.pw + v
				switch sw {
				case 1:
					tensor.AddRows(plane[base:], sh*w, row[ilo*ow+jlo:], ow, ihi-ilo, jhi-jlo)
					continue
				case 2:
					tensor.AddRowsSpread2(plane[base:], sh*w, row[ilo*ow+jlo:], ow, ihi-ilo, jhi-jlo)
					continue
				}
				for i := ilo; i < ihi; i++ {
					src := row[i*ow : (i+1)*ow]
					dst := plane[base+(i-ilo)*sh*w:]
					for j, k := jlo, 0; j < jhi; j, k = j+1, k+sw {
						dst[k] += src[j]
					}
				}
			}
		}
	}
}

// Params returns weight and (if present) bias.
func (c *Conv2d) Params() []*Param {
	if c.Bias == nil {
		return []*Param{c.Weight}
	}
	return []*Param{c.Weight, c.Bias}
}

// DropConnectMask returns the weight mask (outC, inC, kH, kW) of the last
// training Forward, 0 or 1/(1−DropConnect) per weight, or nil if the last
// Forward used all weights. It is owned by the layer.
func (c *Conv2d) DropConnectMask() []float32 { return c.dc.lastMask() }

// OutShape requires an image (inC, H, W) and returns (outC, OH, OW); it is
// an error if the output would be empty or DropConnect is invalid.
func (c *Conv2d) OutShape(in []int) ([]int, error) {
	oh, ow, err := c.check(in)
	if err != nil {
		return nil, err
	}
	return []int{c.OutC, oh, ow}, nil
}

// check validates a per-example input shape and returns the output size.
func (c *Conv2d) check(in []int) (oh, ow int, err error) {
	if c.StrideH < 1 || c.StrideW < 1 || c.PadH < 0 || c.PadW < 0 {
		return 0, 0, fmt.Errorf("invalid stride %dx%d or padding %dx%d", c.StrideH, c.StrideW, c.PadH, c.PadW)
	}
	if err := checkProb("DropConnect", c.DropConnect); err != nil {
		return 0, 0, err
	}
	if len(in) != 3 {
		return 0, 0, fmt.Errorf("expects an image (channels, height, width) with %d channels, got shape %v", c.InC, in)
	}
	if in[0] != c.InC {
		return 0, 0, fmt.Errorf("expects %d input channels, got %d (shape %v)", c.InC, in[0], in)
	}
	if in[1] < 1 || in[2] < 1 {
		return 0, 0, fmt.Errorf("expects a non-empty image, got %dx%d", in[1], in[2])
	}
	oh, ow = c.outSize(in[1], in[2])
	if oh < 1 || ow < 1 {
		return 0, 0, fmt.Errorf("%dx%d input with padding %dx%d is smaller than the %dx%d kernel: the output would be empty",
			in[1], in[2], c.PadH, c.PadW, c.KH, c.KW)
	}
	return oh, ow, nil
}

// Describe returns "Conv2d(in→out, KHxKW, stride S, pad P)", with
// "SHxSW"/"PHxPW" when the axes differ, ", no bias" without bias and
// ", dropconnect p" with DropConnect.
func (c *Conv2d) Describe() string {
	s := fmt.Sprintf("Conv2d(%d→%d, %dx%d, stride %s, pad %s", c.InC, c.OutC, c.KH, c.KW,
		axisPair(c.StrideH, c.StrideW), axisPair(c.PadH, c.PadW))
	if c.Bias == nil {
		s += ", no bias"
	}
	if c.DropConnect != 0 {
		s += fmt.Sprintf(", dropconnect %g", c.DropConnect)
	}
	return s + ")"
}

// axisPair formats a per-axis setting as "a" when both axes agree, else "axb".
func axisPair(a, b int) string {
	if a == b {
		return fmt.Sprint(a)
	}
	return fmt.Sprintf("%dx%d", a, b)
}

// reuseFloats returns buf resliced to n values, reallocating only when its
// capacity is too small. Contents are unspecified.
func reuseFloats(buf []float32, n int) []float32 {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]float32, n)
}

// reuse4 is tensor.Ensure for a 4-D shape. Checking the common case here
// first keeps the variadic shape from being built (on the heap, as
// tensor.Ensure retains it) when the buffer already fits.
func reuse4(t *tensor.Tensor, a, b, c, d int) *tensor.Tensor {
	if t != nil && len(t.Shape) == 4 && t.Shape[0] == a && t.Shape[1] == b && t.Shape[2] == c && t.Shape[3] == d {
		return t
	}
	return tensor.Ensure(t, a, b, c, d)
}

// reuse2 is reuse4 for a 2-D shape.
func reuse2(t *tensor.Tensor, a, b int) *tensor.Tensor {
	if t != nil && len(t.Shape) == 2 && t.Shape[0] == a && t.Shape[1] == b {
		return t
	}
	return tensor.Ensure(t, a, b)
}
