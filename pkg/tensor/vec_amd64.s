//go:build amd64 && !purego

#include "textflag.h"

// Elementwise and reduction kernels for vec.go, AVX-512F. The float32
// kernels run 16 lanes at a time and finish a row with one masked vector
// (masked-off lanes are neither read nor written, so no access leaves the
// slice). The float64 reductions take n as a multiple of 8; the Go
// wrappers add the last few values.

// TAILMASK sets K1 to the low n%16 bits and leaves n/16 in n. Uses AX, CX.
#define TAILMASK(n) \
	MOVQ n, CX \
	ANDQ $15, CX \
	MOVL $1, AX \
	SHLL CX, AX \
	DECL AX \
	KMOVW AX, K1 \
	SHRQ $4, n

// func addRowsAVX512(dst *float32, dstStride int, src *float32, srcStride int, rows, n int)
//
// dst[r·dstStride+j] += src[r·srcStride+j] for r < rows, j < n (strides in bytes).
TEXT ·addRowsAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ dstStride+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ srcStride+24(FP), R9
	MOVQ rows+32(FP), DX
	MOVQ n+40(FP), BX
	TAILMASK(BX)
	TESTQ DX, DX
	JLE addDone

addRow:
	MOVQ DI, R10
	MOVQ SI, R11
	MOVQ BX, R12
	TESTQ R12, R12
	JZ addTail

addVec:
	VMOVUPS (R11), Z0
	VADDPS (R10), Z0, Z0
	VMOVUPS Z0, (R10)
	ADDQ $64, R10
	ADDQ $64, R11
	DECQ R12
	JNZ addVec

addTail:
	VMOVUPS.Z (R11), K1, Z0
	VMOVUPS.Z (R10), K1, Z1
	VADDPS Z1, Z0, Z0
	VMOVUPS Z0, K1, (R10)
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ DX
	JNZ addRow

addDone:
	VZEROUPPER
	RET

// func addRowsSpread2AVX512(dst *float32, dstStride int, src *float32, srcStride int, rows, n, loadLast, storeLast int)
//
// dst[r·dstStride+2j] += src[r·srcStride+j] for r < rows, j < n (strides in
// bytes): 8 source values at a time spread over the even lanes of 16 (an
// expand), the odd lanes of dst untouched; the last n%8 under loadLast
// (source lanes) and storeLast (destination lanes).
TEXT ·addRowsSpread2AVX512(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ dstStride+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ srcStride+24(FP), R9
	MOVQ rows+32(FP), DX
	MOVQ n+40(FP), BX
	SHRQ $3, BX
	MOVL $0x5555, AX
	KMOVW AX, K3
	MOVQ loadLast+48(FP), AX
	KMOVW AX, K5
	MOVQ storeLast+56(FP), AX
	KMOVW AX, K6
	TESTQ DX, DX
	JLE s2Done

s2Row:
	MOVQ DI, R10
	MOVQ SI, R11
	MOVQ BX, R12
	TESTQ R12, R12
	JZ s2Tail

s2Vec:
	VMOVUPS (R11), Y0
	VEXPANDPS.Z Z0, K3, Z1
	VMOVUPS.Z (R10), K3, Z2
	VADDPS Z2, Z1, Z1
	VMOVUPS Z1, K3, (R10)
	ADDQ $64, R10
	ADDQ $32, R11
	DECQ R12
	JNZ s2Vec

s2Tail:
	VMOVUPS.Z (R11), K5, Y0
	VEXPANDPS.Z Z0, K3, Z1
	VMOVUPS.Z (R10), K6, Z2
	VADDPS Z2, Z1, Z1
	VMOVUPS Z1, K6, (R10)
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ DX
	JNZ s2Row

s2Done:
	VZEROUPPER
	RET

// func reluAVX512(dst, x *float32, n int)
//
// dst[i] = max(x[i], 0); a NaN stays NaN.
TEXT ·reluAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), BX
	TAILMASK(BX)
	VPXORD Z7, Z7, Z7
	TESTQ BX, BX
	JZ reluTail

