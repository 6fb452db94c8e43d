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
