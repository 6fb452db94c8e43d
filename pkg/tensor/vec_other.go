//go:build !amd64 || purego

package tensor

// useVecAsm is false: this build has only the Go kernels of vec.go.
var useVecAsm = false

func addRowsAVX512(dst *float32, dstStride int, src *float32, srcStride int, rows, n int) {
	panic("unreachable")
}
func addRowsSpread2AVX512(dst *float32, dstStride int, src *float32, srcStride int, rows, n, loadLast, storeLast int) {
	panic("unreachable")
}
func reluAVX512(dst, x *float32, n int)                         { panic("unreachable") }
func reluGradAVX512(dst, dy, x *float32, n int)                 { panic("unreachable") }
func scaleShiftAVX512(dst, x *float32, n int, a, c float32)     { panic("unreachable") }
func linComb2AVX512(dst, x, y *float32, n int, a, b, c float32) { panic("unreachable") }
func sumSquaresAVX512(x *float32, n int) (sum, sumSq float64)   { panic("unreachable") }

func sgdMomentumAVX512(w, grad, b *float32, n int, wd, negEta, mu, damp float32, decay, nesterov int) {
	panic("unreachable")
}
func fmaAVX512(dst, x *float32, n int, a float32, y *float32) { panic("unreachable") }

func padPlanesAVX512(dst *float32, dstPlane int, src *float32, srcPlane int, planes, head, rows, dstRow, srcRow, lead, n, width, tail, colStride, s2lo, s2hi int) {
	panic("unreachable")
}

func normAffineAVX512(y, x *float32, n int, s, t, gamma, beta float32, relu int) {
	panic("unreachable")
}
func sumDotNormAVX512(dy, x *float32, n int, s, t, gamma, beta float32, relu int) (sum, dot float64) {
	panic("unreachable")
}
func linComb2NormAVX512(dst, dy, x *float32, n int, a, bc, c, s, t, gamma, beta float32, relu int) {
	panic("unreachable")
}
func shiftPlanesAVX512(dst *float32, dstPlane int, src *float32, srcPlane, planes, shift int, valid *uint16, nvec, lastMask int) {
	panic("unreachable")
}
func allFiniteAVX512(x *float32, n int) bool { panic("unreachable") }
