//go:build amd64 && !purego

package tensor

// kernelFunc is the signature of the generated assembly kernels (strides in
// bytes; see gen_kernels.go).
type kernelFunc func(kc int, a *float32, rsa, csa int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32, load int)

//go:generate go run gen_kernels.go

var (
	avx512Impl = gemmImpl{name: "avx512", mr: 6, nr: 64, vw: 16, kern: avx512Kernel}
	avx2Impl   = gemmImpl{name: "avx2", mr: 6, nr: 16, vw: 8, kern: avx2Kernel}
)

func avx512Kernel(mr, nv, kc int, a []float32, aoff, rsa, csa int, b []float32, boff, ldb int, c []float32, coff, ldc int, alpha, beta float32, load bool) {
	kernelsAVX512[mr-1][nv-1](kc, &a[aoff], rsa*4, csa*4, &b[boff], ldb*4, &c[coff], ldc*4, alpha, beta, b2i(load))
}

func avx2Kernel(mr, nv, kc int, a []float32, aoff, rsa, csa int, b []float32, boff, ldb int, c []float32, coff, ldc int, alpha, beta float32, load bool) {
	kernelsAVX2[mr-1][nv-1](kc, &a[aoff], rsa*4, csa*4, &b[boff], ldb*4, &c[coff], ldc*4, alpha, beta, b2i(load))
}

// packT4x8 transposes a 4×(8·kb) block of B into 8·kb rows of 4 (strides
// in bytes; see gemm_pack_amd64.s).
//
//go:noescape
func packT4x8(kb int, src *float32, ldb int, dst *float32, ldd int)

// packT16x16 transposes a 16×(16·kb) block of B into 16·kb rows of 16
// (strides in bytes; see gemm_pack_amd64.s).
//
//go:noescape
func packT16x16(kb int, src *float32, ldb int, dst *float32, ldd int)

// hasAVX reports whether packT4x8 may run, hasAVX512 whether packT16x16
// may.
var hasAVX, hasAVX512 = cpuFeatures()

// packT16 stores op(B)[p][q…q+15] = B[j+q…j+q+15][p0+p] into bp[p·wp+q…]
// for the first kc − kc%16 values of p and returns how many it did.
func packT16(bp []float32, wp, q int, b []float32, off, ldb, kc int) int {
	kb := kc / 16
	if !hasAVX512 || kb == 0 {
		return 0
	}
	_ = b[off+15*ldb+16*kb-1]
	_ = bp[(16*kb-1)*wp+q+15]
	packT16x16(kb, &b[off], ldb*4, &bp[q], wp*4)
	return 16 * kb
}

// packT4 stores op(B)[p][q…q+3] = B[j+q…j+q+3][p0+p] into bp[p·wp+q…] for
// the first kc − kc%8 values of p and returns how many it did.
func packT4(bp []float32, wp, q int, b []float32, off, ldb, kc int) int {
	kb := kc / 8
	if !hasAVX || kb == 0 {
		return 0
	}
	_ = b[off+3*ldb+8*kb-1]
	_ = bp[(8*kb-1)*wp+q+3]
	packT4x8(kb, &b[off], ldb*4, &bp[q], wp*4)
	return 8 * kb
}

// cpuid executes CPUID with EAX=eaxArg, ECX=ecxArg.
//
//go:noescape
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

// xgetbv returns XCR0 (the OS-enabled register state).
//
//go:noescape
func xgetbv() (eax, edx uint32)

// cpuFeatures reports AVX2+FMA and AVX-512F usability (CPU and OS support).
func cpuFeatures() (avx2fma, avx512 bool) {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false, false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false, false
	}
	xcr0, _ := xgetbv()
	if xcr0&6 != 6 { // XMM and YMM state
		return false, false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	avx2fma = ebx7&(1<<5) != 0
	avx512 = avx2fma && ebx7&(1<<16) != 0 && xcr0&0xe0 == 0xe0 // opmask, ZMM_Hi256, Hi16_ZMM
	return avx2fma, avx512
}

// gemmImpls lists the kernel sets this CPU can run, fastest first.
func gemmImpls() []*gemmImpl {
	avx2fma, avx512 := cpuFeatures()
	var l []*gemmImpl
	if avx512 {
		l = append(l, &avx512Impl)
	}
	if avx2fma {
		l = append(l, &avx2Impl)
	}
	return append(l, &genericImpl)
}