reluVec:
	VMAXPS (SI), Z7, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ BX
	JNZ reluVec

reluTail:
	VMOVUPS.Z (SI), K1, Z0
	VMAXPS Z0, Z7, Z0
	VMOVUPS Z0, K1, (DI)
	VZEROUPPER
	RET

// func reluGradAVX512(dst, dy, x *float32, n int)
//
// dst[i] = dy[i] where x[i] > 0, else 0.
TEXT ·reluGradAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ dy+8(FP), DX
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), BX
	TAILMASK(BX)
	VPXORD Z7, Z7, Z7
	TESTQ BX, BX
	JZ rgTail

rgVec:
	VMOVUPS (SI), Z0
	VCMPPS $0x1e, Z7, Z0, K2
	VMOVUPS.Z (DX), K2, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	DECQ BX
	JNZ rgVec

rgTail:
	VMOVUPS.Z (SI), K1, Z0
	VCMPPS $0x1e, Z7, Z0, K2
	KANDW K1, K2, K2
	VMOVUPS.Z (DX), K2, Z1
	VMOVUPS Z1, K1, (DI)
	VZEROUPPER
	RET

// func scaleShiftAVX512(dst, x *float32, n int, a, c float32)
//
// dst[i] = a·x[i] + c (one fused multiply-add).
TEXT ·scaleShiftAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), BX
	VBROADCASTSS a+24(FP), Z5
	VBROADCASTSS c+28(FP), Z6
	TAILMASK(BX)
	TESTQ BX, BX
	JZ ssTail

ssVec:
	VMOVUPS (SI), Z0
	VFMADD213PS Z6, Z5, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ BX
	JNZ ssVec

ssTail:
	VMOVUPS.Z (SI), K1, Z0
	VFMADD213PS Z6, Z5, Z0
	VMOVUPS Z0, K1, (DI)
	VZEROUPPER
	RET

// func linComb2AVX512(dst, x, y *float32, n int, a, b, c float32)
//
// dst[i] = (a·x[i] + c) + b·y[i] (two fused multiply-adds, in that order).
TEXT ·linComb2AVX512(SB), NOSPLIT, $0-44
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), BX
	VBROADCASTSS a+32(FP), Z4
	VBROADCASTSS b+36(FP), Z5
	VBROADCASTSS c+40(FP), Z6
	TAILMASK(BX)
	TESTQ BX, BX
	JZ lcTail

lcVec:
	VMOVUPS (SI), Z0
	VMOVUPS (DX), Z1
	VFMADD213PS Z6, Z4, Z0
	VFMADD231PS Z5, Z1, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	DECQ BX
	JNZ lcVec

lcTail:
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DX), K1, Z1
	VFMADD213PS Z6, Z4, Z0
	VFMADD231PS Z5, Z1, Z0
	VMOVUPS Z0, K1, (DI)
	VZEROUPPER
	RET

// REDUCE8 sums the 8 doubles of Z(r) into X(r) (clobbers Y(t)/X(t)).
#define REDUCE8(zr, yr, xr, yt, xt) \
	VEXTRACTF64X4 $1, zr, yt \
	VADDPD yt, yr, yr \
	VEXTRACTF128 $1, yr, xt \
	VADDPD xt, xr, xr \
	VPERMILPD $1, xr, xt \
	VADDSD xt, xr, xr

// The float64 reductions keep two sets of four 8-lane accumulators, the
// sums in Z8–Z11 and the second sums (squares or products) in Z12–Z15.
// ZEROPAIRS clears them; REDUCEPAIRS adds each set pairwise, (0+1)+(2+3),
// and its 8 lanes by halves, into X8 and X12 (clobbers Y0, Y1).
#define ZEROPAIRS \
	VPXORQ Z8, Z8, Z8 \
	VPXORQ Z9, Z9, Z9 \
	VPXORQ Z10, Z10, Z10 \
	VPXORQ Z11, Z11, Z11 \
	VPXORQ Z12, Z12, Z12 \
	VPXORQ Z13, Z13, Z13 \
	VPXORQ Z14, Z14, Z14 \
	VPXORQ Z15, Z15, Z15

