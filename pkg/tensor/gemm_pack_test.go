package tensor

import (
	"fmt"
	"testing"
)

// TestPackPanelTransposed checks the transposed packing of B (the 16-row
// AVX-512 tiles, the 4-row AVX blocks and the scalar rest) value by value
// against its definition, op(B)[p][q] = B[j+q][p0+p], with the padding
// columns zeroed, over widths and depths around every block edge.
func TestPackPanelTransposed(t *testing.T) {
	for _, w := range []int{1, 3, 4, 15, 16, 17, 20, 33, 48, 64} {
		for _, kc := range []int{1, 7, 8, 15, 16, 17, 31, 40, 64} {
			t.Run(fmt.Sprintf("w=%d/kc=%d", w, kc), func(t *testing.T) {
				const j, p0 = 3, 5
				ldb := p0 + kc + 2
				b := make([]float32, (j+w)*ldb)
				for i := range b {
					b[i] = float32(i + 1)
				}
				wp := (w + 15) / 16 * 16
				bp := make([]float32, kc*wp)
				for i := range bp {
					bp[i] = -1 // must all be overwritten
				}
				g := gemmArgs{transB: true, b: b, ldb: ldb}
				g.packPanel(bp, p0, kc, j, w, wp)
				for p := 0; p < kc; p++ {
					for q := 0; q < wp; q++ {
						want := float32(0)
						if q < w {
							want = b[(j+q)*ldb+p0+p]
						}
						if got := bp[p*wp+q]; got != want {
							t.Fatalf("bp[%d][%d] = %v, want %v", p, q, got, want)
						}
					}
				}
			})
		}
	}
}
