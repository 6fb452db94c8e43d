package nn

import "github.com/nettrain/nettrain/pkg/tensor"

// FLOPsCounter is implemented by layers that can estimate the cost of their
// forward pass.
//
// FLOPs returns the number of floating-point operations of one example's
// forward pass for the per-example input shape in (batch dimension
// excluded), counting a multiply-add as 2, or 0 if the input does not fit
// (OutShape fails). The counts are the conventional estimates, not a trace
// of the implementation:
//
//   - Linear: 2·in·out, plus out with a bias;
//   - Conv2d: 2·inC·kH·kW·outC·OH·OW, plus outC·OH·OW with a bias;
//   - BatchNorm: 4 per element (subtract, scale, multiply by γ, add β);
//   - MaxPool2d and AvgPool2d: kernel² per output element (comparisons or
//     additions, the window clipped by padding or not); GlobalAvgPool: H·W
//     per channel;
//   - activations: 1 per element, whatever the function: relu, leaky_relu
//     and prelu (a compare or a multiply) as well as elu, selu, gelu, tanh
//     and sigmoid, whose exp, erf or tanh would cost several operations;
//   - Dropout (its mask costs nothing in evaluation) and Flatten (a view): 0;
//   - Sequential and BasicBlock: the sum over their children, plus 1 per
//     output element for the block's residual add; a fused BatchNormReLU
//     step, the sum of its two layers (fusion saves memory traffic, not
//     operations).
type FLOPsCounter interface {
	FLOPs(in []int) int64
}

// CountFLOPs returns l.FLOPs(in) if l is a FLOPsCounter, else 0.
func CountFLOPs(l Layer, in []int) int64 {
	if f, ok := l.(FLOPsCounter); ok {
		return f.FLOPs(in)
	}
	return 0
}

// numel64 is the element count of a shape as an int64.
func numel64(shape []int) int64 { return int64(tensor.Numel(shape)) }

// FLOPs returns 2·in·out (+ out with a bias); see FLOPsCounter.
func (l *Linear) FLOPs(in []int) int64 {
	if _, err := l.OutShape(in); err != nil {
		return 0
	}
	n := 2 * int64(l.In) * int64(l.Out)
	if l.Bias != nil {
		n += int64(l.Out)
	}
	return n
}

// FLOPs returns 2·inC·kH·kW·outC·OH·OW (+ outC·OH·OW with a bias); see
// FLOPsCounter.
func (c *Conv2d) FLOPs(in []int) int64 {
	oh, ow, err := c.check(in)
	if err != nil {
		return 0
	}
	outs := int64(c.OutC) * int64(oh) * int64(ow)
	n := 2 * int64(c.InC) * int64(c.KH) * int64(c.KW) * outs
	if c.Bias != nil {
		n += outs
	}
	return n
}

// FLOPs returns 4 per element; see FLOPsCounter.
func (b *BatchNorm) FLOPs(in []int) int64 {
	if _, err := b.OutShape(in); err != nil {
		return 0
	}
	return 4 * numel64(in)
}

// FLOPs returns 1 per element for every activation; see FLOPsCounter.
func (a *Activation) FLOPs(in []int) int64 {
	if _, err := a.OutShape(in); err != nil {
		return 0
	}
	return numel64(in)
}

// poolFLOPs returns kernel² per output element of a pooling window.
func poolFLOPs(p poolWindow, in []int) int64 {
	out, err := poolOutShape(p, in)
	if err != nil {
		return 0
	}
	return int64(p.Kernel) * int64(p.Kernel) * numel64(out)
}

// FLOPs returns kernel² per output element; see FLOPsCounter.
func (m *MaxPool2d) FLOPs(in []int) int64 { return poolFLOPs(m.poolWindow, in) }

// FLOPs returns kernel² per output element; see FLOPsCounter.
func (a *AvgPool2d) FLOPs(in []int) int64 { return poolFLOPs(a.poolWindow, in) }

// FLOPs returns H·W per channel; see FLOPsCounter.
func (g *GlobalAvgPool) FLOPs(in []int) int64 {
	if _, err := g.OutShape(in); err != nil {
		return 0
	}
	return numel64(in)
}

// FLOPs returns 0; see FLOPsCounter.
func (d *Dropout) FLOPs([]int) int64 { return 0 }

