package tensor

import (
	"fmt"
	mbits "math/bits"
)

// The elementwise and reduction kernels below are what the layers run
// besides Gemm: batch norm, ReLU and the im2col/col2im copies. On amd64
// with AVX-512 they run in Go assembly (vec_amd64.s); elsewhere, and under
// the purego tag, in the plain Go of this file. The reductions give the
// same bits either way (their float64 products are exact and the Go code
// adds in the assembly's order); the elementwise kernels may differ in the
// last bit, because the assembly fuses multiply and add.

// AddRows adds rows of src to rows of dst: dst[r·dstStride+j] +=
// src[r·srcStride+j] for r < rows and j < n. The rows must not overlap.
func AddRows(dst []float32, dstStride int, src []float32, srcStride, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	checkRows("AddRows", len(dst), dstStride, len(src), srcStride, rows, n)
	if useVecAsm {
		addRowsAVX512(&dst[0], dstStride*4, &src[0], srcStride*4, rows, n)
		return
	}
	for r := range rows {
		d, s := dst[r*dstStride:r*dstStride+n], src[r*srcStride:r*srcStride+n]
		for j, v := range s {
			d[j] += v
		}
	}
}

// AddRowsSpread2 adds rows of src to every other value of rows of dst:
// dst[r·dstStride+2j] += src[r·srcStride+j] for r < rows and j < n (col2im
// of a stride-2 convolution); the values between are untouched. The rows
// must not overlap.
func AddRowsSpread2(dst []float32, dstStride int, src []float32, srcStride, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	if dstStride < 2*n-1 || srcStride < n || len(dst) < (rows-1)*dstStride+2*n-1 || len(src) < (rows-1)*srcStride+n {
		panic(fmt.Sprintf("tensor: AddRowsSpread2 of %d rows of %d: strides %d/%d over %d/%d values", rows, n, dstStride, srcStride, len(dst), len(src)))
	}
	if useVecAsm {
		r := n % 8
		addRowsSpread2AVX512(&dst[0], dstStride*4, &src[0], srcStride*4, rows, n, 1<<r-1, 0x5555&(1<<max(2*r-1, 0)-1))
		return
	}
	for r := range rows {
		d, s := dst[r*dstStride:r*dstStride+2*n-1], src[r*srcStride:r*srcStride+n]
		for j, v := range s {
			d[2*j] += v
		}
	}
}

func checkRows(name string, ld, dstStride, ls, srcStride, rows, n int) {
	if dstStride < n || srcStride < n || ld < (rows-1)*dstStride+n || ls < (rows-1)*srcStride+n {
		panic(fmt.Sprintf("tensor: %s of %d rows of %d: strides %d/%d over %d/%d values", name, rows, n, dstStride, srcStride, ld, ls))
	}
}

// ReLU sets dst[i] = max(x[i], 0) (a NaN stays NaN); dst may be x.
func ReLU(dst, x []float32) {
	dst = dst[:len(x)]
	if useVecAsm && len(x) > 0 {
		reluAVX512(&dst[0], &x[0], len(x))
		return
	}
	for i, v := range x {
		if v < 0 {
			v = 0
		}
		dst[i] = v
	}
}

// ReLUGrad sets dst[i] = dy[i] where x[i] > 0 and 0 elsewhere: the
// gradient of ReLU at x (x may be the ReLU's output, which is positive
// exactly where its input is).
func ReLUGrad(dst, dy, x []float32) {
	dst, dy = dst[:len(x)], dy[:len(x)]
	if useVecAsm && len(x) > 0 {
		reluGradAVX512(&dst[0], &dy[0], &x[0], len(x))
		return
	}
	for i, v := range x {
		g := dy[i]
		if !(v > 0) {
			g = 0
		}
		dst[i] = g
	}
}

// ScaleShift sets dst[i] = a·x[i] + c; dst may be x.
func ScaleShift(dst, x []float32, a, c float32) {
	dst = dst[:len(x)]
	if useVecAsm && len(x) > 0 {
		scaleShiftAVX512(&dst[0], &x[0], len(x), a, c)
		return
	}
	for i, v := range x {
		dst[i] = a*v + c
	}
}

// LinComb2 sets dst[i] = a·x[i] + b·y[i] + c; dst may be x or y.
func LinComb2(dst, x, y []float32, a, b, c float32) {
	dst, y = dst[:len(x)], y[:len(x)]
	if useVecAsm && len(x) > 0 {
		linComb2AVX512(&dst[0], &x[0], &y[0], len(x), a, b, c)
		return
	}
	for i, v := range x {
		dst[i] = (a*v + c) + b*y[i]
	}
}

// AllFinite reports whether x holds no NaN and no infinity.
func AllFinite(x []float32) bool {
	if useVecAsm && len(x) > 0 {
		return allFiniteAVX512(&x[0], len(x))
	}
	for _, v := range x {
		if v-v != 0 { // NaN − NaN and ∞ − ∞ are NaN
			return false
		}
	}
	return true
}

// redLanes is the number of float64 partial sums the reductions keep: four
// 8-lane accumulators over blocks of 32 values (then blocks of 8 into the
// first), combined pairwise at the end, and the last n%8 values added in
// order.
const redLanes = 32