#define REDUCEPAIRS \
	VADDPD Z9, Z8, Z8 \
	VADDPD Z11, Z10, Z10 \
	VADDPD Z10, Z8, Z8 \
	VADDPD Z13, Z12, Z12 \
	VADDPD Z15, Z14, Z14 \
	VADDPD Z14, Z12, Z12 \
	REDUCE8(Z8, Y8, X8, Y0, X0) \
	REDUCE8(Z12, Y12, X12, Y1, X1)

// func sumSquaresAVX512(x *float32, n int) (sum, sumSq float64)
//
// Σx and Σx² in float64 over n values, n a multiple of 8: four pairs of
// 8-lane accumulators over blocks of 32, then one pair over blocks of 8.
TEXT ·sumSquaresAVX512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), BX
	ZEROPAIRS
	MOVQ BX, CX
	SHRQ $5, CX
	JZ sq8

sq32:
	VCVTPS2PD (SI), Z0
	VCVTPS2PD 32(SI), Z1
	VCVTPS2PD 64(SI), Z2
	VCVTPS2PD 96(SI), Z3
	VADDPD Z0, Z8, Z8
	VADDPD Z1, Z9, Z9
	VADDPD Z2, Z10, Z10
	VADDPD Z3, Z11, Z11
	VFMADD231PD Z0, Z0, Z12
	VFMADD231PD Z1, Z1, Z13
	VFMADD231PD Z2, Z2, Z14
	VFMADD231PD Z3, Z3, Z15
	ADDQ $128, SI
	DECQ CX
	JNZ sq32

sq8:
	ANDQ $31, BX
	SHRQ $3, BX
	JZ sqDone

sq8Loop:
	VCVTPS2PD (SI), Z0
	VADDPD Z0, Z8, Z8
	VFMADD231PD Z0, Z0, Z12
	ADDQ $32, SI
	DECQ BX
	JNZ sq8Loop

sqDone:
	REDUCEPAIRS
	MOVSD X8, sum+16(FP)
	MOVSD X12, sumSq+24(FP)
	VZEROUPPER
	RET

// SGDBODY updates 16 lanes under mask km (K3: all, K1: the tail) at
// SI (w), DX (g), R8 (b): g' = wd·w + g (if R9 ≠ 0), b = damp·g' + mu·b,
// u = mu·b + g' (if R10 ≠ 0, else u = b), w = −eta·u + w; every multiply-add
// fused, the product mu·b rounded first.
#define SGDBODY(km) \
	VMOVUPS.Z (DX), km, Z0 \
	VMOVUPS.Z (SI), km, Z1 \
	VMOVUPS.Z (R8), km, Z2 \
	TESTQ R9, R9 \
	JZ 2(PC) \
	VFMADD231PS Z1, Z4, Z0 \
	VMULPS Z5, Z2, Z2 \
	VFMADD231PS Z6, Z0, Z2 \
	VMOVUPS Z2, km, (R8) \
	VMOVAPS Z2, Z3 \
	TESTQ R10, R10 \
	JZ 2(PC) \
	VFMADD213PS Z0, Z5, Z3 \
	VFMADD231PS Z7, Z3, Z1 \
	VMOVUPS Z1, km, (SI)

// func sgdMomentumAVX512(w, grad, b *float32, n int, wd, negEta, mu, damp float32, decay, nesterov int)
//
// The SGD momentum step after the first (see tensor.SGDMomentum).
TEXT ·sgdMomentumAVX512(SB), NOSPLIT, $0-64
	MOVQ w+0(FP), SI
	MOVQ grad+8(FP), DX
	MOVQ b+16(FP), R8
	MOVQ n+24(FP), BX
	VBROADCASTSS wd+32(FP), Z4
	VBROADCASTSS negEta+36(FP), Z7
	VBROADCASTSS mu+40(FP), Z5
	VBROADCASTSS damp+44(FP), Z6
	MOVQ decay+48(FP), R9
	MOVQ nesterov+56(FP), R10
	TAILMASK(BX)
	KXNORW K3, K3, K3
	TESTQ BX, BX
	JZ sgdTail

