package run

import "testing"

func TestPeakMemoryIsPlausible(t *testing.T) {
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	if p := peakMemory(); p < 64<<20 || p > 1<<40 {
		t.Fatalf("peak memory %d bytes after touching 64 MiB", p)
	}
	_ = buf[len(buf)-1]
}
