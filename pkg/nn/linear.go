package nn

import (
	"fmt"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// Linear is a fully connected layer y = x·Wᵀ + b, with W stored (out, in)
// as in PyTorch's nn.Linear.
type Linear struct {
	In, Out int
	Weight  *Param // (out, in)
	Bias    *Param // (out,), nil without bias

	x  *tensor.Tensor // cached input (N, in)
	y  *tensor.Tensor // output buffer (N, out)
	dx *tensor.Tensor // input-gradient buffer (N, in)
}

// NewLinear returns a Linear layer with zero weights (see the initializers)
// and, if bias is true, a zero bias.
func NewLinear(in, out int, bias bool) *Linear {
	l := &Linear{In: in, Out: out}
	l.Weight = &Param{Name: "weight", Value: tensor.New(out, in), Grad: tensor.New(out, in), Decay: true}
	if bias {
		l.Bias = &Param{Name: "bias", Value: tensor.New(out), Grad: tensor.New(out)}
	}
	return l
}

// Forward: x is (N, in), returns y (N, out).
func (l *Linear) Forward(_ *Context, x *tensor.Tensor) *tensor.Tensor {
	if len(x.Shape) != 2 || x.Shape[1] != l.In {
		panic(fmt.Sprintf("nn: Linear(%d→%d) got input %v", l.In, l.Out, x.Shape))
	}
	n := x.Shape[0]
	l.x = x
	l.y = tensor.Ensure(l.y, n, l.Out)
	y := l.y.Data
	if l.Bias != nil {
		b := l.Bias.Value.Data
		for i := 0; i < n; i++ {
			copy(y[i*l.Out:(i+1)*l.Out], b)
		}
	}
	beta := float32(0)
	if l.Bias != nil {
		beta = 1
	}
	// y (N,out) = x (N,in) · Wᵀ (in,out) [+ y]
	tensor.Gemm(false, true, n, l.Out, l.In, 1, x.Data, l.In, l.Weight.Value.Data, l.In, beta, y, l.Out)
	return l.y
}

// Backward: dy is (N, out); accumulates dW += dyᵀ·x, db += Σₙ dy and returns
// dx = dy·W (N, in).
func (l *Linear) Backward(_ *Context, dy *tensor.Tensor) *tensor.Tensor {
	n := dy.Shape[0]
	// dW (out,in) += dyᵀ (out,N) · x (N,in)
	tensor.Gemm(true, false, l.Out, l.In, n, 1, dy.Data, l.Out, l.x.Data, l.In, 1, l.Weight.Grad.Data, l.In)
	if l.Bias != nil {
		db := l.Bias.Grad.Data
		for i := 0; i < n; i++ {
			row := dy.Data[i*l.Out : (i+1)*l.Out]
			for j, v := range row {
				db[j] += v
			}
		}
	}
	l.dx = tensor.Ensure(l.dx, n, l.In)
	// dx (N,in) = dy (N,out) · W (out,in)
	tensor.Gemm(false, false, n, l.In, l.Out, 1, dy.Data, l.Out, l.Weight.Value.Data, l.In, 0, l.dx.Data, l.In)
	return l.dx
}

// Params returns weight and (if present) bias.
func (l *Linear) Params() []*Param {
	if l.Bias == nil {
		return []*Param{l.Weight}
	}
	return []*Param{l.Weight, l.Bias}
}

// OutShape requires a flat input of In features.
func (l *Linear) OutShape(in []int) ([]int, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("expects flat features (%d), got shape %v: add a flatten layer before it", l.In, in)
	}
	if in[0] != l.In {
		return nil, fmt.Errorf("expects %d input features, got %d", l.In, in[0])
	}
	return []int{l.Out}, nil
}

// Describe returns "Linear(in→out)".
func (l *Linear) Describe() string {
	if l.Bias == nil {
		return fmt.Sprintf("Linear(%d→%d, no bias)", l.In, l.Out)
	}
	return fmt.Sprintf("Linear(%d→%d)", l.In, l.Out)
}