sgdVec:
	SGDBODY(K3)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, R8
	DECQ BX
	JNZ sgdVec

sgdTail:
	SGDBODY(K1)
	VZEROUPPER
	RET

// func fmaAVX512(dst, x *float32, n int, a float32, y *float32)
//
// dst[i] = a·x[i] + y[i], fused.
TEXT ·fmaAVX512(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), BX
	VBROADCASTSS a+24(FP), Z5
	MOVQ y+32(FP), DX
	TAILMASK(BX)
	TESTQ BX, BX
	JZ fmaTail

fmaVec:
	VMOVUPS (DX), Z0
	VFMADD231PS (SI), Z5, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	DECQ BX
	JNZ fmaVec

fmaTail:
	VMOVUPS.Z (DX), K1, Z0
	VMOVUPS.Z (SI), K1, Z1
	VFMADD231PS Z1, Z5, Z0
	VMOVUPS Z0, K1, (DI)
	VZEROUPPER
	RET

// ZEROF zeroes cnt/16 vectors (in register vec, clobbered) and then the
// masked tail km at ptr (advanced past the whole vectors), Z7 = 0.
#define ZEROF(ptr, vec, km, lbl, lblTail) \
	TESTQ vec, vec \
	JZ lblTail \
lbl: \
	VMOVUPS Z7, (ptr) \
	ADDQ $64, ptr \
	DECQ vec \
	JNZ lbl \
lblTail: \
	VMOVUPS Z7, km, (ptr)

