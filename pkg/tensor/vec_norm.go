package tensor

// Batch norm's elementwise passes, with an optional relu fused after it.
// The relu's mask is recomputed in the backward kernels from the stored
// normalized input (g·x̂ + b > 0, the same fused multiply-add as the forward
// pass), so no rectified copy is read back.

// NormAffine sets xh[i] = s·x[i] + t and y[i] = g·xh[i] + b (each one fused
// multiply-add), then y[i] = max(y[i], 0) if relu (a NaN stays NaN): batch
// norm's forward pass, x̂ and its affine output, in one pass over x. xh and
// y must be at least as long as x.
func NormAffine(xh, y, x []float32, s, t, g, b float32, relu bool) {
	xh, y = xh[:len(x)], y[:len(x)]
	if useVecAsm && len(x) > 0 {
		normAffineAVX512(&xh[0], &y[0], &x[0], len(x), s, t, g, b, b2i(relu))
		return
	}
	for i, v := range x {
		h := fma32(s, v, t)
		o := fma32(g, h, b)
		if relu && o < 0 {
			o = 0 // max(o, 0) as the assembly computes it: NaN and −0 stay
		}
		xh[i], y[i] = h, o
	}
}

// reluKeeps reports whether the fused relu after batch norm passed the
// gradient at normalized value h: g·h + b > 0.
func reluKeeps(h, g, b float32) bool { return fma32(g, h, b) > 0 }

// SumDotReLU returns Σdy' and Σdy'·xh accumulated in float64 (summed as
// SumDot sums), where dy' is dy where g·xh + b > 0 (the relu fused after
// NormAffine passes the gradient) and 0 elsewhere. xh must be at least as
// long as dy.
func SumDotReLU(dy, xh []float32, g, b float32) (sum, dot float64) {
	xh = xh[:len(dy)]
	body := len(dy) &^ 7
	if useVecAsm && body > 0 {
		sum, dot = sumDotReLUAVX512(&dy[0], &xh[0], body, g, b)
	} else {
		var s, d [redLanes]float64
		add := func(i, l int) {
			v := 0.0
			if reluKeeps(xh[i], g, b) {
				v = float64(dy[i])
			}
			s[l] += v
			d[l] += v * float64(xh[i])
		}
		blocks := body / redLanes * redLanes
		for i := 0; i < blocks; i += redLanes {
			for l := range redLanes {
				add(i+l, l)
			}
		}
		for i := blocks; i < body; i += 8 {
			for l := range 8 {
				add(i+l, l)
			}
		}
		sum, dot = reduceLanes(&s), reduceLanes(&d)
	}
	for i := body; i < len(dy); i++ {
		if reluKeeps(xh[i], g, b) {
			sum += float64(dy[i])
			dot += float64(dy[i]) * float64(xh[i])
		}
	}
	return sum, dot
}

// LinComb2ReLU sets dst[i] = (a·dy'[i] + c) + bc·xh[i] (each step one fused
// multiply-add), where dy' is dy where g·xh + b > 0 and 0 elsewhere: batch
// norm's input gradient through the relu fused after it. dst may be dy or
// xh; xh must be at least as long as dy.
func LinComb2ReLU(dst, dy, xh []float32, a, bc, c, g, b float32) {
	dst, xh = dst[:len(dy)], xh[:len(dy)]
	if useVecAsm && len(dy) > 0 {
		linComb2ReLUAVX512(&dst[0], &dy[0], &xh[0], len(dy), a, bc, c, g, b)
		return
	}
	for i, v := range dy {
		h := xh[i]
		if !reluKeeps(h, g, b) {
			v = 0
		}
		dst[i] = fma32(bc, h, fma32(a, v, c))
	}
}
