package tensor

import (
	"fmt"
	"slices"
)

// Tensor is a dense row-major float32 array. Data has exactly Numel(Shape)
// elements.
type Tensor struct {
	Shape []int
	Data  []float32
}

// Numel returns the number of elements of a tensor with the given shape
// (1 for the empty shape, a scalar).
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			// Format a copy so that shape itself does not escape: callers
			// pass literal shapes on hot paths (Ensure).
			panic(fmt.Sprintf("tensor: negative dimension in shape %v", slices.Clone(shape)))
		}
		n *= d
	}
	return n
}

// New returns a zero-filled tensor of the given shape.
func New(shape ...int) *Tensor {
	return &Tensor{Shape: slices.Clone(shape), Data: make([]float32, Numel(shape))}
}

// FromData wraps data (not copied) as a tensor of the given shape.
func FromData(data []float32, shape ...int) *Tensor {
	if len(data) != Numel(shape) {
		panic(fmt.Sprintf("tensor: %d values do not fill shape %v", len(data), slices.Clone(shape)))
	}
	return &Tensor{Shape: slices.Clone(shape), Data: data}
}

// Len returns the number of elements.
func (t *Tensor) Len() int { return len(t.Data) }

// Rows returns the size of the first dimension (the batch size for
// activations).
func (t *Tensor) Rows() int { return t.Shape[0] }

// RowLen returns the number of elements per row: Len()/Rows().
func (t *Tensor) RowLen() int {
	if t.Shape[0] == 0 {
		return Numel(t.Shape[1:])
	}
	return len(t.Data) / t.Shape[0]
}

// Zero sets every element to 0.
func (t *Tensor) Zero() { clear(t.Data) }

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: slices.Clone(t.Shape), Data: slices.Clone(t.Data)}
}

// SameShape reports whether t has exactly the given shape.
func (t *Tensor) SameShape(shape []int) bool { return slices.Equal(t.Shape, shape) }

// Ensure returns t if it already has the given shape, and otherwise a tensor
// of that shape that reuses t's storage when it is large enough. Contents are
// unspecified. Layers use it to keep one output buffer per batch shape, so a
// steady-state training step does not allocate.
func Ensure(t *Tensor, shape ...int) *Tensor {
	if t != nil && slices.Equal(t.Shape, shape) {
		return t
	}
	n := Numel(shape)
	if t != nil && cap(t.Data) >= n {
		return &Tensor{Shape: slices.Clone(shape), Data: t.Data[:n]}
	}
	return New(shape...)
}

// String describes the tensor's shape (not its values).
func (t *Tensor) String() string { return fmt.Sprintf("Tensor%v", t.Shape) }