// func padPlanesAVX512(dst *float32, dstPlane int, src *float32, srcPlane int, planes, head, rows, dstRow, srcRow, lead, n, width, tail, colStride, s2lo, s2hi int)
//
// For each of planes planes (dst and src advanced by dstPlane and srcPlane
// bytes): head zeros, then rows rows of width values (dstRow bytes apart)
// each lead zeros, n values from src (rows srcRow bytes apart, values
// colStride floats apart), zeros; then tail zeros. head, lead, n, width and
// tail count floats. colStride 2 loads 32 consecutive values per 16 and
// keeps the even ones (a permute); s2lo and s2hi are then the load masks of
// the two halves for the last n%16 values (the 2·(n%16)−1 values they
// span). Larger strides gather.
TEXT ·padPlanesAVX512(SB), NOSPLIT, $0-128
	MOVQ n+80(FP), BX
	TAILMASK(BX)
	KMOVW K1, K6
	MOVQ width+88(FP), BX
	TAILMASK(BX)
	KMOVW K1, K2
	MOVQ head+40(FP), BX
	TAILMASK(BX)
	KMOVW K1, K4
	MOVQ tail+96(FP), BX
	TAILMASK(BX)
	KMOVW K1, K5
	KMOVW K6, K1
	// Rows need only their lead zeros (K6) and trailing zeros (K7, from
	// byte R13 = 4·(lead+n)) written when both fit one vector (R14 = 1);
	// otherwise the whole row is zeroed first (R14 = 0).
	MOVQ lead+72(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K6
	MOVQ lead+72(FP), R13
	ADDQ n+80(FP), R13
	MOVQ width+88(FP), CX
	SUBQ R13, CX
	XORQ R14, R14
	CMPQ CX, $16
	JGT ppSlow
	CMPQ lead+72(FP), $16
	JGT ppSlow
	MOVQ $1, R14
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K7

ppSlow:
	SHLQ $2, R13
	MOVQ n+80(FP), BX
	SHRQ $4, BX
	VPXORD Z7, Z7, Z7
	// Z6 = colStride·[0, 1, …, 15] (gather indices); R9 = 64·colStride bytes
	MOVQ colStride+104(FP), R9
	VPBROADCASTD R9, Z6
	VPMULLD iota16<>(SB), Z6, Z6
	SHLQ $6, R9
	MOVQ dst+0(FP), DI
	MOVQ src+16(FP), SI
	MOVQ planes+32(FP), DX
	TESTQ DX, DX
	JLE ppDone

ppPlane:
	MOVQ DI, R10
	MOVQ head+40(FP), R12
	SHRQ $4, R12
	ZEROF(R10, R12, K4, ppHead, ppHeadTail)
	MOVQ head+40(FP), AX
	LEAQ (DI)(AX*4), R10
	MOVQ SI, R11
	MOVQ rows+48(FP), CX
	TESTQ CX, CX
	JLE ppRowsDone

ppRow:
	TESTQ R14, R14
	JZ ppRowFull
	VMOVUPS Z7, K6, (R10)
	VMOVUPS Z7, K7, (R10)(R13*1)
	JMP ppRowCopy

ppRowFull:
	MOVQ R10, AX
	MOVQ width+88(FP), R12
	SHRQ $4, R12
	ZEROF(AX, R12, K2, ppRowZero, ppRowZeroTail)

ppRowCopy:
	MOVQ lead+72(FP), AX
	LEAQ (R10)(AX*4), AX
	MOVQ R11, R8
	MOVQ BX, R12
	CMPQ R9, $64
	JNE ppStrided
	TESTQ R12, R12
	JZ ppCopyTail

ppCopy:
	VMOVUPS (R8), Z0
	VMOVUPS Z0, (AX)
	ADDQ $64, R8
	ADDQ $64, AX
	DECQ R12
	JNZ ppCopy

ppCopyTail:
	VMOVUPS.Z (R8), K1, Z0
	VMOVUPS Z0, K1, (AX)
	JMP ppNextRow

ppStrided:
	CMPQ R9, $128
	JNE ppGather
	TESTQ R12, R12
	JZ ppS2Tail
	// Z6 = [0, 2, …, 30] (the gather indices for colStride 2) selects the
	// even values of the 32 in Z0:Z1; the 32nd is never needed (K3).
	MOVL $0x7fff, R8
	KMOVW R8, K3
	MOVQ R11, R8

ppS2Vec:
	VMOVUPS (R8), Z0
	VMOVUPS.Z 64(R8), K3, Z1
	VPERMT2PS Z1, Z6, Z0
	VMOVUPS Z0, (AX)
	ADDQ $128, R8
	ADDQ $64, AX
	DECQ R12
	JNZ ppS2Vec

ppS2Tail:
	MOVQ s2lo+112(FP), R12
	KMOVW R12, K3
	VMOVUPS.Z (R8), K3, Z0
	MOVQ s2hi+120(FP), R12
	KMOVW R12, K3
	VMOVUPS.Z 64(R8), K3, Z1
	VPERMT2PS Z1, Z6, Z0
	VMOVUPS Z0, K1, (AX)
	JMP ppNextRow

ppGather:
	TESTQ R12, R12
	JZ ppGatherTail

ppGatherVec:
	KXNORW K3, K3, K3
	VGATHERDPS (R8)(Z6*4), K3, Z0
	VMOVUPS Z0, (AX)
	ADDQ R9, R8
	ADDQ $64, AX
	DECQ R12
	JNZ ppGatherVec

ppGatherTail:
	KMOVW K1, K3
	VPXORD Z0, Z0, Z0
	VGATHERDPS (R8)(Z6*4), K3, Z0
	VMOVUPS Z0, K1, (AX)

ppNextRow:
	ADDQ dstRow+56(FP), R10
	ADDQ srcRow+64(FP), R11
	DECQ CX
	JNZ ppRow

ppRowsDone:
	MOVQ tail+96(FP), R12
	SHRQ $4, R12
	ZEROF(R10, R12, K5, ppTail, ppTailTail)
	ADDQ dstPlane+8(FP), DI
	ADDQ srcPlane+24(FP), SI
	DECQ DX
	JNZ ppPlane

ppDone:
	VZEROUPPER
	RET

// iota16 is 0, 1, …, 15 as int32.
DATA iota16<>+0(SB)/4, $0
DATA iota16<>+4(SB)/4, $1
DATA iota16<>+8(SB)/4, $2
DATA iota16<>+12(SB)/4, $3
DATA iota16<>+16(SB)/4, $4
DATA iota16<>+20(SB)/4, $5
DATA iota16<>+24(SB)/4, $6
DATA iota16<>+28(SB)/4, $7
DATA iota16<>+32(SB)/4, $8
DATA iota16<>+36(SB)/4, $9
DATA iota16<>+40(SB)/4, $10
DATA iota16<>+44(SB)/4, $11
DATA iota16<>+48(SB)/4, $12
DATA iota16<>+52(SB)/4, $13
DATA iota16<>+56(SB)/4, $14
DATA iota16<>+60(SB)/4, $15
GLOBL iota16<>(SB), RODATA|NOPTR, $64

// func normAffineAVX512(y, x *float32, n int, s, t, gamma, beta float32, relu int)
//
// y[i] = g·(s·x[i] + t) + b (two fused multiply-adds: x̂ = s·x + t, then
// g·x̂ + b), then y[i] = max(y[i], 0) if relu ≠ 0 (a NaN stays NaN): batch
// norm's forward pass, with the relu that follows it fused.
TEXT ·normAffineAVX512(SB), NOSPLIT, $0-48
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), BX
	VBROADCASTSS s+24(FP), Z4
	VBROADCASTSS t+28(FP), Z5
	VBROADCASTSS gamma+32(FP), Z6
	VBROADCASTSS beta+36(FP), Z7
	MOVQ relu+40(FP), R9
	VPXORD Z8, Z8, Z8
	TAILMASK(BX)
	TESTQ BX, BX
	JZ naTail

