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
}

// Layer is one differentiable operation.
//
// Forward computes the output for input x and caches what Backward needs,
// which may be x itself: x must stay unchanged until Backward. The returned
// tensor is owned by the layer and valid until the next Forward. Backward
// takes dy (the loss gradient with respect to the last output, same shape;
// it is read, never written), accumulates parameter gradients and returns dx
// (same shape as the last input), owned by the layer, or in a pass-through
// (a relu fused into the layer before it) dy itself.
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
type Sequential struct {
	Layers []Named
	params []*Param
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

// Forward runs every layer in order. A batch norm followed by a relu runs
// as one fused pass in training (see forwardBNThen); the results are the
// same.
func (s *Sequential) Forward(c *Context, x *tensor.Tensor) *tensor.Tensor {
	for i := 0; i < len(s.Layers); i++ {
		if bn, ok := s.Layers[i].Layer.(*BatchNorm); ok && i+1 < len(s.Layers) {
			i++
			x = forwardBNThen(c, bn, s.Layers[i].Layer, x)
			continue
		}
		x = s.Layers[i].Layer.Forward(c, x)
	}
	return x
}

// Backward runs every layer's backward pass in reverse order. It stops
// when a layer returns a nil input gradient (see Linear.NoInputGrad): the
// layers before it have nothing to learn.
func (s *Sequential) Backward(c *Context, dy *tensor.Tensor) *tensor.Tensor {
	for i := len(s.Layers) - 1; i >= 0 && dy != nil; i-- {
		dy = s.Layers[i].Layer.Backward(c, dy)
	}
	return dy
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
