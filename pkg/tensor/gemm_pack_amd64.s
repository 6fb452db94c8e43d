//go:build amd64 && !purego

#include "textflag.h"

// func packT4x8(kb int, src *float32, ldb int, dst *float32, ldd int)
//
// Transposes a 4×(8·kb) block of B (rows src, src+ldb, … ; ldb in bytes)
// into 8·kb rows of 4 values at dst, dst+ldd, … (ldd in bytes). AVX only.
TEXT ·packT4x8(SB), NOSPLIT, $0-40
	MOVQ kb+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ldb+16(FP), R8
	MOVQ dst+24(FP), DX
	MOVQ ldd+32(FP), R9
	LEAQ (SI)(R8*2), DI
	ADDQ R8, DI
	LEAQ (R9)(R9*2), R11
	TESTQ CX, CX
	JLE done
loop:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (DI), Y3
	VUNPCKLPS Y1, Y0, Y4
	VUNPCKHPS Y1, Y0, Y5
	VUNPCKLPS Y3, Y2, Y6
	VUNPCKHPS Y3, Y2, Y7
	VUNPCKLPD Y6, Y4, Y8
	VUNPCKHPD Y6, Y4, Y9
	VUNPCKLPD Y7, Y5, Y10
	VUNPCKHPD Y7, Y5, Y11
	LEAQ (DX)(R9*4), BX
	VMOVUPS X8, (DX)
	VMOVUPS X9, (DX)(R9*1)
	VMOVUPS X10, (DX)(R9*2)
	VMOVUPS X11, (DX)(R11*1)
	VEXTRACTF128 $1, Y8, (BX)
	VEXTRACTF128 $1, Y9, (BX)(R9*1)
	VEXTRACTF128 $1, Y10, (BX)(R9*2)
	VEXTRACTF128 $1, Y11, (BX)(R11*1)
	ADDQ $32, SI
	ADDQ $32, DI
	LEAQ (DX)(R9*8), DX
	DECQ CX
	JNZ loop
done:
	VZEROUPPER
	RET

// func packT16x16(kb int, src *float32, ldb int, dst *float32, ldd int)
//
// Transposes a 16×(16·kb) block of B (rows src, src+ldb, …; ldb in bytes)
// into 16·kb rows of 16 values at dst, dst+ldd, … (ldd in bytes), one
// 16×16 tile per iteration: two interleaving passes inside 128-bit lanes
// (unpack ps, then pd) and two lane shuffles, 64 shuffles per 256 values,
// each output row one 64-byte store. AVX-512F only.
TEXT ·packT16x16(SB), NOSPLIT, $0-40
	MOVQ kb+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ldb+16(FP), R8
	MOVQ dst+24(FP), DX
	MOVQ ldd+32(FP), R12
	LEAQ (R8)(R8*2), R9    // 3·ldb
	LEAQ (SI)(R8*4), DI    // row 4
	LEAQ (DI)(R8*4), R10   // row 8
	LEAQ (R10)(R8*4), R11  // row 12
	LEAQ (R12)(R12*2), R13 // 3·ldd
	TESTQ CX, CX
	JLE done16