naVec:
	VMOVUPS (SI), Z0
	VFMADD213PS Z5, Z4, Z0
	VMOVAPS Z7, Z1
	VFMADD231PS Z6, Z0, Z1
	TESTQ R9, R9
	JZ naStore
	VMAXPS Z1, Z8, Z1

naStore:
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ BX
	JNZ naVec

naTail:
	VMOVUPS.Z (SI), K1, Z0
	VFMADD213PS Z5, Z4, Z0
	VMOVAPS Z7, Z1
	VFMADD231PS Z6, Z0, Z1
	TESTQ R9, R9
	JZ naTailStore
	VMAXPS Z1, Z8, Z1

naTailStore:
	VMOVUPS Z1, K1, (DI)
	VZEROUPPER
	RET

// NORMMASK8 loads the 8 values x at off(DX), sets Z(hd) to x̂ = s·x + t as
// float64 (Z26: s, Z27: t) and Z(gd) to dy at off(SI) as float64 where the
// fused relu passes the gradient, g·x̂ + b > 0 (Z30: g, Z31: b), or
// everywhere without it (K3 all set), and 0 elsewhere. Uses Y16, Y17, K2.
#define NORMMASK8(off, gd, hd) \
	VMOVUPS off(DX), Y16 \
	VFMADD213PS Y27, Y26, Y16 \
	VCVTPS2PD Y16, hd \
	VMOVAPS Y31, Y17 \
	VFMADD231PS Y30, Y16, Y17 \
	VCMPPS $0x1e, Y29, Y17, K2 \
	KORW K3, K2, K2 \
	VCVTPS2PD.Z off(SI), K2, gd

