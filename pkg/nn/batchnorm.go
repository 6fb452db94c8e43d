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
	invStd []float64      // (C,) 1/√(σ²+eps) of the last Forward
	mean   []float64      // (C,) mean used by the last Forward
	y, dx  *tensor.Tensor
	task   bnTask // the pass in progress, shared with its channel tasks
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
// max(y, 0) instead of y.
func (b *BatchNorm) forward(c *Context, x *tensor.Tensor, relu bool) *tensor.Tensor {
	n, inner := b.layout(x.Shape)
	b.train = c.Train && !b.Frozen
	b.shape = x.Shape
	if b.train && n*inner < 2 {
		panic(fmt.Sprintf("nn: %s in training needs more than one value per channel, got input %v", b.Describe(), x.Shape))
	}
	b.y = tensor.Ensure(b.y, x.Shape...)
	b.x = x
	b.task = bnTask{b: b, x: x.Data, n: n, inner: inner, relu: relu}
	c.Pool.ParallelFor(b.Channels, (*bnForward)(b))
	return b.y
}

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
}

// bnForward and bnBackward run channel ch of the current pass.
type (
	bnForward  BatchNorm
	bnBackward BatchNorm
)

// Run normalizes channel ch: batch statistics in training (Σx and Σx² in
// float64, the biased variance Σx²/m − mean²; the running statistics take
// the unbiased one), running statistics in evaluation. x̂ and y are
// computed in float32 as x̂ = x·s − mean·s and y = γ·x̂ + β, s = 1/√(σ²+eps),
// and y = max(y, 0) in a pass with the relu.
func (f *bnForward) Run(_, ch int) {
	b := (*BatchNorm)(f)
	t := &b.task
	n, inner, C := t.n, t.inner, b.Channels
	xs, y := t.x, b.y.Data
	var mu, is float64
	if b.train {
		m := float64(n * inner)
		var sum, sumSq float64
		for i := 0; i < n; i++ {
			s, q := tensor.SumSquares(xs[(i*C+ch)*inner : (i*C+ch+1)*inner])
			sum += s
			sumSq += q
		}
		mu = sum / m
		v := max(sumSq/m-mu*mu, 0)
		is = 1 / math.Sqrt(v+b.Eps)
		rm, rv := b.RunningMean.Value.Data, b.RunningVar.Value.Data
		mom := b.Momentum
		rm[ch] = float32((1-mom)*float64(rm[ch]) + mom*mu)
		rv[ch] = float32((1-mom)*float64(rv[ch]) + mom*(v*m/(m-1)))
	} else {
		mu = float64(b.RunningMean.Value.Data[ch])
		is = 1 / math.Sqrt(float64(b.RunningVar.Value.Data[ch])+b.Eps)
	}
	b.mean[ch], b.invStd[ch] = mu, is
	g, bb := b.Weight.Value.Data[ch], b.Bias.Value.Data[ch]
	scale, shift := float32(is), float32(-mu*is)
	for i := 0; i < n; i++ {
		off := (i*C + ch) * inner
		tensor.NormAffine(y[off:off+inner], xs[off:off+inner], scale, shift, g, bb, t.relu)
	}
}

// Backward: dy has the input's shape. Accumulates dγ += Σ dy·x̂ and
// dβ += Σ dy per channel and returns dx. In training the gradient flows
// through the batch statistics (m values per channel):
//
//	dx = γ/(m·√(σ²+eps)) · (m·dy − Σdy − x̂·Σ(dy·x̂))
//
// In evaluation dx = γ·dy/√(running_var+eps).
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
	c.Pool.ParallelFor(b.Channels, (*bnBackward)(b))
	return b.dx
}

// Run back-propagates channel ch: accumulates dγ and dβ (sums in float64)
// and writes dx in float32 as k·dy − k·mean(dy·x̂)·x̂ − k·mean(dy).
func (f *bnBackward) Run(_, ch int) {
	b := (*BatchNorm)(f)
	t := &b.task
	n, inner, C := t.n, t.inner, b.Channels
	g, xs, dx := t.dy, b.x.Data, b.dx.Data
	gamma, beta := b.Weight.Value.Data[ch], b.Bias.Value.Data[ch]
	// x̂ = s·x + t is recomputed from x, as Forward computed it.
	scale, shift := float32(b.invStd[ch]), float32(-b.mean[ch]*b.invStd[ch])
	var sum, sumXh float64
	for i := 0; i < n; i++ {
		off := (i*C + ch) * inner
		s, sx := tensor.SumDotNorm(g[off:off+inner], xs[off:off+inner], scale, shift, gamma, beta, t.relu)
		sum += s
		sumXh += sx
	}
	b.Weight.Grad.Data[ch] += float32(sumXh)
	b.Bias.Grad.Data[ch] += float32(sum)
	m := float64(n * inner)
	k := float64(gamma) * b.invStd[ch]
	meanG, meanGX := sum/m, sumXh/m
	for i := 0; i < n; i++ {
		off := (i*C + ch) * inner
		if !b.train {
			tensor.ScaleShift(dx[off:off+inner], g[off:off+inner], float32(k), 0)
			continue
		}
		tensor.LinComb2Norm(dx[off:off+inner], g[off:off+inner], xs[off:off+inner],
			float32(k), float32(-k*meanGX), float32(-k*meanG), scale, shift, gamma, beta, t.relu)
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
