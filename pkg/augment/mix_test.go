package augment

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nettrain/nettrain/pkg/rng"

	"gonum.org/v1/gonum/stat/distuv"
)

// TestBeta checks the sampler's mean and variance against gonum's closed
// forms, and its determinism.
func TestBeta(t *testing.T) {
	for _, ab := range [][2]float64{{0.2, 0.2}, {1, 1}, {0.4, 2}, {5, 3}} {
		r := testRand(1)
		const n = 40000
		var s, s2 float64
		for range n {
			v := Beta(r, ab[0], ab[1])
			if !(v >= 0 && v <= 1) {
				t.Fatalf("Beta%v drew %g", ab, v)
			}
			s += v
			s2 += v * v
		}
		mean, vr := s/n, s2/n-(s/n)*(s/n)
		d := distuv.Beta{Alpha: ab[0], Beta: ab[1]}
		if math.Abs(mean-d.Mean()) > 0.01 || math.Abs(vr-d.Variance()) > 0.01 {
			t.Fatalf("Beta%v: mean %g var %g, want %g, %g", ab, mean, vr, d.Mean(), d.Variance())
		}
	}
	a, b := testRand(3), testRand(3)
	for range 100 {
		if Beta(a, 0.3, 0.3) != Beta(b, 0.3, 0.3) {
			t.Fatal("Beta is not deterministic")
		}
	}
	if v := Beta(testRand(0), 1e-300, 1e-300); v != 0 && v != 1 {
		t.Fatalf("Beta with underflowing gammas = %g, want 0 or 1", v)
	}
}

// batch returns n examples of shape (c,h,w), example i filled with the
// constant (i+1)/(n+1), and labels i mod classes.
func batch(n, c, h, w, classes int) ([]float32, []int32) {
	f := c * h * w
	x := make([]float32, n*f)
	y := make([]int32, n)
	for i := range n {
		for k := range f {
			x[i*f+k] = float32(i+1) / float32(n+1)
		}
		y[i] = int32(i % classes)
	}
	return x, y
}

func TestMixup(t *testing.T) {
	const n, c, h, w, classes = 6, 2, 3, 4, 5
	for seed := range uint64(10) {
		x, y := batch(n, c, h, w, classes)
		orig := append([]float32(nil), x...)
		soft := make([]float32, n*classes)
		lam := Mixup(x, y, n, c, h, w, classes, 0.4, MixRand(seed, 1, 2), soft)
		// Replay the draws: λ, then the permutation.
		r := MixRand(seed, 1, 2)
		if l := Beta(r, 0.4, 0.4); l != lam {
			t.Fatalf("λ = %g, replay %g", lam, l)
		}
		perm := r.Perm(n)
		f := c * h * w
		for i := range n {
			var sum float64
			for k := range classes {
				sum += float64(soft[i*classes+k])
			}
			if math.Abs(sum-1) > 1e-6 {
				t.Fatalf("soft row %d sums to %g", i, sum)
			}
			want := make([]float64, classes)
			want[y[i]] += lam
			want[y[perm[i]]] += 1 - lam
			for k := range classes {
				if math.Abs(float64(soft[i*classes+k])-want[k]) > 1e-6 {
					t.Fatalf("soft[%d] = %v, want %v", i, soft[i*classes:(i+1)*classes], want)
				}
			}
			for k := range f {
				v := lam*float64(orig[i*f+k]) + (1-lam)*float64(orig[perm[i]*f+k])
				if math.Abs(float64(x[i*f+k])-v) > 1e-6 {
					t.Fatalf("x[%d][%d] = %g, want the convex combination %g", i, k, x[i*f+k], v)
				}
			}
		}
	}
}

func TestCutMix(t *testing.T) {
	const n, c, h, w, classes = 8, 3, 10, 12, 8
	checked := 0
	for seed := range uint64(20) {
		x, y := batch(n, c, h, w, classes) // distinct label and value per example
		soft := make([]float32, n*classes)
		lam := CutMix(x, y, n, c, h, w, classes, 1, MixRand(seed, 0, 0), soft)
		r := MixRand(seed, 0, 0)
		Beta(r, 1, 1)
		perm := r.Perm(n)
		f := c * h * w
		for i := range n {
			own := float32(i+1) / float32(n+1)
			pasted := 0
			for ci := range c {
				for p := range h * w {
					v := x[i*f+ci*h*w+p]
					switch {
					case v == own:
					case v == float32(perm[i]+1)/float32(n+1):
						pasted++
					default:
						t.Fatalf("example %d holds %g, from neither itself nor its partner", i, v)
					}
				}
			}
			if perm[i] == i {
				if soft[i*classes+int(y[i])] != 1 {
					t.Fatalf("self-paired example %d: soft %v", i, soft[i*classes:(i+1)*classes])
				}
				continue
			}
			checked++
			wantLam := 1 - float64(pasted/c)/float64(h*w)
			if math.Abs(lam-wantLam) > 1e-12 {
				t.Fatalf("seed %d example %d: λ' = %g, but %d of %d pixels were pasted", seed, i, lam, pasted/c, h*w)
			}
			if g, o := soft[i*classes+int(y[i])], soft[i*classes+int(y[perm[i]])]; math.Abs(float64(g)-wantLam) > 1e-6 || math.Abs(float64(o)-(1-wantLam)) > 1e-6 {
				t.Fatalf("example %d label weights %g/%g, want %g/%g", i, g, o, wantLam, 1-wantLam)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no example was paired with another")
	}
}

func TestSmoothLabels(t *testing.T) {
	soft := make([]float32, 2*4)
	SmoothLabels([]int32{2, 0}, 4, 0.2, soft)
	want := []float32{0.05, 0.05, 0.85, 0.05, 0.85, 0.05, 0.05, 0.05}
	for i := range want {
		if math.Abs(float64(soft[i]-want[i])) > 1e-7 {
			t.Fatalf("soft = %v, want %v", soft, want)
		}
	}
	// Smoothing commutes with mixing: smooth(mix) = mix(smooth).
	const n, classes = 5, 3
	x, y := batch(n, 1, 2, 2, classes)
	mixed := make([]float32, n*classes)
	lam := Mixup(x, y, n, 1, 2, 2, classes, 0.5, MixRand(1, 0, 0), mixed)
	SmoothTargets(mixed, classes, 0.1)
	r := MixRand(1, 0, 0)
	Beta(r, 0.5, 0.5)
	perm := r.Perm(n)
	sm := make([]float32, n*classes)
	SmoothLabels(y, classes, 0.1, sm)
	for i := range n {
		for k := range classes {
			want := lam*float64(sm[i*classes+k]) + (1-lam)*float64(sm[perm[i]*classes+k])
			if math.Abs(float64(mixed[i*classes+k])-want) > 1e-6 {
				t.Fatalf("smoothed mix [%d][%d] = %g, want %g", i, k, mixed[i*classes+k], want)
			}
		}
	}
}

func TestMixRandStreams(t *testing.T) {
	a, b := MixRand(1, 0, 0).Uint64(), MixRand(1, 0, 1).Uint64()
	if a == b {
		t.Fatal("steps share a stream")
	}
	// The mixing stream of (epoch, step) is not the example stream of
	// (epoch, index) with index = step.
	if MixRand(1, 2, 3).Uint64() == testExampleRand(1, 2, 3).Uint64() {
		t.Fatal("mixing and example streams coincide")
	}
}

// testExampleRand is the per-example stream Pipeline.Apply uses.
func testExampleRand(seed uint64, epoch, index uint64) *rand.Rand {
	return rng.New(seed, rng.Augment, epoch, index)
}