// SumSquares returns Σx and Σx² accumulated in float64 (the squares are
// exact; the sum order is fixed, see redLanes).
func SumSquares(x []float32) (sum, sumSq float64) {
	square := func(i int) (float64, float64) { v := float64(x[i]); return v, v * v }
	if useVecAsm && len(x) >= 8 {
		sum, sumSq = sumSquaresAVX512(&x[0], len(x)&^7)
		return addInOrder(sum, sumSq, len(x)&^7, len(x), square)
	}
	return pairSums(len(x), square)
}

// pairSums returns Σa and Σb over the terms (a, b) = term(i), i < n, in
// float64 and in the order of the assembly reductions: 32 lanes over blocks
// of 32 terms, then blocks of 8 into the first 8 lanes, the lanes combined
// by reduceLanes, and the last n%8 terms added in order.
func pairSums(n int, term func(i int) (a, b float64)) (sa, sb float64) {
	var la, lb [redLanes]float64
	body, blocks := n&^7, n/redLanes*redLanes
	for i := range body {
		l := i % redLanes
		if i >= blocks {
			l = (i - blocks) % 8
		}
		a, b := term(i)
		la[l] += a
		lb[l] += b
	}
	return addInOrder(reduceLanes(&la), reduceLanes(&lb), body, n, term)
}

// addInOrder adds the terms from, …, n-1 to sa and sb, one after another.
func addInOrder(sa, sb float64, from, n int, term func(i int) (a, b float64)) (float64, float64) {
	for i := from; i < n; i++ {
		a, b := term(i)
		sa += a
		sb += b
	}
	return sa, sb
}

// reduceLanes combines the 32 partial sums as the assembly does:
// accumulators (0+1)+(2+3) lane by lane, then the 8 lanes by halves.
func reduceLanes(p *[redLanes]float64) float64 {
	var v [8]float64
	for l := range 8 {
		v[l] = (p[l] + p[8+l]) + (p[16+l] + p[24+l])
	}
	for l := range 4 {
		v[l] += v[4+l]
	}
	v[0] += v[2]
	v[1] += v[3]
	return v[0] + v[1]
}

// fma32 returns a·b + c rounded once to float32: the product of two
// float32 values is exact in float64, so only the float64 sum rounds before
// the conversion (a double rounding that differs from a hardware FMA only in
// astronomically rare ties).
func fma32(a, b, c float32) float32 { return float32(float64(a)*float64(b) + float64(c)) }

// FMA sets dst[i] = a·x[i] + y[i] with one rounding (a fused multiply-add,
// as PyTorch's Tensor.add_(x, alpha=a) computes it on the CPU); dst may be x
// or y.
func FMA(dst, x []float32, a float32, y []float32) {
	dst, y = dst[:len(x)], y[:len(x)]
	if useVecAsm && len(x) > 0 {
		fmaAVX512(&dst[0], &x[0], len(x), a, &y[0])
		return
	}
	for i, v := range x {
		dst[i] = fma32(a, v, y[i])
	}
}

// SGDMomentum is one step of SGD with momentum after the first, as
// torch.optim.SGD computes it, on the parameter w with gradient g and
// momentum buffer b (all of one length), every multiply-add fused:
//
//	g' = wd·w + g            (weight decay; skipped when wd = 0)
//	b  = (1−τ)·g' + μ·b      (damp = 1−τ; μ·b rounded first)
//	w  = −η·(μ·b + g') + w   (Nesterov) or −η·b + w
//
// g is not modified.
func SGDMomentum(w, g, b []float32, wd, eta, mu, damp float32, nesterov bool) {
	w, b = w[:len(g)], b[:len(g)]
	if len(g) == 0 {
		return
	}
	if useVecAsm {
		sgdMomentumAVX512(&w[0], &g[0], &b[0], len(g), wd, -eta, mu, damp, b2i(wd != 0), b2i(nesterov))
		return
	}
	for j, gj := range g {
		if wd != 0 {
			gj = fma32(wd, w[j], gj)
		}
		bj := fma32(damp, gj, mu*b[j])
		b[j] = bj
		u := bj
		if nesterov {
			u = fma32(mu, bj, gj)
		}
		w[j] = fma32(-eta, u, w[j])
	}
}

// b2i returns 1 for true and 0 for false (flags for the assembly).
func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

// PlaneLayout describes one plane PadPlanes writes: Head zeros, then Rows
// rows of Width values each (Width apart: the rows are contiguous), each
// row Lead zeros, N values copied from the source (source rows SrcRow
// apart, values SrcCol apart; SrcCol 0 means 1), then zeros; then Tail
// zeros. A plane is Head + Rows·Width + Tail values.
type PlaneLayout struct {
	Head, Rows, Width, Tail int
	Lead, N, SrcRow, SrcCol int
}

