package nn

import (
	"fmt"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// Context carries what a pass needs besides its input: whether the model is
// training (dropout and batch statistics on) or evaluating, and the threads
// it may use.
type Context struct {
	// Train is true during a training step and false for evaluation.
	Train bool
	// Seed and Step identify the random draws of stochastic layers
	// (dropout masks), so each step's draws are reproducible.
	Seed uint64
	Step int64
	// Pool is the pass's thread budget: layers split their batch and
	// their matrix multiplies over it. Nil runs everything on the calling
	// goroutine. The results are the same bits for every pool size.
	Pool *tensor.Pool
	// GhostSplits > 1 makes every batch norm in training normalize each of
	// that many equal parts of the batch (examples [j·n/k, (j+1)·n/k)) with
	// its own statistics: ghost batch norm, which reproduces in one process
	// the per-rank statistics of a data-parallel run of k ranks.
	GhostSplits int
	// Sync, when set in training, sums every batch norm's statistics over
	// the ranks of a data-parallel job (synchronized batch norm).
	Sync Reducer
	// Grads, when set in training, is told as soon as parts of the
	// parameters' gradients are final for this backward pass, and may ask
	// a layer to compute a large weight gradient in blocks of rows so the
	// first blocks can be used (summed over the ranks) while the layer
	// still computes the rest. The gradients are the same bits either way.
	Grads GradWatcher
}

// GradWatcher follows the gradients of one backward pass (Context.Grads).
type GradWatcher interface {
	// BlockRows is the number of rows (first dimension) of p's gradient
	// to compute at a time; 0 or at least the rows: all at once.
	BlockRows(p *Param) int
	// RowsDone says that the first rows rows of p's gradient are final
	// for this pass.
	RowsDone(p *Param, rows int)
}

// Param is one trainable tensor with its gradient.
type Param struct {
	// Name is the dotted name of the tensor within the model ("fc1.weight").
	Name string
	// Value holds the parameter; Grad accumulates its gradient (same shape).
	Value, Grad *tensor.Tensor
	// Decay reports whether weight penalties (L2) apply by default: true for
	// weights, false for biases.
	Decay bool
	// Frozen excludes the parameter from training, as PyTorch's
	// requires_grad=False: optimizers leave it and its state alone, and
	// weight penalties and gradient clipping skip it (train.freeze). It is
	// set on the model's own Params (the ones Model.Params returns).
	Frozen bool
}

// Layer is one differentiable operation.
//
// Forward computes the output for input x and caches what Backward needs,
// which may be x itself: x must stay unchanged until Backward. The returned
// tensor is owned by the layer and valid until the next Forward. Backward
// takes dy (the loss gradient with respect to the last output, same shape;
// it is read, never written), accumulates parameter gradients and returns dx
// (same shape as the last input), owned by the layer, or dy itself for a
// layer that leaves the gradient as it is (an empty Sequential).
type Layer interface {
	Forward(c *Context, x *tensor.Tensor) *tensor.Tensor
	Backward(c *Context, dy *tensor.Tensor) *tensor.Tensor
	// Params lists the trainable tensors with names relative to the layer.
	Params() []*Param
	// OutShape returns the per-example output shape for a per-example input
	// shape (batch dimension excluded), or an error saying why the input does
	// not fit. Model builders use it to check a configuration before any data
	// flows.
	OutShape(in []int) ([]int, error)
	// Describe names the layer's kind and settings for model summaries
	// ("Linear(784→512)").
	Describe() string
}

// Named is a layer with its name inside a container.
type Named struct {
	Name  string
	Layer Layer
}

// Container is a layer built from named child layers (Sequential,
// BasicBlock). Its Params are its children's, each name prefixed with the
// child's name and a dot, recursively ("stage1.block1.conv1.weight");
// CollectBuffers names buffers the same way. A container keeps all its state
// (parameters and buffers) in its children.
type Container interface {
	Layer
	// Children lists the child layers in a fixed order (the order of
	// Params); names are unique and non-empty.
	Children() []Named
}

// Walk calls f on l and every layer inside it (the children of
// containers), depth first, in order.
func Walk(l Layer, f func(Layer)) {
	f(l)
	if c, ok := l.(Container); ok {
		for _, k := range c.Children() {
			Walk(k.Layer, f)
		}
	}
}

// prefixedParams returns the parameters of children named
// "child.param". The returned Params are copies that share Value and Grad
// with the children's.
func prefixedParams(children []Named) []*Param {
	var out []*Param
	for _, l := range children {
		for _, p := range l.Layer.Params() {
			q := *p
			q.Name = l.Name + "." + p.Name
			out = append(out, &q)
		}
	}
	return out
}

// Sequential applies its layers in order. Parameter names are prefixed with
// each child's name.
//
// Layers is the model's structure: it names every parameter and buffer and
// is what anything that walks the model sees (initializers, checkpoints,
// diagnostics). What Forward runs is the plan made by Fuse (see Steps),
// where a batch norm and the relu after it are one fused step; until Fuse
// is called the plan is Layers itself.
type Sequential struct {
	Layers []Named
	steps  []Named // the plan made by Fuse; nil: run Layers
	params []*Param
	// stop is the first step Backward runs (see SetBackwardStop).
	stop int
	// AfterBackwardStep, when set, is called by Backward with the index i
	// of each step (in Steps) right after that step's backward pass: the
	// gradients of its parameters are then final for this pass, which lets
	// a data-parallel trainer start reducing them while the steps before i
	// still run.
	AfterBackwardStep func(i int)
}

// NewSequential returns a container of the given named layers. Names must be
// unique and non-empty.
func NewSequential(layers ...Named) *Sequential {
	seen := map[string]bool{}
	for _, l := range layers {
		if l.Name == "" || seen[l.Name] {
			panic(fmt.Sprintf("nn: layer name %q is empty or repeated", l.Name))
		}
		seen[l.Name] = true
	}
	return &Sequential{Layers: layers}
}

// Forward runs every step of the plan (Steps) in order.
func (s *Sequential) Forward(c *Context, x *tensor.Tensor) *tensor.Tensor {
	return s.ForwardSteps(c, x, 0, len(s.Steps()))
}

// ForwardSteps runs the steps [from, to) of the plan on x, the input of
// step from: the frozen body of a model alone, or its head on cached
// features (see SetBackwardStop).
func (s *Sequential) ForwardSteps(c *Context, x *tensor.Tensor, from, to int) *tensor.Tensor {
	for _, st := range s.Steps()[from:to] {
		x = st.Layer.Forward(c, x)
	}
	return x
}

// Backward runs every step's backward pass in reverse order, down to the
// step set by SetBackwardStop. It stops when a step returns a nil input
// gradient (see Linear.NoInputGrad): the layers before it have nothing to
// learn. It returns nil when it stopped before the first step.
func (s *Sequential) Backward(c *Context, dy *tensor.Tensor) *tensor.Tensor {
	steps := s.Steps()
	for i := len(steps) - 1; i >= s.stop && dy != nil; i-- {
		dy = steps[i].Layer.Backward(c, dy)
		if s.AfterBackwardStep != nil {
			s.AfterBackwardStep(i)
		}
	}
	if s.stop > 0 {
		return nil
	}
	return dy
}

// SetBackwardStop makes Backward skip the first n steps of the plan
// (Steps), as when they are frozen and the input needs no gradient: their
// parameters get no gradient and Backward returns nil. 0 (the default)
// back-propagates through every step. n counts the steps of the current
// plan: call it after Fuse, which replans them.
func (s *Sequential) SetBackwardStop(n int) { s.stop = min(max(n, 0), len(s.Steps())) }

// BackwardStop returns the number of leading steps Backward skips.
func (s *Sequential) BackwardStop() int { return s.stop }

// Steps returns what Forward runs, in order: the plan made by Fuse, in
// which a *BatchNorm directly followed by a relu is one *BatchNormReLU step
// named "bn+act" after the two, and every other layer is its own step;
// Layers itself before Fuse. The slice is owned by s.
func (s *Sequential) Steps() []Named {
	if s.steps != nil {
		return s.steps
	}
	return s.Layers
}

// fuse plans the steps from Layers (see Fuse).
func (s *Sequential) fuse() { s.steps = planSteps(s.Layers) }

// Fusions names the fused steps of the plan ("bn1+act1"), in order; see
// Fuser.
func (s *Sequential) Fusions() []string {
	var f []string
	for _, st := range s.steps {
		if _, ok := st.Layer.(*BatchNormReLU); ok {
			f = append(f, st.Name)
		}
	}
	return f
}

// Params lists every parameter of every child, named "child.param". The
// slice is built once and cached.
func (s *Sequential) Params() []*Param {
	if s.params == nil {
		s.params = prefixedParams(s.Layers)
	}
	return s.params
}

// Children returns the layers in order.
func (s *Sequential) Children() []Named { return s.Layers }

// OutShape chains the children's shape inference; an error names the layer.
func (s *Sequential) OutShape(in []int) ([]int, error) {
	for _, l := range s.Layers {
		out, err := l.Layer.OutShape(in)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", l.Name, l.Layer.Describe(), err)
		}
		in = out
	}
	return in, nil
}

// Describe returns "Sequential(n layers)".
func (s *Sequential) Describe() string { return fmt.Sprintf("Sequential(%d layers)", len(s.Layers)) }

// ZeroGrad sets every parameter gradient to zero.
func ZeroGrad(params []*Param) {
	for _, p := range params {
		p.Grad.Zero()
	}
}

// CountParams returns the total number of trainable scalars.
func CountParams(params []*Param) int {
	n := 0
	for _, p := range params {
		n += p.Value.Len()
	}
	return n
}
