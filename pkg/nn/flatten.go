package nn

import (
	"fmt"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// Flatten reshapes (N, d1, d2, ...) to (N, d1·d2·...). It shares storage
// with its input.
type Flatten struct {
	inShape []int
	y, dx   tensor.Tensor
}

// Forward: x is (N, ...), returns a (N, features) view of it.
func (f *Flatten) Forward(_ *Context, x *tensor.Tensor) *tensor.Tensor {
	f.inShape = x.Shape
	f.y = tensor.Tensor{Shape: f.flat(x), Data: x.Data}
	return &f.y
}

func (f *Flatten) flat(x *tensor.Tensor) []int {
	n := x.Shape[0]
	if len(f.y.Shape) == 2 && f.y.Shape[0] == n && f.y.Shape[1] == x.RowLen() {
		return f.y.Shape
	}
	return []int{n, x.RowLen()}
}

// Backward reshapes dy back to the input's shape.
func (f *Flatten) Backward(_ *Context, dy *tensor.Tensor) *tensor.Tensor {
	f.dx = tensor.Tensor{Shape: f.inShape, Data: dy.Data}
	return &f.dx
}

// Params returns nil: Flatten has no parameters.
func (f *Flatten) Params() []*Param { return nil }

// OutShape multiplies out every dimension.
func (f *Flatten) OutShape(in []int) ([]int, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("expects at least one feature dimension")
	}
	return []int{tensor.Numel(in)}, nil
}

// Describe returns "Flatten".
func (f *Flatten) Describe() string { return "Flatten" }