// PadPlanes writes planes planes of layout l to dst, plane i at
// dst[i·dstPlane:], each from src[i·srcPlane:]. It is im2col's inner step
// for one kernel offset over all channels. src is not read when
// l.Rows·l.N = 0.
func PadPlanes(dst []float32, dstPlane int, src []float32, srcPlane, planes int, l PlaneLayout) {
	if planes <= 0 {
		return
	}
	size := l.Head + l.Rows*l.Width + l.Tail
	if l.Head < 0 || l.Rows < 0 || l.Tail < 0 || l.Lead < 0 || l.N < 0 || l.Lead+l.N > l.Width ||
		dstPlane < size || len(dst) < (planes-1)*dstPlane+size {
		panic(fmt.Sprintf("tensor: PadPlanes of %d planes %+v, plane stride %d, into %d values", planes, l, dstPlane, len(dst)))
	}
	reads := l.Rows > 0 && l.N > 0
	sc := max(l.SrcCol, 1)
	if reads && (l.SrcRow < 0 || len(src) < (planes-1)*srcPlane+(l.Rows-1)*l.SrcRow+(l.N-1)*sc+1 || (l.N-1)*sc >= 1<<31/4) {
		panic(fmt.Sprintf("tensor: PadPlanes of %d planes %+v, source plane stride %d, from %d values", planes, l, srcPlane, len(src)))
	}
	if useVecAsm {
		sp := (*float32)(nil)
		if reads {
			sp = &src[0]
		}
		s2lo, s2hi := 0, 0
		if span := 2*(l.N%16) - 1; sc == 2 && span > 0 {
			s2lo = 1<<min(span, 16) - 1
			s2hi = 1<<max(span-16, 0) - 1
		}
		padPlanesAVX512(&dst[0], dstPlane*4, sp, srcPlane*4, planes, l.Head, l.Rows, l.Width*4, l.SrcRow*4,
			l.Lead, l.N, l.Width, l.Tail, sc, s2lo, s2hi)
		return
	}
	for i := range planes {
		d := dst[i*dstPlane : i*dstPlane+size]
		clear(d[:l.Head])
		for r := range l.Rows {
			row := d[l.Head+r*l.Width : l.Head+(r+1)*l.Width]
			clear(row[:l.Lead])
			if l.N > 0 {
				s := src[i*srcPlane+r*l.SrcRow:]
				if sc == 1 {
					copy(row[l.Lead:l.Lead+l.N], s)
				} else {
					for j := range l.N {
						row[l.Lead+j] = s[j*sc]
					}
				}
			}
			clear(row[l.Lead+l.N:])
		}
		clear(d[l.Head+l.Rows*l.Width:])
	}
}

// MaxShiftPlane is the longest plane ShiftPlanes takes: 64 validity words.
const MaxShiftPlane = 64 * 16

// ShiftPlanes writes planes planes of n values to dst, plane i at
// dst[i·dstPlane:], each a shifted, masked copy of src[i·srcPlane:]:
//
//	dst[i·dstPlane + p] = src[i·srcPlane + p + shift]  if bit p%16 of valid[p/16] is set
//	                    = 0                             otherwise,  p < n ≤ MaxShiftPlane
//
// It is im2col's inner step for one kernel offset of a unit-stride
// convolution whose input and output rows are equally long: the shift is the
// offset, the unset bits the padding. Only set positions are read.
func ShiftPlanes(dst []float32, dstPlane int, src []float32, srcPlane, planes, n, shift int, valid []uint16) {
	if planes <= 0 || n <= 0 {
		return
	}
	nvec := (n + 15) / 16
	if n > MaxShiftPlane || len(valid) < nvec || dstPlane < n || len(dst) < (planes-1)*dstPlane+n {
		panic(fmt.Sprintf("tensor: ShiftPlanes of %d planes of %d values (stride %d) into %d values with %d validity words", planes, n, dstPlane, len(dst), len(valid)))
	}
	lo, hi := -1, -1 // first and last valid position
	for w, bits := range valid[:nvec] {
		if w == nvec-1 {
			bits &= uint16(1<<(n-16*w) - 1)
		}
		if bits == 0 {
			continue
		}
		if lo < 0 {
			lo = 16*w + mbits.TrailingZeros16(bits)
		}
		hi = 16*w + 15 - mbits.LeadingZeros16(bits)
	}
	if lo >= 0 && (lo+shift < 0 || (planes-1)*srcPlane+hi+shift >= len(src)) {
		panic(fmt.Sprintf("tensor: ShiftPlanes of %d planes reads src[%d] to src[%d] of %d values", planes, lo+shift, (planes-1)*srcPlane+hi+shift, len(src)))
	}
	if useVecAsm {
		if lo < 0 { // nothing to read: any in-bounds base will do
			shift = 0
			src = dst
		}
		shiftPlanesAVX512(&dst[0], dstPlane*4, &src[0], srcPlane*4, planes, shift, &valid[0], nvec, 1<<(n-16*(nvec-1))-1)
		return
	}
	for i := range planes {
		d, s := dst[i*dstPlane:i*dstPlane+n], i*srcPlane+shift
		for p := range d {
			if valid[p/16]&(1<<(p%16)) != 0 {
				d[p] = src[s+p]
			} else {
				d[p] = 0
			}
		}
	}
}
