package tboard

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkHistogram builds a 30-bucket histogram of 1e6 values and writes it.
func BenchmarkHistogram(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	values := make([]float32, 1_000_000)
	for i := range values {
		values[i] = float32(r.NormFloat64())
	}
	w, err := Create(b.TempDir(), Options{Hostname: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	b.SetBytes(int64(4 * len(values)))
	for i := 0; b.Loop(); i++ {
		if err := w.Histogram("w", int64(i), NewHisto(values, 30)); err != nil {
			b.Fatal(err)
		}
	}
}