// FLOPs returns 0: Flatten is a view.
func (f *Flatten) FLOPs([]int) int64 { return 0 }

// FLOPs returns the sum of the children's counts, each for the shape that
// reaches it; see FLOPsCounter.
func (s *Sequential) FLOPs(in []int) int64 {
	n, _, ok := chainFLOPs(s.Layers, in)
	if !ok {
		return 0
	}
	return n
}

// chainFLOPs sums the counts of layers applied in order to in and returns
// the final shape, or ok false if a layer rejects its input.
func chainFLOPs(layers []Named, in []int) (n int64, out []int, ok bool) {
	for _, l := range layers {
		o, err := l.Layer.OutShape(in)
		if err != nil {
			return 0, nil, false
		}
		n += CountFLOPs(l.Layer, in)
		in = o
	}
	return n, in, true
}

// FLOPs returns the sum of the children's counts plus 1 per output element
// for the residual add; see FLOPsCounter.
func (b *BasicBlock) FLOPs(in []int) int64 {
	out, err := b.OutShape(in)
	if err != nil {
		return 0
	}
	branch := []Named{{"conv1", b.Conv1}, {"bn1", b.BN1}, {"act1", b.Act1}, {"conv2", b.Conv2}, {"bn2", b.BN2}}
	n, _, _ := chainFLOPs(branch, in)
	if b.Shortcut != nil {
		n += b.Shortcut.FLOPs(in)
	}
	return n + numel64(out) + CountFLOPs(b.Act2, out)
}

// TrainingFLOPs returns the floating-point operations of one example's
// training step in the matrix multiplies of l, for the per-example input
// shape in: for every Linear and Conv2d layer (biases aside) the forward
// product, the weight gradient, and the input gradient unless the layer
// skips it (NoInputGrad, as the builders set it on a first layer that
// nothing trainable precedes) — 2 or 3 times the forward count. It is the
// numerator of model-FLOP utilization; elementwise layers (batch norm,
// activations, pooling) are not counted, and 0 means the input does not
// fit.
func TrainingFLOPs(l Layer, in []int) int64 {
	return matmulFLOPs(l, in, func(noInputGrad bool) int64 {
		if noInputGrad {
			return 2
		}
		return 3
	})
}

// InferenceFLOPs returns the floating-point operations of one example's
// forward pass in the matrix multiplies of l (what eval and predict
// compute), counted as TrainingFLOPs counts them: a third of it, or a half
// for the layers that skip the input gradient. 0 means the input does not
// fit.
func InferenceFLOPs(l Layer, in []int) int64 {
	return matmulFLOPs(l, in, func(bool) int64 { return 1 })
}

// matmulFLOPs counts the matrix-multiply FLOPs of l's forward product
// times passes(NoInputGrad) per layer; 0 if the input does not fit.
func matmulFLOPs(l Layer, in []int, passes func(noInputGrad bool) int64) int64 {
	n, _, ok := countMatmul(l, in, passes)
	if !ok {
		return 0
	}
	return n
}

// countMatmul is matmulFLOPs and l's output shape.
func countMatmul(l Layer, in []int, passes func(noInputGrad bool) int64) (n int64, out []int, ok bool) {
	out, err := l.OutShape(in)
	if err != nil {
		return 0, nil, false
	}
	switch v := l.(type) {
	case *Linear:
		return passes(v.NoInputGrad) * 2 * int64(v.In) * int64(v.Out), out, true
	case *Conv2d:
		return passes(v.NoInputGrad) * 2 * int64(v.InC) * int64(v.KH) * int64(v.KW) * numel64(out), out, true
	case *BasicBlock:
		n, mid, ok := countMatmul(v.Conv1, in, passes)
		if !ok {
			return 0, nil, false
		}
		m, _, ok := countMatmul(v.Conv2, mid, passes)
		if !ok {
			return 0, nil, false
		}
		if v.Shortcut != nil {
			s, _, ok := countMatmul(v.Shortcut, in, passes)
			if !ok {
				return 0, nil, false
			}
			m += s
		}
		return n + m, out, true
	case Container:
		shape := in
		for _, c := range v.Children() {
			m, o, ok := countMatmul(c.Layer, shape, passes)
			if !ok {
				return 0, nil, false
			}
			n, shape = n+m, o
		}
		return n, out, true
	}
	return 0, out, true
}