// func sumDotNormAVX512(dy, x *float32, n int, s, t, gamma, beta float32, relu int) (sum, dot float64)
//
// Σdy' and Σdy'·x̂ in float64 over n values, n a multiple of 8, summed like
// sumDotAVX512, where x̂ = s·x + t and dy' is dy, masked to where
// g·x̂ + b > 0 if relu ≠ 0.
TEXT ·sumDotNormAVX512(SB), NOSPLIT, $0-64
	MOVQ dy+0(FP), SI
	MOVQ x+8(FP), DX
	MOVQ n+16(FP), BX
	VBROADCASTSS s+24(FP), Z26
	VBROADCASTSS t+28(FP), Z27
	VBROADCASTSS gamma+32(FP), Z30
	VBROADCASTSS beta+36(FP), Z31
	// K3: every lane without the relu, none with it (the compare decides).
	MOVL $0xff, AX
	MOVQ relu+40(FP), CX
	TESTQ CX, CX
	JZ sdnMask
	XORL AX, AX

sdnMask:
	KMOVW AX, K3
	VPXORD Z29, Z29, Z29
	ZEROPAIRS
	MOVQ BX, CX
	SHRQ $5, CX
	JZ sdn8

sdn32:
	NORMMASK8(0, Z0, Z4)
	NORMMASK8(32, Z1, Z5)
	NORMMASK8(64, Z2, Z6)
	NORMMASK8(96, Z3, Z7)
	VADDPD Z0, Z8, Z8
	VADDPD Z1, Z9, Z9
	VADDPD Z2, Z10, Z10
	VADDPD Z3, Z11, Z11
	VFMADD231PD Z4, Z0, Z12
	VFMADD231PD Z5, Z1, Z13
	VFMADD231PD Z6, Z2, Z14
	VFMADD231PD Z7, Z3, Z15
	ADDQ $128, SI
	ADDQ $128, DX
	DECQ CX
	JNZ sdn32

sdn8:
	ANDQ $31, BX
	SHRQ $3, BX
	JZ sdnDone

sdn8Loop:
	NORMMASK8(0, Z0, Z4)
	VADDPD Z0, Z8, Z8
	VFMADD231PD Z4, Z0, Z12
	ADDQ $32, SI
	ADDQ $32, DX
	DECQ BX
	JNZ sdn8Loop

sdnDone:
	REDUCEPAIRS
	MOVSD X8, sum+48(FP)
	MOVSD X12, dot+56(FP)
	VZEROUPPER
	RET

// func linComb2NormAVX512(dst, dy, x *float32, n int, a, bc, c, s, t, gamma, beta float32, relu int)
//
// dst[i] = (a·dy'[i] + c) + bc·x̂[i] (fused multiply-adds, in that order),
// x̂ = s·x + t and dy' = dy, masked to where g·x̂ + b > 0 if relu ≠ 0:
// batch norm's input gradient, through the relu fused after it.
TEXT ·linComb2NormAVX512(SB), NOSPLIT, $0-72
	MOVQ dst+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ n+24(FP), BX
	VBROADCASTSS a+32(FP), Z4
	VBROADCASTSS bc+36(FP), Z5
	VBROADCASTSS c+40(FP), Z6
	VBROADCASTSS s+44(FP), Z10
	VBROADCASTSS t+48(FP), Z11
	VBROADCASTSS gamma+52(FP), Z7
	VBROADCASTSS beta+56(FP), Z8
	MOVL $0xffff, AX
	MOVQ relu+64(FP), CX
	TESTQ CX, CX
	JZ lnMask
	XORL AX, AX

lnMask:
	KMOVW AX, K3
	VPXORD Z9, Z9, Z9
	TAILMASK(BX)
	TESTQ BX, BX
	JZ lnTail

lnVec:
	VMOVUPS (DX), Z1
	VFMADD213PS Z11, Z10, Z1
	VMOVAPS Z8, Z2
	VFMADD231PS Z7, Z1, Z2
	VCMPPS $0x1e, Z9, Z2, K2
	KORW K3, K2, K2
	VMOVUPS.Z (SI), K2, Z0
	VFMADD213PS Z6, Z4, Z0
	VFMADD231PS Z5, Z1, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	DECQ BX
	JNZ lnVec

