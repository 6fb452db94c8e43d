package tensor

// Batch norm's elementwise passes, with an optional relu fused after it.
// The normalized input x̂ = s·x + t is never stored: the backward kernels
// recompute it from x with the same fused multiply-add, and the relu's mask
// from x̂ (g·x̂ + b > 0, again the forward's multiply-add), so both are the
// forward pass's bits and nothing but x and dy is read back.

// NormAffine sets y[i] = g·x̂ + b with x̂ = s·x[i] + t (each step one fused
// multiply-add), then y[i] = max(y[i], 0) if relu (a NaN stays NaN): batch
// norm's forward pass in one pass over x. y must be at least as long as x.
func NormAffine(y, x []float32, s, t, g, b float32, relu bool) {
	y = y[:len(x)]
	if useVecAsm && len(x) > 0 {
		normAffineAVX512(&y[0], &x[0], len(x), s, t, g, b, b2i(relu))
		return
	}
	for i, v := range x {
		o := fma32(g, fma32(s, v, t), b)
		if relu && o < 0 {
			o = 0 // max(o, 0) as the assembly computes it: NaN and −0 stay
		}
		y[i] = o
	}
}

// normGrad returns x̂ = s·x + t and the gradient dy let through by the
// relu fused after batch norm (g·x̂ + b > 0), or dy itself without one.
func normGrad(dy, x, s, t, g, b float32, relu bool) (xh, grad float32) {
	xh = fma32(s, x, t)
	if relu && !(fma32(g, xh, b) > 0) {
		return xh, 0
	}
	return xh, dy
}

// SumDotNorm returns Σdy' and Σdy'·x̂ accumulated in float64 (summed as
// SumDot sums), where x̂ = s·x + t as NormAffine computes it and dy' is dy,
// or with relu dy where g·x̂ + b > 0 (dy is then the gradient of the fused relu's output)
// and 0 elsewhere. x must be at least as long as dy.
func SumDotNorm(dy, x []float32, s, t, g, b float32, relu bool) (sum, dot float64) {
	x = x[:len(dy)]
	term := func(i int) (float64, float64) {
		xh, v := normGrad(dy[i], x[i], s, t, g, b, relu)
		return float64(v), float64(v) * float64(xh)
	}
	if useVecAsm && len(dy) >= 8 {
		body := len(dy) &^ 7
		sum, dot = sumDotNormAVX512(&dy[0], &x[0], body, s, t, g, b, b2i(relu))
		return addInOrder(sum, dot, body, len(dy), term)
	}
	return pairSums(len(dy), term)
}

// LinComb2Norm sets dst[i] = (a·dy'[i] + c) + bc·x̂[i] (each step one fused
// multiply-add), with x̂ and dy' as in SumDotNorm: batch norm's input
// gradient, through the relu fused after it if relu. dst may be dy or x; x
// must be at least as long as dy.
func LinComb2Norm(dst, dy, x []float32, a, bc, c, s, t, g, b float32, relu bool) {
	dst, x = dst[:len(dy)], x[:len(dy)]
	if useVecAsm && len(dy) > 0 {
		linComb2NormAVX512(&dst[0], &dy[0], &x[0], len(dy), a, bc, c, s, t, g, b, b2i(relu))
		return
	}
	for i, v := range dy {
		xh, gr := normGrad(v, x[i], s, t, g, b, relu)
		dst[i] = fma32(bc, xh, fma32(a, gr, c))
	}
}
