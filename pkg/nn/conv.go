package nn

import (
	"fmt"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// Conv2d is a 2-D convolution (cross-correlation, as in PyTorch's
// nn.Conv2d) over NCHW inputs with zero padding:
//
//	y[n,o,i,j] = b[o] + Σ_{c,u,v} W[o,c,u,v] · x[n, c, i·sH−pH+u, j·sW−pW+v]
//
// It is computed per example with im2col and tensor.Gemm; the column buffer
// is kept between calls. The output size along each axis is
// (in + 2·pad − kernel)/stride + 1, rounded down.
type Conv2d struct {
	// InC and OutC are the input and output channel counts; KH and KW the
	// kernel height and width.
	InC, OutC, KH, KW int
	// StrideH, StrideW, PadH and PadW are the per-axis stride (≥ 1) and
	// zero padding (≥ 0). NewConv2d sets both axes alike; set them after
	// construction (not between Forward and Backward) for a non-square
	// configuration.
	StrideH, StrideW, PadH, PadW int

	Weight *Param // (outC, inC, kH, kW)
	Bias   *Param // (outC,), nil without bias

	x   *tensor.Tensor // cached input (N, inC, H, W)
	y   *tensor.Tensor // output buffer (N, outC, OH, OW)
	dx  *tensor.Tensor // input-gradient buffer (N, inC, H, W)
	col []float32      // column buffer (inC·kH·kW, OH·OW), reused by backward for dcol
}

// NewConv2d returns a Conv2d layer with zero weights (see the initializers
// and Fans) and, if bias is true, a zero bias. It panics if a size is not
// positive or padding is negative.
func NewConv2d(inC, outC, kernelH, kernelW, stride, padding int, bias bool) *Conv2d {
	if inC < 1 || outC < 1 || kernelH < 1 || kernelW < 1 || stride < 1 || padding < 0 {
		panic(fmt.Sprintf("nn: invalid Conv2d(in=%d, out=%d, kernel=%dx%d, stride=%d, pad=%d)",
			inC, outC, kernelH, kernelW, stride, padding))
	}
	c := &Conv2d{InC: inC, OutC: outC, KH: kernelH, KW: kernelW,
		StrideH: stride, StrideW: stride, PadH: padding, PadW: padding}
	c.Weight = &Param{Name: "weight", Value: tensor.New(outC, inC, kernelH, kernelW),
		Grad: tensor.New(outC, inC, kernelH, kernelW), Decay: true}
	if bias {
		c.Bias = &Param{Name: "bias", Value: tensor.New(outC), Grad: tensor.New(outC)}
	}
	return c
}

// Fans returns the weight's fan-in inC·kH·kW and fan-out outC·kH·kW, as
// torch.nn.init computes them, for use in InitOptions.
func (c *Conv2d) Fans() (fanIn, fanOut int) {
	return c.InC * c.KH * c.KW, c.OutC * c.KH * c.KW
}

// outSize returns the output height and width for an input of h×w, or
// non-positive values if the output would be empty.
func (c *Conv2d) outSize(h, w int) (oh, ow int) {
	eh, ew := h+2*c.PadH-c.KH, w+2*c.PadW-c.KW
	if eh < 0 || ew < 0 {
		return 0, 0
	}
	return eh/c.StrideH + 1, ew/c.StrideW + 1
}

// Forward: x is (N, inC, H, W), returns y (N, outC, OH, OW).
func (c *Conv2d) Forward(_ *Context, x *tensor.Tensor) *tensor.Tensor {
	if len(x.Shape) != 4 {
		panic(fmt.Sprintf("nn: %s got input %v, want (N, %d, H, W)", c.Describe(), x.Shape, c.InC))
	}
	oh, ow, err := c.check(x.Shape[1:])
	if err != nil {
		panic(fmt.Sprintf("nn: %s got input %v: %v", c.Describe(), x.Shape, err))
	}
	n, h, w := x.Shape[0], x.Shape[2], x.Shape[3]
	p := oh * ow              // output positions per example
	k := c.InC * c.KH * c.KW  // column rows
	inLen := c.InC * h * w    // input values per example
	outLen := c.OutC * p      // output values per example
	direct := c.isPointwise() // 1x1, stride 1, no padding: col is x itself
	c.x = x
	c.y = reuse4(c.y, n, c.OutC, oh, ow)
	if !direct {
		c.col = reuseFloats(c.col, k*p)
	}
	wt := c.Weight.Value.Data
	beta := float32(0)
	if c.Bias != nil {
		beta = 1
	}
	for i := 0; i < n; i++ {
		xn := x.Data[i*inLen : (i+1)*inLen]
		yn := c.y.Data[i*outLen : (i+1)*outLen]
		col := xn
		if !direct {
			col = c.col
			c.im2col(xn, h, w, oh, ow, col)
		}
		if c.Bias != nil {
			for o, b := range c.Bias.Value.Data {
				row := yn[o*p : (o+1)*p]
				for j := range row {
					row[j] = b
				}
			}
		}
		// y_n (outC,P) = W (outC,K) · col (K,P) [+ y_n]
		tensor.Gemm(false, false, c.OutC, p, k, 1, wt, k, col, p, beta, yn, p)
	}
	return c.y
}

// Backward: dy is (N, outC, OH, OW); accumulates dW += Σₙ dyₙ·colₙᵀ and
// db += Σ_{n,i,j} dy, and returns dx = Σ col2im(Wᵀ·dyₙ) (N, inC, H, W).
func (c *Conv2d) Backward(_ *Context, dy *tensor.Tensor) *tensor.Tensor {
	x := c.x
	n, h, w := x.Shape[0], x.Shape[2], x.Shape[3]
	oh, ow := c.outSize(h, w)
	if !dy.SameShape(c.y.Shape) {
		panic(fmt.Sprintf("nn: %s backward got dy %v, want %v", c.Describe(), dy.Shape, c.y.Shape))
	}
	p := oh * ow
	k := c.InC * c.KH * c.KW
	inLen := c.InC * h * w
	outLen := c.OutC * p
	direct := c.isPointwise()
	c.dx = tensor.Ensure(c.dx, x.Shape...)
	wt, dw := c.Weight.Value.Data, c.Weight.Grad.Data
	for i := 0; i < n; i++ {
		xn := x.Data[i*inLen : (i+1)*inLen]
		dyn := dy.Data[i*outLen : (i+1)*outLen]
		dxn := c.dx.Data[i*inLen : (i+1)*inLen]
		if c.Bias != nil {
			db := c.Bias.Grad.Data
			for o := range db {
				var s float32
				for _, v := range dyn[o*p : (o+1)*p] {
					s += v
				}
				db[o] += s
			}
		}
		if direct {
			// dW (outC,K) += dy_n (outC,P) · x_nᵀ (P,K)
			tensor.Gemm(false, true, c.OutC, k, p, 1, dyn, p, xn, p, 1, dw, k)
			// dx_n (K,P) = Wᵀ (K,outC) · dy_n (outC,P)
			tensor.Gemm(true, false, k, p, c.OutC, 1, wt, k, dyn, p, 0, dxn, p)
			continue
		}
		col := c.col
		c.im2col(xn, h, w, oh, ow, col)
		// dW (outC,K) += dy_n (outC,P) · col_nᵀ (P,K)
		tensor.Gemm(false, true, c.OutC, k, p, 1, dyn, p, col, p, 1, dw, k)
		// dcol (K,P) = Wᵀ (K,outC) · dy_n (outC,P), reusing the column buffer
		tensor.Gemm(true, false, k, p, c.OutC, 1, wt, k, dyn, p, 0, col, p)
		clear(dxn)
		c.col2im(col, h, w, oh, ow, dxn)
	}
	return c.dx
}

// isPointwise reports whether the convolution is a plain per-pixel matrix
// product (1x1 kernel, unit stride, no padding), for which the column
// matrix of an example is the example itself.
func (c *Conv2d) isPointwise() bool {
	return c.KH == 1 && c.KW == 1 && c.StrideH == 1 && c.StrideW == 1 && c.PadH == 0 && c.PadW == 0
}

// convValidRange returns the output indices [lo, hi) along one axis whose input
// index o·stride − pad + kk lies in [0, size).
func convValidRange(size, out, stride, pad, kk int) (lo, hi int) {
	// o·stride ≥ pad − kk  ⇔  o ≥ ceil((pad−kk)/stride)
	if d := pad - kk; d > 0 {
		lo = (d + stride - 1) / stride
	}
	// o·stride ≤ size−1+pad−kk  ⇔  o ≤ floor((size−1+pad−kk)/stride)
	d := size - 1 + pad - kk
	if d < 0 {
		return 0, 0
	}
	hi = min(d/stride+1, out)
	if lo > hi {
		lo = hi
	}
	return lo, hi
}

// im2col fills col (inC·kH·kW, OH·OW) from one example xn (inC, H, W): row
// (c,u,v), column (i,j) holds x[c, i·sH−pH+u, j·sW−pW+v], or 0 in the
// padding.
func (c *Conv2d) im2col(xn []float32, h, w, oh, ow int, col []float32) {
	p := oh * ow
	sh, sw := c.StrideH, c.StrideW
	r := 0
	for ch := 0; ch < c.InC; ch++ {
		plane := xn[ch*h*w : (ch+1)*h*w]
		for u := 0; u < c.KH; u++ {
			ilo, ihi := convValidRange(h, oh, sh, c.PadH, u)
			for v := 0; v < c.KW; v++ {
				jlo, jhi := convValidRange(w, ow, sw, c.PadW, v)
				row := col[r*p : (r+1)*p]
				r++
				clear(row[:ilo*ow])
				clear(row[ihi*ow:])
				for i := ilo; i < ihi; i++ {
					dst := row[i*ow : (i+1)*ow]
					src := plane[(i*sh-c.PadH+u)*w:]
					clear(dst[:jlo])
					clear(dst[jhi:])
					base := jlo*sw - c.PadW + v
					if sw == 1 {
						copy(dst[jlo:jhi], src[base:base+jhi-jlo])
						continue
					}
					for j := jlo; j < jhi; j++ {
						dst[j] = src[base]
						base += sw
					}
				}
			}
		}
	}
}

// col2im adds the columns of col (inC·kH·kW, OH·OW) back into dxn
// (inC, H, W): the adjoint of im2col.
func (c *Conv2d) col2im(col []float32, h, w, oh, ow int, dxn []float32) {
	p := oh * ow
	sh, sw := c.StrideH, c.StrideW
	r := 0
	for ch := 0; ch < c.InC; ch++ {
		plane := dxn[ch*h*w : (ch+1)*h*w]
		for u := 0; u < c.KH; u++ {
			ilo, ihi := convValidRange(h, oh, sh, c.PadH, u)
			for v := 0; v < c.KW; v++ {
				jlo, jhi := convValidRange(w, ow, sw, c.PadW, v)
				row := col[r*p : (r+1)*p]
				r++
				for i := ilo; i < ihi; i++ {
					srcRow := row[i*ow : (i+1)*ow]
					dst := plane[(i*sh-c.PadH+u)*w:]
					base := jlo*sw - c.PadW + v
					if sw == 1 {
						d := dst[base : base+jhi-jlo]
						for j, g := range srcRow[jlo:jhi] {
							d[j] += g
						}
						continue
					}
					for j := jlo; j < jhi; j++ {
						dst[base] += srcRow[j]
						base += sw
					}
				}
			}
		}
	}
}

// Params returns weight and (if present) bias.
func (c *Conv2d) Params() []*Param {
	if c.Bias == nil {
		return []*Param{c.Weight}
	}
	return []*Param{c.Weight, c.Bias}
}

// OutShape requires an image (inC, H, W) and returns (outC, OH, OW); it is
// an error if the output would be empty.
func (c *Conv2d) OutShape(in []int) ([]int, error) {
	oh, ow, err := c.check(in)
	if err != nil {
		return nil, err
	}
	return []int{c.OutC, oh, ow}, nil
}

// check validates a per-example input shape and returns the output size.
func (c *Conv2d) check(in []int) (oh, ow int, err error) {
	if c.StrideH < 1 || c.StrideW < 1 || c.PadH < 0 || c.PadW < 0 {
		return 0, 0, fmt.Errorf("invalid stride %dx%d or padding %dx%d", c.StrideH, c.StrideW, c.PadH, c.PadW)
	}
	if len(in) != 3 {
		return 0, 0, fmt.Errorf("expects an image (channels, height, width) with %d channels, got shape %v", c.InC, in)
	}
	if in[0] != c.InC {
		return 0, 0, fmt.Errorf("expects %d input channels, got %d (shape %v)", c.InC, in[0], in)
	}
	if in[1] < 1 || in[2] < 1 {
		return 0, 0, fmt.Errorf("expects a non-empty image, got %dx%d", in[1], in[2])
	}
	oh, ow = c.outSize(in[1], in[2])
	if oh < 1 || ow < 1 {
		return 0, 0, fmt.Errorf("%dx%d input with padding %dx%d is smaller than the %dx%d kernel: the output would be empty",
			in[1], in[2], c.PadH, c.PadW, c.KH, c.KW)
	}
	return oh, ow, nil
}

// Describe returns "Conv2d(in→out, KHxKW, stride S, pad P)", with
// "SHxSW"/"PHxPW" when the axes differ and ", no bias" without bias.
func (c *Conv2d) Describe() string {
	s := fmt.Sprintf("Conv2d(%d→%d, %dx%d, stride %s, pad %s", c.InC, c.OutC, c.KH, c.KW,
		axisPair(c.StrideH, c.StrideW), axisPair(c.PadH, c.PadW))
	if c.Bias == nil {
		s += ", no bias"
	}
	return s + ")"
}

// axisPair formats a per-axis setting as "a" when both axes agree, else "axb".
func axisPair(a, b int) string {
	if a == b {
		return fmt.Sprint(a)
	}
	return fmt.Sprintf("%dx%d", a, b)
}

// reuseFloats returns buf resliced to n values, reallocating only when its
// capacity is too small. Contents are unspecified.
func reuseFloats(buf []float32, n int) []float32 {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]float32, n)
}

// reuse4 is tensor.Ensure for a 4-D shape. Checking the common case here
// first keeps the variadic shape from being built (on the heap, as
// tensor.Ensure retains it) when the buffer already fits.
func reuse4(t *tensor.Tensor, a, b, c, d int) *tensor.Tensor {
	if t != nil && len(t.Shape) == 4 && t.Shape[0] == a && t.Shape[1] == b && t.Shape[2] == c && t.Shape[3] == d {
		return t
	}
	return tensor.Ensure(t, a, b, c, d)
}

// reuse2 is reuse4 for a 2-D shape.
func reuse2(t *tensor.Tensor, a, b int) *tensor.Tensor {
	if t != nil && len(t.Shape) == 2 && t.Shape[0] == a && t.Shape[1] == b {
		return t
	}
	return tensor.Ensure(t, a, b)
}