lnTail:
	VMOVUPS.Z (DX), K1, Z1
	VFMADD213PS Z11, Z10, Z1
	VMOVAPS Z8, Z2
	VFMADD231PS Z7, Z1, Z2
	VCMPPS $0x1e, Z9, Z2, K2
	KORW K3, K2, K2
	KANDW K1, K2, K2
	VMOVUPS.Z (SI), K2, Z0
	VFMADD213PS Z6, Z4, Z0
	VFMADD231PS Z5, Z1, Z0
	VMOVUPS Z0, K1, (DI)
	VZEROUPPER
	RET

// func shiftPlanesAVX512(dst *float32, dstPlane int, src *float32, srcPlane, planes, shift int, valid *uint16, nvec, lastMask int)
//
// For each of planes planes (dst and src advanced by dstPlane and srcPlane
// bytes): dst[p] = src[p + shift] where bit p%16 of valid[p/16] is set,
// else 0, for the nvec·16 values p, the last vector stored under lastMask.
// Unset lanes are not read, so shift may reach outside src there.
TEXT ·shiftPlanesAVX512(SB), NOSPLIT, $0-72
	MOVQ dst+0(FP), DI
	MOVQ src+16(FP), SI
	MOVQ shift+40(FP), AX
	LEAQ (SI)(AX*4), SI
	MOVQ planes+32(FP), DX
	MOVQ lastMask+64(FP), AX
	KMOVW AX, K1
	TESTQ DX, DX
	JLE spDone

spPlane:
	MOVQ DI, R8
	MOVQ SI, R9
	MOVQ valid+48(FP), R10
	MOVQ nvec+56(FP), BX
	DECQ BX
	JZ spLast

spVec:
	KMOVW (R10), K2
	VMOVUPS.Z (R9), K2, Z0
	VMOVUPS Z0, (R8)
	ADDQ $2, R10
	ADDQ $64, R9
	ADDQ $64, R8
	DECQ BX
	JNZ spVec

spLast:
	KMOVW (R10), K2
	VMOVUPS.Z (R9), K2, Z0
	VMOVUPS Z0, K1, (R8)
	ADDQ dstPlane+8(FP), DI
	ADDQ srcPlane+24(FP), SI
	DECQ DX
	JNZ spPlane

spDone:
	VZEROUPPER
	RET

// func allFiniteAVX512(x *float32, n int) bool
//
// Whether no x[i] is a NaN or an infinity: the largest exponent field
// (bits 23-30) over the values, kept as unsigned maxima in four
// accumulators over blocks of 64 values, then one over vectors of 16 and
// the masked tail, is all ones only if some value is not finite.
TEXT ·allFiniteAVX512(SB), NOSPLIT, $0-17
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), BX
	MOVL $0x7f800000, AX
	VPBROADCASTD AX, Z4
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	MOVQ BX, DX
	SHRQ $6, DX
	JZ fin16

fin64:
	VPANDD (SI), Z4, Z0
	VPANDD 64(SI), Z4, Z1
	VPANDD 128(SI), Z4, Z2
	VPANDD 192(SI), Z4, Z3
	VPMAXUD Z0, Z8, Z8
	VPMAXUD Z1, Z9, Z9
	VPMAXUD Z2, Z10, Z10
	VPMAXUD Z3, Z11, Z11
	ADDQ $256, SI
	DECQ DX
	JNZ fin64

fin16:
	ANDQ $63, BX
	TAILMASK(BX)
	TESTQ BX, BX
	JZ finTail

fin16Loop:
	VPANDD (SI), Z4, Z0
	VPMAXUD Z0, Z8, Z8
	ADDQ $64, SI
	DECQ BX
	JNZ fin16Loop

finTail:
	VMOVDQU32.Z (SI), K1, Z0
	VPANDD Z0, Z4, Z0
	VPMAXUD Z0, Z8, Z8
	VPMAXUD Z9, Z8, Z8
	VPMAXUD Z11, Z10, Z10
	VPMAXUD Z10, Z8, Z8
	VPCMPEQD Z4, Z8, K2
	KORTESTW K2, K2
	SETEQ ret+16(FP)
	VZEROUPPER
	RET
