package augment

import (
	"math/rand/v2"
	"testing"
)

// allOps is a pipeline touching every op, used for determinism and golden
// tests.
func allOps(t testing.TB) *Pipeline {
	p, err := New([]Spec{
		{Op: "crop", P: 1, Pad: 2},
		{Op: "hflip", P: 0.5},
		{Op: "vflip", P: 0.5},
		{Op: "resized_crop", P: 0.7, Scale: []float64{0.5, 1}},
		{Op: "color_jitter", P: 0.8, Brightness: 0.4, Contrast: 0.4, Saturation: 0.4, Hue: 0.1},
		{Op: "translate", P: 0.5, Translate: []float64{0.1, 0.1}, Fill: "edge"},
		{Op: "rotate", P: 0.5, Degrees: 15, Fill: "edge"},
		{Op: "stretch", P: 0.5, Stretch: []float64{0.9, 1.1}, Fill: "edge"},
		{Op: "shear", P: 0.5, Degrees: 10, Fill: "edge"},
		{Op: "lens", P: 0.5, K: []float64{-0.2, 0.2}, Fill: "reflect"},
		{Op: "randaugment", P: 0.5, N: 2, Magnitude: 9},
		{Op: "erase", P: 0.5, Fill: "noise"},
		{Op: "cutout", P: 0.5, Size: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPipelineDeterminism(t *testing.T) {
	p := allOps(t)
	in := noisy(3, 8, 8, 7)
	run := func(seed uint64, epoch, index int) Image {
		m := in.Clone()
		p.Apply(&m, seed, epoch, index)
		return m
	}
	a := run(1, 2, 3)
	if b := run(1, 2, 3); !sameBits(a, b) {
		t.Fatal("same (seed, epoch, index) gave different outputs")
	}
	for _, o := range []struct {
		name         string
		seed         uint64
		epoch, index int
	}{{"index", 1, 2, 4}, {"epoch", 1, 3, 3}, {"seed", 2, 2, 3}} {
		if b := run(o.seed, o.epoch, o.index); sameBits(a, b) {
			t.Fatalf("different %s gave the same output", o.name)
		}
	}
	// Interleaving other examples (another thread, another batch order)
	// does not change an example's result.
	run(5, 0, 0)
	if b := run(1, 2, 3); !sameBits(a, b) {
		t.Fatal("output depends on earlier calls")
	}
}

func TestPipelineProbability(t *testing.T) {
	in := ramp(1, 3, 4)
	flipped := in.Clone()
	HFlip{}.Apply(&flipped, nil)
	for _, tt := range []struct {
		p         float64
		wantFlips int
	}{{0, 0}, {1, 200}} {
		p := &Pipeline{Steps: []Step{{P: tt.p, Op: HFlip{}}}}
		n := 0
		for i := range 200 {
			m := in.Clone()
			p.Apply(&m, 1, 0, i)
			switch {
			case sameBits(m, flipped):
				n++
			case !sameBits(m, in):
				t.Fatal("output neither original nor flipped")
			}
		}
		if n != tt.wantFlips {
			t.Fatalf("p=%g: %d of 200 flipped, want %d", tt.p, n, tt.wantFlips)
		}
	}
	// p = 0.5 flips roughly half.
	p := &Pipeline{Steps: []Step{{P: 0.5, Op: HFlip{}}}}
	n := 0
	for i := range 1000 {
		m := in.Clone()
		p.Apply(&m, 1, 0, i)
		if sameBits(m, flipped) {
			n++
		}
	}
	if n < 430 || n > 570 {
		t.Fatalf("p=0.5: %d of 1000 flipped", n)
	}
}

// TestPipelineSequential checks that an unfused pipeline equals its ops
// applied one by one, bit for bit.
func TestPipelineSequential(t *testing.T) {
	p := allOps(t)
	in := noisy(3, 8, 8, 2)
	for seed := range uint64(20) {
		got := in.Clone()
		p.ApplyRand(&got, testRand(seed))
		seq := in.Clone()
		r := testRand(seed)
		for _, s := range p.Steps {
			if r.Float64() < s.P {
				s.Op.Apply(&seq, r)
			}
		}
		if !sameBits(got, seq) {
			t.Fatalf("seed %d: pipeline differs from its ops applied in turn", seed)
		}
	}
}

// TestPipelineFusion checks that fused geometric steps equal the steps
// applied one by one when every map is grid-exact and nothing leaves the
// frame between steps, that an hflip pair cancels exactly, and that fusion
// keeps content a later step brings back into the frame.
func TestPipelineFusion(t *testing.T) {
	in := ramp(2, 7, 7)
	steps := []Step{{1, HFlip{}}, {1, Crop{Size: 5}}, {1, VFlip{}}, {1, Crop{Size: 4}}, {1, HFlip{}}}
	p := &Pipeline{Steps: steps, Fuse: true}
	for seed := range uint64(20) {
		fused := in.Clone()
		p.ApplyRand(&fused, testRand(seed))
		seq := in.Clone()
		(&Pipeline{Steps: steps}).ApplyRand(&seq, testRand(seed))
		if !sameBits(fused, seq) {
			t.Fatalf("seed %d: fused %v\nsequential %v", seed, fused.Pix, seq.Pix)
		}
	}
	twice := &Pipeline{Steps: []Step{{1, HFlip{}}, {1, HFlip{}}}, Fuse: true}
	m := in.Clone()
	twice.ApplyRand(&m, testRand(0))
	if !sameBits(m, in) {
		t.Fatal("hflip twice is not the identity")
	}
	// Shift right by 2 then left by 2: sequentially the left two columns
	// become fill; fused, the image comes back whole.
	right := Step{1, fixedWarp{AffineWarp(Translation(-2, 0))}}
	left := Step{1, fixedWarp{AffineWarp(Translation(2, 0))}}
	m = in.Clone()
	(&Pipeline{Steps: []Step{right, left}, Fuse: true}).ApplyRand(&m, testRand(0))
	if !sameBits(m, in) {
		t.Fatal("fused opposite shifts are not the identity")
	}
	m = in.Clone()
	(&Pipeline{Steps: []Step{right, left}}).ApplyRand(&m, testRand(0))
	if at(m, 0, 0, 6) != 0 || at(m, 0, 0, 4) != at(in, 0, 0, 4) {
		t.Fatal("sequential opposite shifts should clip the right columns")
	}
	// Two lens steps cannot be composed: they are rendered in turn.
	lenses := []Step{{1, Lens{K: [2]float64{0.1, 0.1}}}, {1, Lens{K: [2]float64{-0.1, -0.1}}}}
	m, seq := in.Clone(), in.Clone()
	(&Pipeline{Steps: lenses, Fuse: true}).ApplyRand(&m, testRand(0))
	(&Pipeline{Steps: lenses}).ApplyRand(&seq, testRand(0))
	requireClose(t, "two lenses", m, seq, 0)
}

// fixedWarp is a Geometric op with a fixed warp, for tests.
type fixedWarp struct{ wp Warp }

func (f fixedWarp) Transform(h, w int, _ *rand.Rand) (Warp, int, int) { return f.wp, h, w }
func (f fixedWarp) Border() Fill                                      { return Fill{} }
func (f fixedWarp) Apply(img *Image, r *rand.Rand)                    { applyGeometric(f, img, r) }

func TestOutShapeAndBatch(t *testing.T) {
	p, err := New([]Spec{{Op: "crop", P: 1, Pad: 4, Size: 24}, {Op: "hflip", P: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	if c, h, w, err := p.OutShape(1, 28, 28); err != nil || c != 1 || h != 24 || w != 24 {
		t.Fatalf("OutShape = (%d,%d,%d), %v; want (1,24,24)", c, h, w, err)
	}
	bad, _ := New([]Spec{{Op: "hflip", P: 1}, {Op: "crop", P: 1, Size: 40}})
	if _, _, _, err := bad.OutShape(1, 28, 28); err == nil || err.Error() != "augment[1].size: crop: 40 does not fit in the padded 28x28 image" {
		t.Fatalf("OutShape error %v", err)
	}
	// ApplyBatch equals Apply per example with the data set indices.
	q := allOps(t)
	x := make([]float32, 0, 3*3*8*8)
	for k := range 3 {
		x = append(x, noisy(3, 8, 8, uint64(k)).Pix...)
	}
	idx := []int{17, 4, 9}
	q.ApplyBatch(x, idx, 3, 8, 8, 5, 2)
	for k, i := range idx {
		m := noisy(3, 8, 8, uint64(k))
		q.Apply(&m, 5, 2, i)
		if !sameBits(m, Image{C: 3, H: 8, W: 8, Pix: x[k*192 : (k+1)*192]}) {
			t.Fatalf("ApplyBatch example %d differs from Apply", k)
		}
	}
}

// TestPipelineConcurrent checks that concurrent Apply calls (the loader's
// worker goroutines) give the serial results.
func TestPipelineConcurrent(t *testing.T) {
	p := allOps(t)
	want := make([]Image, 16)
	for i := range want {
		want[i] = noisy(3, 8, 8, uint64(i))
		p.Apply(&want[i], 4, 1, i)
	}
	got := make([]Image, 16)
	done := make(chan int)
	for i := range got {
		go func() {
			got[i] = noisy(3, 8, 8, uint64(i))
			p.Apply(&got[i], 4, 1, i)
			done <- i
		}()
	}
	for range got {
		<-done
	}
	for i := range got {
		if !sameBits(got[i], want[i]) {
			t.Fatalf("example %d differs when run concurrently", i)
		}
	}
}