loop16:
	VMOVUPS (SI), Z0
	VMOVUPS (SI)(R8*1), Z1
	VMOVUPS (SI)(R8*2), Z2
	VMOVUPS (SI)(R9*1), Z3
	VMOVUPS (DI), Z4
	VMOVUPS (DI)(R8*1), Z5
	VMOVUPS (DI)(R8*2), Z6
	VMOVUPS (DI)(R9*1), Z7
	VMOVUPS (R10), Z8
	VMOVUPS (R10)(R8*1), Z9
	VMOVUPS (R10)(R8*2), Z10
	VMOVUPS (R10)(R9*1), Z11
	VMOVUPS (R11), Z12
	VMOVUPS (R11)(R8*1), Z13
	VMOVUPS (R11)(R8*2), Z14
	VMOVUPS (R11)(R9*1), Z15

	// Pass 1: pairs of rows, per lane [a0 b0 a1 b1] and [a2 b2 a3 b3].
	VUNPCKLPS Z1, Z0, Z16
	VUNPCKHPS Z1, Z0, Z17
	VUNPCKLPS Z3, Z2, Z18
	VUNPCKHPS Z3, Z2, Z19
	VUNPCKLPS Z5, Z4, Z20
	VUNPCKHPS Z5, Z4, Z21
	VUNPCKLPS Z7, Z6, Z22
	VUNPCKHPS Z7, Z6, Z23
	VUNPCKLPS Z9, Z8, Z24
	VUNPCKHPS Z9, Z8, Z25
	VUNPCKLPS Z11, Z10, Z26
	VUNPCKHPS Z11, Z10, Z27
	VUNPCKLPS Z13, Z12, Z28
	VUNPCKHPS Z13, Z12, Z29
	VUNPCKLPS Z15, Z14, Z30
	VUNPCKHPS Z15, Z14, Z31

	// Pass 2: four rows, lane L of Zc holding column 4L+c of those rows.
	VUNPCKLPD Z18, Z16, Z0  // rows 0-3, column 4L+0
	VUNPCKHPD Z18, Z16, Z1  // 4L+1
	VUNPCKLPD Z19, Z17, Z2  // 4L+2
	VUNPCKHPD Z19, Z17, Z3  // 4L+3
	VUNPCKLPD Z22, Z20, Z4  // rows 4-7
	VUNPCKHPD Z22, Z20, Z5
	VUNPCKLPD Z23, Z21, Z6
	VUNPCKHPD Z23, Z21, Z7
	VUNPCKLPD Z26, Z24, Z8  // rows 8-11
	VUNPCKHPD Z26, Z24, Z9
	VUNPCKLPD Z27, Z25, Z10
	VUNPCKHPD Z27, Z25, Z11
	VUNPCKLPD Z30, Z28, Z12 // rows 12-15
	VUNPCKHPD Z30, Z28, Z13
	VUNPCKLPD Z31, Z29, Z14
	VUNPCKHPD Z31, Z29, Z15

	// Passes 3 and 4, per column c: lanes (0,2 | 1,3) of rows 0-7 and
	// 8-15, then the four row groups of columns c, c+8 and c+4, c+12.
	VSHUFF32X4 $0x88, Z4, Z0, Z16
	VSHUFF32X4 $0xDD, Z4, Z0, Z17
	VSHUFF32X4 $0x88, Z12, Z8, Z18
	VSHUFF32X4 $0xDD, Z12, Z8, Z19
	VSHUFF32X4 $0x88, Z18, Z16, Z20 // column 0
	VSHUFF32X4 $0xDD, Z18, Z16, Z21 // column 8
	VSHUFF32X4 $0x88, Z19, Z17, Z22 // column 4
	VSHUFF32X4 $0xDD, Z19, Z17, Z23 // column 12

	VSHUFF32X4 $0x88, Z5, Z1, Z16
	VSHUFF32X4 $0xDD, Z5, Z1, Z17
	VSHUFF32X4 $0x88, Z13, Z9, Z18
	VSHUFF32X4 $0xDD, Z13, Z9, Z19
	VSHUFF32X4 $0x88, Z18, Z16, Z24 // column 1
	VSHUFF32X4 $0xDD, Z18, Z16, Z25 // column 9
	VSHUFF32X4 $0x88, Z19, Z17, Z26 // column 5
	VSHUFF32X4 $0xDD, Z19, Z17, Z27 // column 13

	VSHUFF32X4 $0x88, Z6, Z2, Z16
	VSHUFF32X4 $0xDD, Z6, Z2, Z17
	VSHUFF32X4 $0x88, Z14, Z10, Z18
	VSHUFF32X4 $0xDD, Z14, Z10, Z19
	VSHUFF32X4 $0x88, Z18, Z16, Z0  // column 2
	VSHUFF32X4 $0xDD, Z18, Z16, Z1  // column 10
	VSHUFF32X4 $0x88, Z19, Z17, Z4  // column 6
	VSHUFF32X4 $0xDD, Z19, Z17, Z5  // column 14

	VSHUFF32X4 $0x88, Z7, Z3, Z16
	VSHUFF32X4 $0xDD, Z7, Z3, Z17
	VSHUFF32X4 $0x88, Z15, Z11, Z18
	VSHUFF32X4 $0xDD, Z15, Z11, Z19
	VSHUFF32X4 $0x88, Z18, Z16, Z8  // column 3
	VSHUFF32X4 $0xDD, Z18, Z16, Z9  // column 11
	VSHUFF32X4 $0x88, Z19, Z17, Z12 // column 7
	VSHUFF32X4 $0xDD, Z19, Z17, Z13 // column 15

	// Output row p = column p: dst + p·ldd.
	LEAQ (DX)(R12*4), AX  // row 4
	LEAQ (AX)(R12*4), BX  // row 8
	VMOVUPS Z20, (DX)
	VMOVUPS Z24, (DX)(R12*1)
	VMOVUPS Z0, (DX)(R12*2)
	VMOVUPS Z8, (DX)(R13*1)
	VMOVUPS Z22, (AX)
	VMOVUPS Z26, (AX)(R12*1)
	VMOVUPS Z4, (AX)(R12*2)
	VMOVUPS Z12, (AX)(R13*1)
	VMOVUPS Z21, (BX)
	VMOVUPS Z25, (BX)(R12*1)
	VMOVUPS Z1, (BX)(R12*2)
	VMOVUPS Z9, (BX)(R13*1)
	LEAQ (BX)(R12*4), AX  // row 12
	VMOVUPS Z23, (AX)
	VMOVUPS Z27, (AX)(R12*1)
	VMOVUPS Z5, (AX)(R12*2)
	VMOVUPS Z13, (AX)(R13*1)

	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R10
	ADDQ $64, R11
	LEAQ (AX)(R12*4), DX  // next tile: row 16
	DECQ CX
	JNZ loop16
done16:
	VZEROUPPER
	RET
