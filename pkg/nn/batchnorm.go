package nn

import (
	"fmt"
	"math"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// Buffer is a named non-trainable tensor of a layer's state (batch norm's
// running statistics): saved in checkpoints, never touched by optimizers.
type Buffer struct {
	// Name is the tensor's name relative to its layer ("running_mean").
	Name  string
	Value *tensor.Tensor
}

// BufferLayer is implemented by layers with buffers.
type BufferLayer interface {
	// Buffers lists the layer's buffers with names relative to the layer.
	Buffers() []*Buffer
}

// CollectBuffers returns the buffers of l: for a Container those of its
// children, recursively, each name prefixed with the child's name
// ("stage1.block1.bn1.running_mean", as parameters are named); otherwise
// the layer's own Buffers, if it is a BufferLayer. The returned Buffers are
// fresh copies that share their Values with the layers.
func CollectBuffers(l Layer) []*Buffer {
	var out []*Buffer
	if c, ok := l.(Container); ok {
		for _, ch := range c.Children() {
			for _, b := range CollectBuffers(ch.Layer) {
				b.Name = ch.Name + "." + b.Name // b is already a copy
				out = append(out, b)
			}
		}
		return out
	}
	if bl, ok := l.(BufferLayer); ok {
		for _, b := range bl.Buffers() {
			q := *b
			out = append(out, &q)
		}
	}
	return out
}

// PyTorch's batch-norm defaults.
const (
	DefaultBatchNormMomentum = 0.1
	DefaultBatchNormEps      = 1e-5
)

// BatchNorm normalizes each channel over the batch (and spatial positions),
// as PyTorch's BatchNorm1d for (N, C) inputs and BatchNorm2d for (N, C, H, W)
// inputs (any (N, C, ...) works, channel = dimension 1):
//
//	y = γ·(x − μ)/√(σ² + eps) + β
//
// In training μ and σ² are the batch mean and biased variance of the
// channel, and the running statistics move towards the batch ones:
// running = (1−momentum)·running + momentum·batch, with the unbiased
// variance for running_var. In evaluation the running statistics are used.
//
// A batch norm directly followed by a relu in a Sequential is planned as
// one BatchNormReLU step (see Fuse), which runs the two as one pass in
// training.
type BatchNorm struct {
	Channels      int
	Momentum, Eps float64
	Weight, Bias  *Param  // γ and β, (C,)
	RunningMean   *Buffer // (C,), initially 0
	RunningVar    *Buffer // (C,), initially 1
	// Frozen keeps the running statistics fixed: the layer normalizes with
	// them in training too, as a PyTorch batch norm put in eval mode
	// (train.freeze_bn), and back-propagates through them as constants.
	Frozen bool

	train  bool           // whether the last Forward used batch statistics
	shape  []int          // shape of the last input
	x      *tensor.Tensor // input of the last Forward (x̂ is recomputed from it)
	invStd []float64      // (splits·C,) 1/√(σ²+eps) of the last Forward, per ghost part
	mean   []float64      // (splits·C,) mean used by the last Forward, per ghost part
	splits int            // ghost parts of the last Forward (1: the whole batch)
	sync   Reducer        // the last training Forward's rank reducer, nil: none
	sums   []float64      // (2C+1,) a synchronized pass's sums

	y, dx *tensor.Tensor
	task  bnTask // the pass in progress, shared with its channel tasks
}

// NewBatchNorm returns a batch-norm layer over the given number of channels
// with γ = 1, β = 0, running mean 0 and running variance 1. A zero momentum
// or eps takes PyTorch's default (0.1 and 1e-5). It panics on invalid
// settings: builders validate configurations first.
func NewBatchNorm(channels int, momentum, eps float64) *BatchNorm {
	if momentum == 0 {
		momentum = DefaultBatchNormMomentum
	}
	if eps == 0 {
		eps = DefaultBatchNormEps
	}
	if channels < 1 || !(momentum > 0 && momentum <= 1) || !(eps > 0) {
		panic(fmt.Sprintf("nn: batch norm needs channels >= 1, momentum in (0, 1] and eps > 0; got %d, %v, %v", channels, momentum, eps))
	}
	b := &BatchNorm{Channels: channels, Momentum: momentum, Eps: eps}
	b.Weight = &Param{Name: "weight", Value: tensor.New(channels), Grad: tensor.New(channels)}
	b.Bias = &Param{Name: "bias", Value: tensor.New(channels), Grad: tensor.New(channels)}
	b.RunningMean = &Buffer{Name: "running_mean", Value: tensor.New(channels)}
	b.RunningVar = &Buffer{Name: "running_var", Value: tensor.New(channels)}
	for i := 0; i < channels; i++ {
		b.Weight.Value.Data[i] = 1
		b.RunningVar.Value.Data[i] = 1
	}
	b.invStd = make([]float64, channels)
	b.mean = make([]float64, channels)
	return b
}

// layout checks x is (N, C, ...) and returns N and the number of elements
// per (example, channel).
func (b *BatchNorm) layout(shape []int) (n, inner int) {
	if len(shape) < 2 || shape[1] != b.Channels {
		panic(fmt.Sprintf("nn: %s got input %v, want (N, %d, ...)", b.Describe(), shape, b.Channels))
	}
	return shape[0], tensor.Numel(shape[2:])
}

// Forward: x is (N, C) or (N, C, H, W); y has the same shape. In training
// it also updates the running statistics.
func (b *BatchNorm) Forward(c *Context, x *tensor.Tensor) *tensor.Tensor {
	return b.forward(c, x, false)
}

// forward is Forward, and with relu (BatchNormReLU's training pass; only
// in training, as backward masks dy in the training formula only) writes
// max(y, 0) instead of y. In training, c.GhostSplits > 1 normalizes each of
// that many equal parts of the batch with its own statistics (ghost batch
// norm), and c.Sync sums the statistics over the ranks first (synchronized
// batch norm).
func (b *BatchNorm) forward(c *Context, x *tensor.Tensor, relu bool) *tensor.Tensor {
	n, inner := b.layout(x.Shape)
	b.train = c.Train && !b.Frozen
	b.shape = x.Shape
	b.splits, b.sync = 1, nil
	if b.train {
		b.splits = min(max(c.GhostSplits, 1), max(n, 1))
		if b.sync = c.Sync; b.sync != nil {
			b.splits = 1 // the job's statistics: ghost parts do not apply
		}
	}
	if b.train && b.sync == nil && n*inner < 2 {
		panic(fmt.Sprintf("nn: %s in training needs more than one value per channel, got input %v", b.Describe(), x.Shape))
	}
	if k := b.splits * b.Channels; len(b.mean) < k {
		b.mean, b.invStd = make([]float64, k), make([]float64, k)
	}
	b.y = tensor.Ensure(b.y, x.Shape...)
	b.x = x
	b.task = bnTask{b: b, x: x.Data, n: n, inner: inner, relu: relu}
	if b.sync != nil {
		b.task.phase = bnLocalSums
		b.reduce(c, float64(n*inner), (*bnForward)(b))
		b.task.phase = bnReduced
	}
	c.Pool.ParallelFor(b.Channels, (*bnForward)(b))
	return b.y
}

// reduce runs the channel tasks of run in phase bnLocalSums, which leave
// each channel's two sums in b.sums, and sums them and the count m of
// this rank's values per channel over the ranks (synchronized batch norm):
// b.sums then holds the job's sums and b.task.count its count.
func (b *BatchNorm) reduce(c *Context, m float64, run tensor.Task) {
	C := b.Channels
	if len(b.sums) < 2*C+1 {
		b.sums = make([]float64, 2*C+1)
	}
	b.task.sums = b.sums[:2*C+1]
	c.Pool.ParallelFor(C, run)
	b.task.sums[2*C] = m
	if err := b.sync.SumFloat64(b.task.sums); err != nil {
		panic(fmt.Sprintf("nn: %s: summing the batch statistics over the ranks: %v", b.Describe(), err))
	}
	b.task.count = b.task.sums[2*C]
	if b.task.count < 2 {
		panic(fmt.Sprintf("nn: %s in training needs more than one value per channel over all ranks, got %v", b.Describe(), b.task.count))
	}
}

// Reducer sums values over the ranks of a data-parallel job, in place, on
// every rank (dist.Comm is one): what a synchronized batch norm needs.
type Reducer interface {
	SumFloat64(x []float64) error
}

// Phases of a synchronized batch norm's channel tasks.
const (
	bnWhole     = iota // one pass: statistics of this process's batch
	bnLocalSums        // only this rank's per-channel sums, into sums
	bnReduced          // the pass, with the job's sums from sums
)

// bnTask is the state one Forward or Backward shares with its
// per-channel tasks: every channel's statistics and outputs are computed by
// one task in a fixed order, so the results do not depend on how the
// channels are spread over threads.
type bnTask struct {
	b        *BatchNorm
	x, dy    []float32
	n, inner int
	// relu says the pass includes the relu after the batch norm
	// (BatchNormReLU in training): forward writes max(y, 0), backward
	// masks dy to where y > 0.
	relu bool
	// phase, sums (2 per channel) and count (values per channel over the
	// ranks) are a synchronized batch norm's (see reduce).
	phase int
	sums  []float64
	count float64
}

// bnForward and bnBackward run channel ch of the current pass.
type (
	bnForward  BatchNorm
	bnBackward BatchNorm
)

// channelSums returns Σx and Σx² (float64) of channel ch over the
// examples [lo, hi) of the pass's input.
func (t *bnTask) channelSums(ch, lo, hi int) (sum, sumSq float64) {
	C, inner := t.b.Channels, t.inner
	for i := lo; i < hi; i++ {
		s, q := tensor.SumSquares(t.x[(i*C+ch)*inner : (i*C+ch+1)*inner])
		sum += s
		sumSq += q
	}
	return sum, sumSq
}

// Run normalizes channel ch: batch statistics in training (Σx and Σx² in
// float64, the biased variance Σx²/m − mean²; the running statistics take
// the unbiased one, averaged over the ghost parts), running statistics in
// evaluation. x̂ and y are computed in float32 as x̂ = x·s − mean·s and
// y = γ·x̂ + β, s = 1/√(σ²+eps), and y = max(y, 0) in a pass with the relu.
func (f *bnForward) Run(_, ch int) {
	b := (*BatchNorm)(f)
	t := &b.task
	n, inner, C := t.n, t.inner, b.Channels
	if t.phase == bnLocalSums {
		t.sums[2*ch], t.sums[2*ch+1] = t.channelSums(ch, 0, n)
		return
	}
	k := b.splits
	var muSum, varSum float64 // over the parts, for the running statistics
	for j := range k {
		lo, hi := j*n/k, (j+1)*n/k
		var mu, is float64
		if b.train {
			var sum, sumSq, m float64
			if t.phase == bnReduced {
				sum, sumSq, m = t.sums[2*ch], t.sums[2*ch+1], t.count
			} else {
				sum, sumSq = t.channelSums(ch, lo, hi)
				m = float64((hi - lo) * inner)
			}
			mu = sum / m
			v := max(sumSq/m-mu*mu, 0)
			is = 1 / math.Sqrt(v+b.Eps)
			muSum += mu
			if m > 1 {
				v *= m / (m - 1)
			}
			varSum += v
		} else {
			mu = float64(b.RunningMean.Value.Data[ch])
			is = 1 / math.Sqrt(float64(b.RunningVar.Value.Data[ch])+b.Eps)
		}
		b.mean[j*C+ch], b.invStd[j*C+ch] = mu, is
		g, bb := b.Weight.Value.Data[ch], b.Bias.Value.Data[ch]
		scale, shift := float32(is), float32(-mu*is)
		for i := lo; i < hi; i++ {
			off := (i*C + ch) * inner
			tensor.NormAffine(b.y.Data[off:off+inner], t.x[off:off+inner], scale, shift, g, bb, t.relu)
		}
	}
	if b.train {
		rm, rv := b.RunningMean.Value.Data, b.RunningVar.Value.Data
		mom := b.Momentum
		rm[ch] = float32((1-mom)*float64(rm[ch]) + mom*(muSum/float64(k)))
		rv[ch] = float32((1-mom)*float64(rv[ch]) + mom*(varSum/float64(k)))
	}
}

// Backward: dy has the input's shape. Accumulates dγ += Σ dy·x̂ and
// dβ += Σ dy per channel and returns dx. In training the gradient flows
// through the batch statistics (m values per channel):
//
//	dx = γ/(m·√(σ²+eps)) · (m·dy − Σdy − x̂·Σ(dy·x̂))
//
// over each ghost part, or over the job's batch with the sums taken over
// the ranks (synchronized). In evaluation dx = γ·dy/√(running_var+eps).
func (b *BatchNorm) Backward(c *Context, dy *tensor.Tensor) *tensor.Tensor {
	return b.backward(c, dy, false)
}

// backward is Backward, and with relu (after a forward with relu, in
// training) takes dy as the gradient of the relu's output and first masks
// it to where y > 0.
func (b *BatchNorm) backward(c *Context, dy *tensor.Tensor, relu bool) *tensor.Tensor {
	n, inner := b.layout(b.shape)
	b.dx = tensor.Ensure(b.dx, b.shape...)
	b.task = bnTask{b: b, dy: dy.Data, n: n, inner: inner, relu: relu}
	if b.sync != nil {
		b.task.phase = bnLocalSums
		b.reduce(c, float64(n*inner), (*bnBackward)(b))
		b.task.phase = bnReduced
	}
	c.Pool.ParallelFor(b.Channels, (*bnBackward)(b))
	return b.dx
}

// Run back-propagates channel ch: accumulates dγ and dβ (sums in float64,
// added part by part) and writes dx in float32 as k·dy − k·mean(dy·x̂)·x̂ −
// k·mean(dy).
func (f *bnBackward) Run(_, ch int) {
	b := (*BatchNorm)(f)
	t := &b.task
	n, inner, C := t.n, t.inner, b.Channels
	g, xs, dx := t.dy, b.x.Data, b.dx.Data
	gamma, beta := b.Weight.Value.Data[ch], b.Bias.Value.Data[ch]
	k := b.splits
	for j := range k {
		lo, hi := j*n/k, (j+1)*n/k
		// x̂ = s·x + t is recomputed from x, as Forward computed it.
		is := b.invStd[j*C+ch]
		scale, shift := float32(is), float32(-b.mean[j*C+ch]*is)
		var sum, sumXh float64
		m := float64((hi - lo) * inner)
		if t.phase == bnReduced {
			sum, sumXh, m = t.sums[2*ch], t.sums[2*ch+1], t.count
		} else {
			for i := lo; i < hi; i++ {
				off := (i*C + ch) * inner
				s, sx := tensor.SumDotNorm(g[off:off+inner], xs[off:off+inner], scale, shift, gamma, beta, t.relu)
				sum += s
				sumXh += sx
			}
			// The rank's own part of dγ and dβ: the gradient all-reduce
			// sums them over the ranks.
			b.Weight.Grad.Data[ch] += float32(sumXh)
			b.Bias.Grad.Data[ch] += float32(sum)
			if t.phase == bnLocalSums {
				t.sums[2*ch], t.sums[2*ch+1] = sum, sumXh
				return
			}
		}
		kk := float64(gamma) * is
		meanG, meanGX := sum/m, sumXh/m
		for i := lo; i < hi; i++ {
			off := (i*C + ch) * inner
			if !b.train {
				tensor.ScaleShift(dx[off:off+inner], g[off:off+inner], float32(kk), 0)
				continue
			}
			tensor.LinComb2Norm(dx[off:off+inner], g[off:off+inner], xs[off:off+inner],
				float32(kk), float32(-kk*meanGX), float32(-kk*meanG), scale, shift, gamma, beta, t.relu)
		}
	}
}

// Params returns weight (γ) and bias (β); neither decays by default.
func (b *BatchNorm) Params() []*Param { return []*Param{b.Weight, b.Bias} }

// Buffers returns running_mean and running_var.
func (b *BatchNorm) Buffers() []*Buffer { return []*Buffer{b.RunningMean, b.RunningVar} }

// OutShape is the identity on (C) or (C, H, W) (any (C, ...)).
func (b *BatchNorm) OutShape(in []int) ([]int, error) {
	if len(in) == 0 || in[0] != b.Channels {
		return nil, fmt.Errorf("expects %d channels (first per-example dimension), got shape %v", b.Channels, in)
	}
	return append([]int(nil), in...), nil
}

// Describe returns "BatchNorm(C)".
func (b *BatchNorm) Describe() string { return fmt.Sprintf("BatchNorm(%d)", b.Channels) }
