package augment

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nettrain/nettrain/pkg/rng"
)

// ramp returns a (c,h,w) image whose value at (ch,y,x) is
// (ch·h·w + y·w + x + 1)/(c·h·w + 1): distinct, in (0,1), exact in float32
// comparisons since every op under test copies or blends them.
func ramp(c, h, w int) Image {
	m := Image{C: c, H: h, W: w, Pix: make([]float32, c*h*w)}
	for i := range m.Pix {
		m.Pix[i] = float32(i+1) / float32(c*h*w+1)
	}
	return m
}

// noisy returns a (c,h,w) image of U[0,1) values drawn from seed.
func noisy(c, h, w int, seed uint64) Image {
	r := rng.New(seed, rng.Sample)
	m := Image{C: c, H: h, W: w, Pix: make([]float32, c*h*w)}
	for i := range m.Pix {
		m.Pix[i] = r.Float32()
	}
	return m
}

// at returns the value of m at (c,y,x).
func at(m Image, c, y, x int) float32 { return m.Pix[(c*m.H+y)*m.W+x] }

// testRand returns a fresh deterministic generator for tests.
func testRand(i uint64) *rand.Rand { return rng.New(99, rng.Augment, 0, i) }

// sameBits reports whether a and b are identical bit for bit.
func sameBits(a, b Image) bool {
	if a.C != b.C || a.H != b.H || a.W != b.W || len(a.Pix) != len(b.Pix) {
		return false
	}
	for i := range a.Pix {
		if math.Float32bits(a.Pix[i]) != math.Float32bits(b.Pix[i]) {
			return false
		}
	}
	return true
}

// requireClose fails t unless a and b have the same shape and values
// within tol.
func requireClose(t *testing.T, name string, got, want Image, tol float64) {
	t.Helper()
	if got.C != want.C || got.H != want.H || got.W != want.W {
		t.Fatalf("%s: shape (%d,%d,%d), want (%d,%d,%d)", name, got.C, got.H, got.W, want.C, want.H, want.W)
	}
	for i := range got.Pix {
		if d := math.Abs(float64(got.Pix[i] - want.Pix[i])); !(d <= tol) {
			t.Fatalf("%s: value %d = %g, want %g (tol %g)\ngot  %v\nwant %v", name, i, got.Pix[i], want.Pix[i], tol, got.Pix, want.Pix)
		}
	}
}

// build returns an image from rows of values for each channel.
func build(channels ...[][]float32) Image {
	m := Image{C: len(channels), H: len(channels[0]), W: len(channels[0][0])}
	for _, ch := range channels {
		for _, row := range ch {
			m.Pix = append(m.Pix, row...)
		}
	}
	return m
}
