package nn

import (
	"fmt"
	"slices"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// BasicBlock is the basic residual block of ResNet (He et al. 2016, "Deep
// Residual Learning for Image Recognition", the CIFAR variant):
//
//	out = act2(bn2(conv2(act1(bn1(conv1(x))))) + shortcut(x))
//
// conv1 is 3x3 with stride Stride and padding 1, conv2 3x3 with stride 1 and
// padding 1, both without bias (the batch norms that follow have one). The
// shortcut is the identity when Stride is 1 and InC equals OutC; otherwise
// it is a projection, a 1x1 convolution with stride Stride (no bias)
// followed by batch norm (the paper's option B), held in Shortcut.
//
// The children are named "conv1", "bn1", "act1", "conv2", "bn2",
// "shortcut" (a Sequential of "conv" and "bn"; absent for the identity) and
// "act2", so parameters are named "conv1.weight", "bn2.bias",
// "shortcut.conv.weight" (and "act1.weight" for prelu), and buffers
// "bn1.running_mean" etc., as torchvision names them. The convolutions
// start at zero, like every layer's weights: initialize them before use.
//
// DropProb p > 0 turns on stochastic depth (Huang et al. 2016, "Deep
// Networks with Stochastic Depth", ECCV), in its per-example form ("drop
// path", as timm's DropPath and torchvision's StochasticDepth mode "row"):
// in training, each example's residual branch is kept with probability 1−p
// and scaled by 1/(1−p), or dropped, before the add,
//
//	out[n] = act2(mₙ·bn2(…)[n] + shortcut(x)[n]),  mₙ ∈ {0, 1/(1−p)},
//
// so a dropped example gets act2(shortcut(x)). The draws come from
// (c.Seed, c.Step, DropSalt), fresh per step. This is the "inverted"
// convention: the expected pre-activation in training equals the full
// block's, and evaluation uses the full block unscaled, deterministically.
// The paper drops the branch for the whole mini-batch (and scales by the
// survival probability at test time instead); per-example drops give the
// same expectation with less variance, but the branch is always computed
// (its batch norms see the whole batch), so they save no compute.
// LinearDropProbs gives the paper's linear decay rule over a network.
//
// Fuse plans two fused steps when the activations are relu: bn1 and act1
// as one BatchNormReLU, and the residual add and act2 as one pass,
// out = max(branch + shortcut, 0), whose backward masks the gradient where
// out > 0 (a training step with stochastic depth runs act2 on its own).
// The results are those of the layers run apart, bit for bit; an
// unplanned block runs them apart.
type BasicBlock struct {
	InC, OutC, Stride int

	// DropProb is the probability, in [0, 1), of dropping an example's
	// residual branch in training (0: off); DropSalt distinguishes this
	// block's draws from other layers'.
	DropProb float64
	DropSalt uint64

	Conv1    *Conv2d
	BN1      *BatchNorm
	Act1     Layer
	Conv2    *Conv2d
	BN2      *BatchNorm
	Shortcut *Sequential // 1x1 conv + batch norm; nil for the identity
	Act2     Layer

	children []Named
	params   []*Param       // cached by Params
	sum      *tensor.Tensor // main branch + shortcut: act2's input, or its output when addAct2 is planned
	dx       *tensor.Tensor // input-gradient buffer

	// The plan made by Fuse; nil fields run their layers apart.
	bnAct1  *BatchNormReLU // bn1 and a relu act1 as one step
	addAct2 *Activation    // a relu act2 that the residual add applies in its own pass
	ds      *tensor.Tensor // gradient of the sum, when addAct2 ran
	mask    reluGradTask   // addAct2's backward

	dropping bool           // the last Forward applied stochastic depth
	keep     []float32      // (N,) per-example branch factor 0 or 1/(1−p) of the last Forward
	dh       *tensor.Tensor // branch gradient buffer, act2's gradient times keep
	adder    addTask        // the parallel additions of Forward and Backward
	drop     stepRand
}

// LinearDropProbs returns the stochastic depth drop probabilities of the
// linear decay rule of Huang et al. 2016 for a network of blocks residual
// blocks, from the input side: block l (1-based) drops with probability
// p_l = l/L · pMax, so the first block almost always survives and the last
// drops with pMax. It panics if blocks is negative or pMax is not in
// [0, 1).
func LinearDropProbs(blocks int, pMax float64) []float64 {
	if blocks < 0 {
		panic(fmt.Sprintf("nn: LinearDropProbs of %d blocks", blocks))
	}
	if err := checkProb("stochastic depth", pMax); err != nil {
		panic("nn: " + err.Error())
	}
	ps := make([]float64, blocks)
	for l := range ps {
		ps[l] = float64(l+1) / float64(blocks) * pMax
	}
	return ps
}

// NewBasicBlock returns a basic block from inC to outC channels whose first
// convolution (and projection shortcut) has the given stride. newAct makes
// each of its two activations (it is called twice and must return a new
// layer each time; a per-channel prelu has outC channels); nil means relu.
// Batch norms have PyTorch's defaults. It is an error if a size is not
// positive or newAct fails.
func NewBasicBlock(inC, outC, stride int, newAct func() (Layer, error)) (*BasicBlock, error) {
	if inC < 1 || outC < 1 || stride < 1 {
		return nil, fmt.Errorf("basic block needs positive channels and stride, got %d→%d, stride %d", inC, outC, stride)
	}
	if newAct == nil {
		newAct = func() (Layer, error) { return NewActivation("relu", ActivationOptions{}) }
	}
	act1, err := newAct()
	if err != nil {
		return nil, fmt.Errorf("basic block activation: %w", err)
	}
	act2, err := newAct()
	if err != nil {
		return nil, fmt.Errorf("basic block activation: %w", err)
	}
	if act1 == nil || act2 == nil {
		return nil, fmt.Errorf("basic block activation: the factory returned a nil layer")
	}
	b := &BasicBlock{
		InC: inC, OutC: outC, Stride: stride,
		Conv1: NewConv2d(inC, outC, 3, 3, stride, 1, false),
		BN1:   NewBatchNorm(outC, 0, 0),
		Act1:  act1,
		Conv2: NewConv2d(outC, outC, 3, 3, 1, 1, false),
		BN2:   NewBatchNorm(outC, 0, 0),
		Act2:  act2,
	}
	b.children = []Named{{"conv1", b.Conv1}, {"bn1", b.BN1}, {"act1", b.Act1}, {"conv2", b.Conv2}, {"bn2", b.BN2}}
	if stride != 1 || inC != outC {
		b.Shortcut = NewSequential(
			Named{Name: "conv", Layer: NewConv2d(inC, outC, 1, 1, stride, 0, false)},
			Named{Name: "bn", Layer: NewBatchNorm(outC, 0, 0)},
		)
		b.children = append(b.children, Named{"shortcut", b.Shortcut})
	}
	b.children = append(b.children, Named{"act2", b.Act2})
	return b, nil
}

// Children returns conv1, bn1, act1, conv2, bn2, shortcut (projection only)
// and act2, in that order.
func (b *BasicBlock) Children() []Named { return b.children }

// fuse plans bn1 with a relu act1 as one BatchNormReLU step and, when act2
// is a relu, the residual add and act2 as one pass (see Fuse).
func (b *BasicBlock) fuse() {
	b.bnAct1, b.addAct2 = nil, nil
	if relu, ok := asReLU(b.Act1); ok {
		b.bnAct1 = NewBatchNormReLU(b.BN1, relu)
	}
	if relu, ok := asReLU(b.Act2); ok {
		b.addAct2 = relu
	}
}

// Fusions returns "bn1+act1" and "add+act2" for the steps the plan fuses;
// see Fuse.
func (b *BasicBlock) Fusions() []string {
	var f []string
	if b.bnAct1 != nil {
		f = append(f, "bn1+act1")
	}
	if b.addAct2 != nil {
		f = append(f, "add+act2")
	}
	return f
}

// Forward: x is (N, InC, H, W), returns (N, OutC, OH, OW) with
// OH = (H−1)/Stride + 1, rounded down (likewise OW).
func (b *BasicBlock) Forward(c *Context, x *tensor.Tensor) *tensor.Tensor {
	if len(x.Shape) != 4 || x.Shape[1] != b.InC {
		panic(fmt.Sprintf("nn: %s got input %v, want (N, %d, H, W)", b.Describe(), x.Shape, b.InC))
	}
	h := b.Conv1.Forward(c, x)
	if b.bnAct1 != nil {
		h = b.bnAct1.Forward(c, h)
	} else {
		h = b.Act1.Forward(c, b.BN1.Forward(c, h))
	}
	h = b.Conv2.Forward(c, h)
	h = b.BN2.Forward(c, h)
	short := x
	if b.Shortcut != nil {
		short = b.Shortcut.Forward(c, x)
	}
	b.sum = reuse4(b.sum, h.Shape[0], h.Shape[1], h.Shape[2], h.Shape[3])
	s, hs, ss := b.sum.Data, h.Data, short.Data
	b.dropping = c.Train && b.DropProb > 0
	if !b.dropping {
		if b.addAct2 != nil {
			// The add and act2's relu in one pass.
			b.adder.addReLU(c.Pool, s, hs, ss)
			return b.sum
		}
		b.adder.add(c.Pool, s, hs, ss)
		return b.Act2.Forward(c, b.sum)
	}
	// Stochastic depth: example n's branch is scaled by keep[n].
	if err := checkProb("stochastic depth", b.DropProb); err != nil {
		panic("nn: " + err.Error())
	}
	n := h.Shape[0]
	b.keep = reuseFloats(b.keep, n)
	drawKeepMask(b.drop.reseed(c.Seed, uint64(c.Step), b.DropSalt, tagStochasticDepth), b.keep, b.DropProb)
	per := len(s) / n
	for e, k := range b.keep {
		lo, hi := e*per, (e+1)*per
		for i := lo; i < hi; i++ {
			s[i] = k*hs[i] + ss[i]
		}
	}
	return b.Act2.Forward(c, b.sum)
}

// Backward: dy is the output's shape. The gradient of the add flows
// unchanged into the shortcut and, times each example's stochastic depth
// factor of the last Forward (1 without it), into the residual branch; dx
// is the sum of the two branches' input gradients.
func (b *BasicBlock) Backward(c *Context, dy *tensor.Tensor) *tensor.Tensor {
	var ds *tensor.Tensor
	if b.addAct2 != nil && !b.dropping {
		// act2's gradient, masked where the rectified sum is positive.
		b.ds = reuse4(b.ds, dy.Shape[0], dy.Shape[1], dy.Shape[2], dy.Shape[3])
		b.mask.reluGrad(c.Pool, b.ds.Data, dy.Data, b.sum.Data)
		ds = b.ds
	} else {
		ds = b.Act2.Backward(c, dy)
	}
	dh := ds
	if b.dropping {
		b.dh = reuse4(b.dh, ds.Shape[0], ds.Shape[1], ds.Shape[2], ds.Shape[3])
		per := len(ds.Data) / len(b.keep)
		for e, k := range b.keep {
			lo, hi := e*per, (e+1)*per
			src, dst := ds.Data[lo:hi], b.dh.Data[lo:hi]
			for i, v := range src {
				dst[i] = k * v
			}
		}
		dh = b.dh
	}
	g := b.BN2.Backward(c, dh)
	g = b.Conv2.Backward(c, g)
	if b.bnAct1 != nil {
		g = b.bnAct1.Backward(c, g)
	} else {
		g = b.BN1.Backward(c, b.Act1.Backward(c, g))
	}
	g = b.Conv1.Backward(c, g)
	dshort := ds // act2's (or the mask's) buffer, unchanged by the branch's backward
	if b.Shortcut != nil {
		dshort = b.Shortcut.Backward(c, ds)
	}
	b.dx = reuse4(b.dx, g.Shape[0], g.Shape[1], g.Shape[2], g.Shape[3])
	b.adder.add(c.Pool, b.dx.Data, g.Data, dshort.Data)
	return b.dx
}

// Params lists the children's parameters, named "child.param"; the slice is
// built once and cached.
func (b *BasicBlock) Params() []*Param {
	if b.params == nil {
		b.params = prefixedParams(b.children)
	}
	return b.params
}

// Buffers returns the batch norms' running statistics, named
// "bn1.running_mean", ..., "shortcut.bn.running_var" (see CollectBuffers).
func (b *BasicBlock) Buffers() []*Buffer { return CollectBuffers(b) }

// DropMask returns the per-example residual branch factors (N,) of the last
// training Forward, 0 (dropped) or 1/(1−DropProb) (kept), or nil if the last
// Forward did not apply stochastic depth. It is owned by the block.
func (b *BasicBlock) DropMask() []float32 {
	if !b.dropping {
		return nil
	}
	return b.keep
}

// OutShape requires an image (InC, H, W) and returns (OutC, OH, OW); an
// error names the child that rejects the input or reports an invalid
// DropProb.
func (b *BasicBlock) OutShape(in []int) ([]int, error) {
	if err := checkProb("stochastic depth", b.DropProb); err != nil {
		return nil, err
	}
	out := slices.Clone(in)
	for _, l := range b.children {
		if l.Name == "shortcut" {
			continue
		}
		o, err := l.Layer.OutShape(out)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", l.Name, l.Layer.Describe(), err)
		}
		out = o
	}
	if b.Shortcut != nil {
		s, err := b.Shortcut.OutShape(in)
		if err != nil {
			return nil, fmt.Errorf("shortcut: %w", err)
		}
		if !slices.Equal(s, out) {
			return nil, fmt.Errorf("shortcut gives %v but the residual branch %v", s, out)
		}
	}
	return out, nil
}

// Describe returns "BasicBlock(in→out, stride S)", with ", drop p" under
// stochastic depth.
func (b *BasicBlock) Describe() string {
	if b.DropProb != 0 {
		return fmt.Sprintf("BasicBlock(%d→%d, stride %d, drop %g)", b.InC, b.OutC, b.Stride, b.DropProb)
	}
	return fmt.Sprintf("BasicBlock(%d→%d, stride %d)", b.InC, b.OutC, b.Stride)
}

// ZeroInitLastBN sets bn2's weight γ to zero, so that, with bn2's bias β
// at its initial zero, the residual branch starts at zero and the block
// computes act2(shortcut(x)) (Goyal et al. 2017, "Accurate, Large Minibatch
// SGD"; torchvision's zero_init_residual). Call it after initializing.
func (b *BasicBlock) ZeroInitLastBN() { b.BN2.Weight.Value.Zero() }
