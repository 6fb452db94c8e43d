package nn

import (
	"fmt"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// Linear is a fully connected layer y = x·Wᵀ + b, with W stored (out, in)
// as in PyTorch's nn.Linear.
//
// DropConnect p > 0 (Wan et al. 2013, "Regularization of Neural Networks
// using DropConnect") masks the weights in training: y = x·(W⊙M)ᵀ + b with
// M ∈ {0, 1/(1−p)} elementwise, keep probability 1−p, drawn afresh each
// step from (c.Seed, c.Step, DropConnectSalt) and shared by the batch; the
// weight gradient is masked and scaled alike, (dyᵀ·x)⊙M. The bias is not
// masked. In evaluation all weights are used unscaled, so the expected
// training output equals the evaluation output.
type Linear struct {
	// NoInputGrad skips the input gradient: Backward accumulates the
	// parameter gradients and returns nil. Model builders set it on a first
	// layer that nothing trainable precedes, saving one matrix multiply.
	NoInputGrad bool
	In, Out     int
	Weight      *Param // (out, in)
	Bias        *Param // (out,), nil without bias

	// DropConnect is the probability, in [0, 1), of dropping each weight in
	// training (0: off); DropConnectSalt distinguishes this layer's masks
	// from other layers'.
	DropConnect     float64
	DropConnectSalt uint64

	dc dropConnect

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
func (l *Linear) Forward(c *Context, x *tensor.Tensor) *tensor.Tensor {
	if len(x.Shape) != 2 || x.Shape[1] != l.In {
		panic(fmt.Sprintf("nn: Linear(%d→%d) got input %v", l.In, l.Out, x.Shape))
	}
	n := x.Shape[0]
	l.x = x
	w := l.dc.weights(c, l.DropConnect, l.DropConnectSalt, l.Weight.Value.Data)
	l.y = reuse2(l.y, n, l.Out)
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
	c.Pool.Gemm(false, true, n, l.Out, l.In, 1, x.Data, l.In, w, l.In, beta, y, l.Out)
	return l.y
}

// Backward: dy is (N, out); accumulates db += Σₙ dy, dW += dyᵀ·x and returns
// dx = dy·W (N, in). Under DropConnect W is the masked W⊙M of the last
// Forward and dW += (dyᵀ·x)⊙M. With c.Grads set it reports db, then dW in
// blocks of c.Grads.BlockRows output rows, as each is final.
func (l *Linear) Backward(c *Context, dy *tensor.Tensor) *tensor.Tensor {
	n := dy.Shape[0]
	if l.Bias != nil {
		db := l.Bias.Grad.Data
		for i := 0; i < n; i++ {
			row := dy.Data[i*l.Out : (i+1)*l.Out]
			for j, v := range row {
				db[j] += v
			}
		}
		if c.Grads != nil {
			c.Grads.RowsDone(l.Bias, l.Out)
		}
	}
	w, dw, beta := l.Weight.Value.Data, l.Weight.Grad.Data, float32(1)
	if l.dc.active {
		w, dw, beta = l.dc.w, reuseFloats(l.dc.dw, len(dw)), 0
		l.dc.dw = dw
	}
	block := l.Out
	if c.Grads != nil && !l.dc.active {
		if r := c.Grads.BlockRows(l.Weight); r > 0 {
			block = min(r, l.Out)
		}
	}
	for r0 := 0; r0 < l.Out; r0 += block {
		r1 := min(r0+block, l.Out)
		// dW[r0:r1] (r1−r0,in) += dyᵀ[r0:r1] (r1−r0,N) · x (N,in): the rows
		// of dW are independent, so blocks give the bits of one multiply.
		c.Pool.Gemm(true, false, r1-r0, l.In, n, 1, dy.Data[r0:], l.Out, l.x.Data, l.In, beta, dw[r0*l.In:], l.In)
		if c.Grads != nil && !l.dc.active {
			c.Grads.RowsDone(l.Weight, r1)
		}
	}
	if l.dc.active {
		l.dc.accumulate(l.Weight.Grad.Data)
		if c.Grads != nil {
			c.Grads.RowsDone(l.Weight, l.Out)
		}
	}
	if l.NoInputGrad {
		return nil
	}
	l.dx = reuse2(l.dx, n, l.In)
	// dx (N,in) = dy (N,out) · W (out,in)
	c.Pool.Gemm(false, false, n, l.In, l.Out, 1, dy.Data, l.Out, w, l.In, 0, l.dx.Data, l.In)
	return l.dx
}

// Params returns weight and (if present) bias.
func (l *Linear) Params() []*Param {
	if l.Bias == nil {
		return []*Param{l.Weight}
	}
	return []*Param{l.Weight, l.Bias}
}

// DropConnectMask returns the weight mask (out, in) of the last training
// Forward, 0 or 1/(1−DropConnect) per weight, or nil if the last Forward
// used all weights. It is owned by the layer.
func (l *Linear) DropConnectMask() []float32 { return l.dc.lastMask() }

// OutShape requires a flat input of In features and a valid DropConnect.
func (l *Linear) OutShape(in []int) ([]int, error) {
	if err := checkProb("DropConnect", l.DropConnect); err != nil {
		return nil, err
	}
	if len(in) != 1 {
		return nil, fmt.Errorf("expects flat features (%d), got shape %v: add a flatten layer before it", l.In, in)
	}
	if in[0] != l.In {
		return nil, fmt.Errorf("expects %d input features, got %d", l.In, in[0])
	}
	return []int{l.Out}, nil
}

// Describe returns "Linear(in→out)", with ", no bias" without bias and
// ", dropconnect p" with DropConnect.
func (l *Linear) Describe() string {
	s := fmt.Sprintf("Linear(%d→%d", l.In, l.Out)
	if l.Bias == nil {
		s += ", no bias"
	}
	if l.DropConnect != 0 {
		s += fmt.Sprintf(", dropconnect %g", l.DropConnect)
	}
	return s + ")"
}
