package rng

import (
	"math/rand/v2"
	"testing"
)

func TestReseedMatchesNew(t *testing.T) {
	var p rand.PCG
	r := rand.New(&p)
	for _, idx := range [][]uint64{nil, {3}, {3, 9}} {
		Reseed(&p, 42, Dropout, idx...)
		want := New(42, Dropout, idx...)
		for i := 0; i < 5; i++ {
			if a, b := r.Uint64(), want.Uint64(); a != b {
				t.Fatalf("indices %v draw %d: %x, want %x", idx, i, a, b)
			}
		}
	}
	if n := testing.AllocsPerRun(10, func() { Reseed(&p, 1, Dropout, 7, 8) }); n != 0 {
		t.Fatalf("Reseed allocates %v times", n)
	}
}

func TestStreamsAreReproducibleAndDistinct(t *testing.T) {
	draw := func(seed uint64, s Stream, idx ...uint64) [4]uint64 {
		r := New(seed, s, idx...)
		return [4]uint64{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
	}
	if draw(1, Init) != draw(1, Init) {
		t.Fatal("same arguments must give the same stream")
	}
	distinct := [][4]uint64{
		draw(1, Init), draw(2, Init), draw(1, Shuffle), draw(1, Shuffle, 0), draw(1, Shuffle, 1), draw(1, Augment, 0, 1), draw(1, Augment, 1, 0),
	}
	for i := range distinct {
		for j := i + 1; j < len(distinct); j++ {
			if distinct[i] == distinct[j] {
				t.Fatalf("streams %d and %d coincide", i, j)
			}
		}
	}
}
