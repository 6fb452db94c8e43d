package nn

import (
	"fmt"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// poolWindow holds the square window settings shared by MaxPool2d and
// AvgPool2d.
type poolWindow struct {
	// Kernel is the window side, Stride the step (≥ 1) and Padding the
	// implicit border on each side (at most Kernel/2, as PyTorch requires).
	Kernel, Stride, Padding int
}

func newPoolWindow(kind string, kernel, stride, padding int) poolWindow {
	if stride == 0 {
		stride = kernel
	}
	if kernel < 1 || stride < 1 || padding < 0 {
		panic(fmt.Sprintf("nn: invalid %s(kernel=%d, stride=%d, pad=%d)", kind, kernel, stride, padding))
	}
	return poolWindow{Kernel: kernel, Stride: stride, Padding: padding}
}

// check validates a per-example input shape (C, H, W) and returns the
// output height and width.
func (p poolWindow) check(in []int) (oh, ow int, err error) {
	if p.Kernel < 1 || p.Stride < 1 || p.Padding < 0 {
		return 0, 0, fmt.Errorf("invalid kernel %d, stride %d or padding %d", p.Kernel, p.Stride, p.Padding)
	}
	if 2*p.Padding > p.Kernel {
		return 0, 0, fmt.Errorf("padding %d is more than half the %dx%d kernel", p.Padding, p.Kernel, p.Kernel)
	}
	if len(in) != 3 {
		return 0, 0, fmt.Errorf("expects an image (channels, height, width), got shape %v", in)
	}
	if in[0] < 1 || in[1] < 1 || in[2] < 1 {
		return 0, 0, fmt.Errorf("expects a non-empty image, got shape %v", in)
	}
	eh, ew := in[1]+2*p.Padding-p.Kernel, in[2]+2*p.Padding-p.Kernel
	if eh < 0 || ew < 0 {
		return 0, 0, fmt.Errorf("%dx%d input with padding %d is smaller than the %dx%d window: the output would be empty",
			in[1], in[2], p.Padding, p.Kernel, p.Kernel)
	}
	return eh/p.Stride + 1, ew/p.Stride + 1, nil
}

// span returns the input indices [lo, hi) covered by output index o along
// an axis of the given size, clipped to the image.
func (p poolWindow) span(o, size int) (lo, hi int) {
	lo = o*p.Stride - p.Padding
	return max(lo, 0), min(lo+p.Kernel, size)
}

func (p poolWindow) describe(kind string) string {
	return fmt.Sprintf("%s(%dx%d, stride %d, pad %d)", kind, p.Kernel, p.Kernel, p.Stride, p.Padding)
}

// MaxPool2d takes the maximum over square windows of each channel of an
// NCHW input. Padding counts as −∞, so it is never selected; on ties the
// gradient goes to the first maximum in row-major window order. NaN inputs
// propagate.
type MaxPool2d struct {
	poolWindow

	xShape []int          // shape of the last input (N, C, H, W)
	y      *tensor.Tensor // output buffer (N, C, OH, OW)
	dx     *tensor.Tensor // input-gradient buffer (N, C, H, W)
	argmax []int32        // per output value: index of the maximum within its input plane
	x      *tensor.Tensor // the input of the Forward in progress
	dy     []float32      // the output gradient of the Backward in progress
}

// NewMaxPool2d returns a max-pooling layer; stride 0 means stride = kernel
// (PyTorch's default). It panics on a non-positive kernel or negative
// stride or padding.
func NewMaxPool2d(kernel, stride, padding int) *MaxPool2d {
	return &MaxPool2d{poolWindow: newPoolWindow("MaxPool2d", kernel, stride, padding)}
}

// Forward: x is (N, C, H, W), returns y (N, C, OH, OW).
func (m *MaxPool2d) Forward(c *Context, x *tensor.Tensor) *tensor.Tensor {
	oh, ow := forwardCheck(m.poolWindow, "MaxPool2d", x)
	n, ch, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	m.xShape = x.Shape
	m.y = reuse4(m.y, n, ch, oh, ow)
	planes, p := n*ch, oh*ow
	if cap(m.argmax) < planes*p {
		m.argmax = make([]int32, planes*p)
	}
	m.argmax = m.argmax[:planes*p]
	m.x = x
	c.Pool.ParallelFor(planeBlocks(planes, h*w), (*maxPoolForward)(m))
	m.x = nil
	return m.y
}

// planeBlocks returns how many parallel pooling tasks cover planes planes
// of size values each: whole planes, about elemChunk values per task.
func planeBlocks(planes, size int) int {
	return (planes + planesPerBlock(size) - 1) / planesPerBlock(size)
}

// planesPerBlock is the number of planes of size values one task pools.
func planesPerBlock(size int) int { return max(1, elemChunk/max(size, 1)) }

// maxPoolForward and maxPoolBackward run one block of planes.
type (
	maxPoolForward  MaxPool2d
	maxPoolBackward MaxPool2d
)

// Run pools the planes of block b.
func (f *maxPoolForward) Run(_, b int) {
	m := (*MaxPool2d)(f)
	x := m.x
	h, w := x.Shape[2], x.Shape[3]
	oh, ow := m.y.Shape[2], m.y.Shape[3]
	p, per := oh*ow, planesPerBlock(h*w)
	for pl := b * per; pl < min((b+1)*per, x.Shape[0]*x.Shape[1]); pl++ {
		xp := x.Data[pl*h*w : (pl+1)*h*w]
		yp := m.y.Data[pl*p : (pl+1)*p]
		ap := m.argmax[pl*p : (pl+1)*p]
		if m.Kernel == 2 && m.Stride == 2 && m.Padding == 0 {
			maxPool2x2(xp, w, oh, ow, yp, ap)
			continue
		}
		for i := 0; i < oh; i++ {
			r0, r1 := m.span(i, h)
			for j := 0; j < ow; j++ {
				c0, c1 := m.span(j, w)
				best, arg := xp[r0*w+c0], r0*w+c0
				for r := r0; r < r1; r++ {
					row := xp[r*w : r*w+c1]
					for c := c0; c < c1; c++ {
						// v != v: the first NaN wins and propagates.
						if v := row[c]; v > best || (v != v && best == best) {
							best, arg = v, r*w+c
						}
					}
				}
				yp[i*ow+j] = best
				ap[i*ow+j] = int32(arg)
			}
		}
	}
}

// maxPool2x2 is the common 2x2, stride 2, unpadded window on one plane of
// width w: the same comparisons in the same order as the general loop.
func maxPool2x2(xp []float32, w, oh, ow int, yp []float32, ap []int32) {
	for i := 0; i < oh; i++ {
		top := xp[2*i*w : 2*i*w+2*ow]
		bot := xp[(2*i+1)*w : (2*i+1)*w+2*ow]
		y, a := yp[i*ow:(i+1)*ow], ap[i*ow:(i+1)*ow]
		base := int32(2 * i * w)
		for j := range y {
			best, arg := top[2*j], base+int32(2*j)
			if v := top[2*j+1]; v > best || (v != v && best == best) {
				best, arg = v, base+int32(2*j+1)
			}
			if v := bot[2*j]; v > best || (v != v && best == best) {
				best, arg = v, base+int32(w+2*j)
			}
			if v := bot[2*j+1]; v > best || (v != v && best == best) {
				best, arg = v, base+int32(w+2*j+1)
			}
			y[j], a[j] = best, arg
		}
	}
}

// Run routes the gradients of the planes of block b.
func (f *maxPoolBackward) Run(_, b int) {
	m := (*MaxPool2d)(f)
	hw := m.xShape[2] * m.xShape[3]
	p, per := m.y.Shape[2]*m.y.Shape[3], planesPerBlock(hw)
	for pl := b * per; pl < min((b+1)*per, m.xShape[0]*m.xShape[1]); pl++ {
		dxp := m.dx.Data[pl*hw : (pl+1)*hw]
		clear(dxp)
		ap := m.argmax[pl*p : (pl+1)*p]
		for o, g := range m.dy[pl*p : (pl+1)*p] {
			dxp[ap[o]] += g
		}
	}
}

// Backward: dy is (N, C, OH, OW); routes each gradient to its window's
// maximum and returns dx (N, C, H, W).
func (m *MaxPool2d) Backward(c *Context, dy *tensor.Tensor) *tensor.Tensor {
	if !dy.SameShape(m.y.Shape) {
		panic(fmt.Sprintf("nn: %s backward got dy %v, want %v", m.Describe(), dy.Shape, m.y.Shape))
	}
	m.dx = tensor.Ensure(m.dx, m.xShape...)
	m.dy = dy.Data
	c.Pool.ParallelFor(planeBlocks(m.xShape[0]*m.xShape[1], m.xShape[2]*m.xShape[3]), (*maxPoolBackward)(m))
	m.dy = nil
	return m.dx
}

// Params returns nil: MaxPool2d has no parameters.
func (m *MaxPool2d) Params() []*Param { return nil }

// OutShape requires an image (C, H, W) and returns (C, OH, OW) with
// OH = (H + 2·pad − kernel)/stride + 1, rounded down (likewise OW).
func (m *MaxPool2d) OutShape(in []int) ([]int, error) { return poolOutShape(m.poolWindow, in) }

// Describe returns "MaxPool2d(KxK, stride S, pad P)".
func (m *MaxPool2d) Describe() string { return m.describe("MaxPool2d") }

// AvgPool2d averages square windows of each channel of an NCHW input.
// Padding counts as zeros in the average (PyTorch's default
// count_include_pad=true), so every window is divided by kernel².
type AvgPool2d struct {
	poolWindow

	xShape []int          // shape of the last input (N, C, H, W)
	y      *tensor.Tensor // output buffer (N, C, OH, OW)
	dx     *tensor.Tensor // input-gradient buffer (N, C, H, W)
}

// NewAvgPool2d returns an average-pooling layer; stride 0 means
// stride = kernel (PyTorch's default). It panics on a non-positive kernel
// or negative stride or padding.
func NewAvgPool2d(kernel, stride, padding int) *AvgPool2d {
	return &AvgPool2d{poolWindow: newPoolWindow("AvgPool2d", kernel, stride, padding)}
}

// Forward: x is (N, C, H, W), returns y (N, C, OH, OW).
func (a *AvgPool2d) Forward(_ *Context, x *tensor.Tensor) *tensor.Tensor {
	oh, ow := forwardCheck(a.poolWindow, "AvgPool2d", x)
	n, ch, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	a.xShape = x.Shape
	a.y = reuse4(a.y, n, ch, oh, ow)
	scale := 1 / float32(a.Kernel*a.Kernel)
	p := oh * ow
	for pl := 0; pl < n*ch; pl++ {
		xp := x.Data[pl*h*w : (pl+1)*h*w]
		yp := a.y.Data[pl*p : (pl+1)*p]
		for i := 0; i < oh; i++ {
			r0, r1 := a.span(i, h)
			for j := 0; j < ow; j++ {
				c0, c1 := a.span(j, w)
				var s float32
				for r := r0; r < r1; r++ {
					for _, v := range xp[r*w+c0 : r*w+c1] {
						s += v
					}
				}
				yp[i*ow+j] = s * scale
			}
		}
	}
	return a.y
}

// Backward: dy is (N, C, OH, OW); spreads each gradient evenly (/kernel²)
// over its window and returns dx (N, C, H, W).
func (a *AvgPool2d) Backward(_ *Context, dy *tensor.Tensor) *tensor.Tensor {
	if !dy.SameShape(a.y.Shape) {
		panic(fmt.Sprintf("nn: %s backward got dy %v, want %v", a.Describe(), dy.Shape, a.y.Shape))
	}
	a.dx = tensor.Ensure(a.dx, a.xShape...)
	a.dx.Zero()
	h, w := a.xShape[2], a.xShape[3]
	oh, ow := a.y.Shape[2], a.y.Shape[3]
	scale := 1 / float32(a.Kernel*a.Kernel)
	p := oh * ow
	for pl := 0; pl < a.xShape[0]*a.xShape[1]; pl++ {
		dxp := a.dx.Data[pl*h*w : (pl+1)*h*w]
		dyp := dy.Data[pl*p : (pl+1)*p]
		for i := 0; i < oh; i++ {
			r0, r1 := a.span(i, h)
			for j := 0; j < ow; j++ {
				c0, c1 := a.span(j, w)
				g := dyp[i*ow+j] * scale
				for r := r0; r < r1; r++ {
					row := dxp[r*w+c0 : r*w+c1]
					for k := range row {
						row[k] += g
					}
				}
			}
		}
	}
	return a.dx
}

// Params returns nil: AvgPool2d has no parameters.
func (a *AvgPool2d) Params() []*Param { return nil }

// OutShape requires an image (C, H, W) and returns (C, OH, OW) with
// OH = (H + 2·pad − kernel)/stride + 1, rounded down (likewise OW).
func (a *AvgPool2d) OutShape(in []int) ([]int, error) { return poolOutShape(a.poolWindow, in) }

// Describe returns "AvgPool2d(KxK, stride S, pad P)".
func (a *AvgPool2d) Describe() string { return a.describe("AvgPool2d") }

func forwardCheck(p poolWindow, kind string, x *tensor.Tensor) (oh, ow int) {
	if len(x.Shape) != 4 {
		panic(fmt.Sprintf("nn: %s got input %v, want (N, C, H, W)", p.describe(kind), x.Shape))
	}
	oh, ow, err := p.check(x.Shape[1:])
	if err != nil {
		panic(fmt.Sprintf("nn: %s got input %v: %v", p.describe(kind), x.Shape, err))
	}
	return oh, ow
}

func poolOutShape(p poolWindow, in []int) ([]int, error) {
	oh, ow, err := p.check(in)
	if err != nil {
		return nil, err
	}
	return []int{in[0], oh, ow}, nil
}

// GlobalAvgPool averages each channel over all positions: (N, C, H, W) →
// (N, C).
type GlobalAvgPool struct {
	xShape []int          // shape of the last input (N, C, H, W)
	y      *tensor.Tensor // output buffer (N, C)
	dx     *tensor.Tensor // input-gradient buffer (N, C, H, W)
}

// Forward: x is (N, C, H, W), returns y (N, C).
func (g *GlobalAvgPool) Forward(_ *Context, x *tensor.Tensor) *tensor.Tensor {
	if len(x.Shape) != 4 || x.Shape[2]*x.Shape[3] == 0 {
		panic(fmt.Sprintf("nn: GlobalAvgPool got input %v, want (N, C, H, W) with H, W ≥ 1", x.Shape))
	}
	n, ch, hw := x.Shape[0], x.Shape[1], x.Shape[2]*x.Shape[3]
	g.xShape = x.Shape
	g.y = reuse2(g.y, n, ch)
	for pl := range g.y.Data {
		var s float64 // a plane can be large: sum in float64
		for _, v := range x.Data[pl*hw : (pl+1)*hw] {
			s += float64(v)
		}
		g.y.Data[pl] = float32(s / float64(hw))
	}
	return g.y
}

// Backward: dy is (N, C); returns dx (N, C, H, W) = dy/(H·W) at every
// position.
func (g *GlobalAvgPool) Backward(_ *Context, dy *tensor.Tensor) *tensor.Tensor {
	if !dy.SameShape(g.y.Shape) {
		panic(fmt.Sprintf("nn: GlobalAvgPool backward got dy %v, want %v", dy.Shape, g.y.Shape))
	}
	g.dx = tensor.Ensure(g.dx, g.xShape...)
	hw := g.xShape[2] * g.xShape[3]
	scale := 1 / float32(hw)
	for pl, d := range dy.Data {
		v := d * scale
		row := g.dx.Data[pl*hw : (pl+1)*hw]
		for i := range row {
			row[i] = v
		}
	}
	return g.dx
}

// Params returns nil: GlobalAvgPool has no parameters.
func (g *GlobalAvgPool) Params() []*Param { return nil }

// OutShape requires an image (C, H, W) and returns (C).
func (g *GlobalAvgPool) OutShape(in []int) ([]int, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("expects an image (channels, height, width), got shape %v", in)
	}
	if in[0] < 1 || in[1] < 1 || in[2] < 1 {
		return nil, fmt.Errorf("expects a non-empty image, got shape %v", in)
	}
	return []int{in[0]}, nil
}

// Describe returns "GlobalAvgPool".
func (g *GlobalAvgPool) Describe() string { return "GlobalAvgPool" }
