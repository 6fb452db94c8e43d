package rng

import "testing"

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
