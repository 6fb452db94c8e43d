package nn

import (
	"fmt"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// Fuser is a container that plans, when Fuse is called, which of its
// children run as one fused pass. Sequential and BasicBlock are Fusers.
type Fuser interface {
	Container
	// Fusions names the fused steps of the current plan, each after the
	// children it joins ("bn1+act1"; "add+act2" for a residual add and the
	// relu after it), in order; nil before Fuse or when nothing fuses.
	// The steps of nested containers are not included.
	Fusions() []string
	// fuse replaces the container's plan by one made from its children as
	// they are now.
	fuse()
}

// Fuse plans the fused passes of l and of every container inside it
// (depth first) and returns l. Model builders call it once the layers are
// in place; a container that was never planned runs every child on its
// own, with the same results, only slower. Plans are made from the
// children as they are when Fuse runs: after replacing a child, call Fuse
// again.
//
// The plan fuses:
//
//   - in a Sequential, a *BatchNorm directly followed by a relu *Activation
//     (another activation, a relu inside a nested container or a relu
//     hidden behind another type stays apart): one BatchNormReLU step;
//   - in a BasicBlock, bn1 with a relu act1 (a BatchNormReLU) and the
//     residual add with a relu act2 (one pass over cache-sized chunks,
//     y = max(h + shortcut, 0), in training and evaluation, except in a
//     training step that applies stochastic depth).
//
// Fusion changes no result, bit for bit, and no names: parameters and
// buffers stay in the children, named and ordered as before.
func Fuse(l Layer) Layer {
	if c, ok := l.(Container); ok {
		for _, k := range c.Children() {
			Fuse(k.Layer)
		}
	}
	if f, ok := l.(Fuser); ok {
		f.fuse()
	}
	return l
}

// asReLU returns l as a plain relu Activation, if it is one.
func asReLU(l Layer) (*Activation, bool) {
	a, ok := l.(*Activation)
	return a, ok && a.kind == actReLU
}

// planSteps returns the steps that run layers in order: each *BatchNorm
// directly followed by a relu becomes one BatchNormReLU step named
// "bn+act" after the two; every other layer is its own step.
func planSteps(layers []Named) []Named {
	steps := make([]Named, 0, len(layers))
	for i := 0; i < len(layers); i++ {
		if bn, ok := layers[i].Layer.(*BatchNorm); ok && i+1 < len(layers) {
			if relu, ok := asReLU(layers[i+1].Layer); ok {
				steps = append(steps, Named{Name: layers[i].Name + "+" + layers[i+1].Name, Layer: NewBatchNormReLU(bn, relu)})
				i++
				continue
			}
		}
		steps = append(steps, layers[i])
	}
	return steps
}

// BatchNormReLU is a batch norm and the relu after it planned as one step
// (see Fuse). In training it runs one fused pass: the batch norm writes
// max(y, 0), and in Backward masks the gradient to where y > 0 from x̂,
// which it recomputes from its input anyway, without reading y back. In
// evaluation (and with the batch norm Frozen) it runs BN and then ReLU,
// each on its own. Either way the
// output, the gradients and the running statistics are those of the two
// layers run apart, bit for bit.
//
// It is not a container and holds no parameters or buffers: BN and ReLU stay
// children of the container that planned the step, which names their
// parameters and buffers. In a fused training step ReLU itself is not run,
// so its cached input and output are those of its last unfused Forward;
// anything that needs each layer's output runs the layers one by one
// (their Forward works apart), as the init diagnostics do.
type BatchNormReLU struct {
	// BN and ReLU are the layers the step stands for, as they are in the
	// planning container's Layers.
	BN   *BatchNorm
	ReLU *Activation

	fused bool // the last Forward ran the fused training pass
}

// NewBatchNormReLU returns the fused step of bn followed by relu. It panics
// if relu is not a relu activation.
func NewBatchNormReLU(bn *BatchNorm, relu *Activation) *BatchNormReLU {
	if _, ok := asReLU(relu); !ok || bn == nil {
		panic(fmt.Sprintf("nn: BatchNormReLU needs a batch norm and a relu, got %v and %v", bn, relu))
	}
	return &BatchNormReLU{BN: bn, ReLU: relu}
}

// Forward: x is (N, C, ...), as for BatchNorm; y has its shape. In
// training the relu is applied in batch norm's own pass over x.
func (f *BatchNormReLU) Forward(c *Context, x *tensor.Tensor) *tensor.Tensor {
	f.fused = c.Train && !f.BN.Frozen
	if f.fused {
		return f.BN.forward(c, x, true)
	}
	return f.ReLU.Forward(c, f.BN.Forward(c, x))
}

// Backward returns dx for dy, the gradient of the relu's output, and
// accumulates the batch norm's parameter gradients.
func (f *BatchNormReLU) Backward(c *Context, dy *tensor.Tensor) *tensor.Tensor {
	if f.fused {
		return f.BN.backward(c, dy, true)
	}
	return f.BN.Backward(c, f.ReLU.Backward(c, dy))
}

// Params returns the batch norm's parameters (a relu has none), named as
// the batch norm names them.
func (f *BatchNormReLU) Params() []*Param { return f.BN.Params() }

// OutShape is the batch norm's (the relu keeps the shape).
func (f *BatchNormReLU) OutShape(in []int) ([]int, error) {
	out, err := f.BN.OutShape(in)
	if err != nil {
		return nil, err
	}
	return f.ReLU.OutShape(out)
}

// Describe returns "BatchNorm(C)+relu (fused in training)".
func (f *BatchNormReLU) Describe() string {
	return f.BN.Describe() + "+" + f.ReLU.Describe() + " (fused in training)"
}

// FLOPs returns the batch norm's count plus the relu's; see FLOPsCounter.
func (f *BatchNormReLU) FLOPs(in []int) int64 {
	out, err := f.BN.OutShape(in)
	if err != nil {
		return 0
	}
	return f.BN.FLOPs(in) + f.ReLU.FLOPs(out)
}
