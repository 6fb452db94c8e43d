//go:build amd64 && !purego

package tensor

// useVecAsm reports whether the AVX-512 kernels of vec_amd64.s may run.
var useVecAsm = func() bool { _, avx512 := cpuFeatures(); return avx512 }()

//go:noescape
func addRowsAVX512(dst *float32, dstStride int, src *float32, srcStride int, rows, n int)

//go:noescape
func addRowsSpread2AVX512(dst *float32, dstStride int, src *float32, srcStride int, rows, n, loadLast, storeLast int)

//go:noescape
func reluAVX512(dst, x *float32, n int)

//go:noescape
func reluGradAVX512(dst, dy, x *float32, n int)

//go:noescape
func scaleShiftAVX512(dst, x *float32, n int, a, c float32)

//go:noescape
func linComb2AVX512(dst, x, y *float32, n int, a, b, c float32)

//go:noescape
func sumSquaresAVX512(x *float32, n int) (sum, sumSq float64)

//go:noescape
func sgdMomentumAVX512(w, grad, b *float32, n int, wd, negEta, mu, damp float32, decay, nesterov int)

//go:noescape
func fmaAVX512(dst, x *float32, n int, a float32, y *float32)

//go:noescape
func padPlanesAVX512(dst *float32, dstPlane int, src *float32, srcPlane int, planes, head, rows, dstRow, srcRow, lead, n, width, tail, colStride, s2lo, s2hi int)

//go:noescape
func normAffineAVX512(y, x *float32, n int, s, t, gamma, beta float32, relu int)

//go:noescape
func sumDotNormAVX512(dy, x *float32, n int, s, t, gamma, beta float32, relu int) (sum, dot float64)

//go:noescape
func linComb2NormAVX512(dst, dy, x *float32, n int, a, bc, c, s, t, gamma, beta float32, relu int)

//go:noescape
func shiftPlanesAVX512(dst *float32, dstPlane int, src *float32, srcPlane, planes, shift int, valid *uint16, nvec, lastMask int)

//go:noescape
func allFiniteAVX512(x *float32, n int) bool
