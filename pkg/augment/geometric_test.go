package augment

import (
	"math"
	"testing"
)

func TestFlips(t *testing.T) {
	in := build([][]float32{{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}})
	tests := []struct {
		name string
		op   Op
		want Image
	}{
		{"hflip", HFlip{}, build([][]float32{{4, 3, 2, 1}, {8, 7, 6, 5}, {12, 11, 10, 9}})},
		{"vflip", VFlip{}, build([][]float32{{9, 10, 11, 12}, {5, 6, 7, 8}, {1, 2, 3, 4}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := in.Clone()
			tt.op.Apply(&got, testRand(0))
			if !sameBits(got, tt.want) {
				t.Fatalf("got %v, want %v", got.Pix, tt.want.Pix)
			}
		})
	}
}

func TestResampleExact(t *testing.T) {
	in := build([][]float32{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}})
	tests := []struct {
		name string
		wp   Warp
		fill Fill
		want Image
	}{
		// The crop window of a 1-pixel zero-padded image at offset (0,0)
		// reads input (y−1, x−1).
		{"crop pad 1 at (0,0)", AffineWarp(Translation(-1, -1)), Fill{},
			build([][]float32{{0, 0, 0}, {0, 1, 2}, {0, 4, 5}})},
		{"crop pad 1 at (2,1)", AffineWarp(Translation(0, 1)), Fill{},
			build([][]float32{{4, 5, 6}, {7, 8, 9}, {0, 0, 0}})},
		{"shift right 2 fill 0.5", AffineWarp(Translation(-2, 0)), Fill{Value: 0.5},
			build([][]float32{{0.5, 0.5, 1}, {0.5, 0.5, 4}, {0.5, 0.5, 7}})},
		{"shift right 2 edge", AffineWarp(Translation(-2, 0)), Fill{Mode: FillEdge},
			build([][]float32{{1, 1, 1}, {4, 4, 4}, {7, 7, 7}})},
		{"shift right 2 reflect", AffineWarp(Translation(-2, 0)), Fill{Mode: FillReflect},
			build([][]float32{{3, 2, 1}, {6, 5, 4}, {9, 8, 7}})},
		{"shift up 1", AffineWarp(Translation(0, 1)), Fill{},
			build([][]float32{{4, 5, 6}, {7, 8, 9}, {0, 0, 0}})},
		// out[y][x] = in[x][n−1−y]: a counter-clockwise quarter turn.
		{"rotate 90", AffineWarp(rotation(90, 3, 3)), Fill{},
			build([][]float32{{3, 6, 9}, {2, 5, 8}, {1, 4, 7}})},
		{"rotate -90", AffineWarp(rotation(-90, 3, 3)), Fill{},
			build([][]float32{{7, 4, 1}, {8, 5, 2}, {9, 6, 3}})},
		{"rotate 180", AffineWarp(rotation(180, 3, 3)), Fill{},
			build([][]float32{{9, 8, 7}, {6, 5, 4}, {3, 2, 1}})},
		{"half-pixel shift", AffineWarp(Translation(0.5, 0)), Fill{},
			build([][]float32{{1.5, 2.5, 1.5}, {4.5, 5.5, 3}, {7.5, 8.5, 4.5}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Image{C: 1, H: tt.want.H, W: tt.want.W, Pix: make([]float32, tt.want.H*tt.want.W)}
			src := in.Clone()
			Resample(&got, &src, tt.wp, tt.fill)
			if !sameBits(got, tt.want) {
				t.Fatalf("got %v, want %v", got.Pix, tt.want.Pix)
			}
		})
	}
}

// TestRotate90Transpose checks the quarter turn against transpose+flip on a
// larger square, multi-channel image, and that the even-sized centre works.
func TestRotate90Transpose(t *testing.T) {
	for _, n := range []int{4, 5} {
		in := ramp(2, n, n)
		got := in.Clone()
		warpInPlace(&got, AffineWarp(rotation(90, n, n)), n, n, Fill{})
		for c := range 2 {
			for y := range n {
				for x := range n {
					if g, w := at(got, c, y, x), at(in, c, x, n-1-y); g != w {
						t.Fatalf("n=%d (%d,%d,%d) = %g, want %g", n, c, y, x, g, w)
					}
				}
			}
		}
	}
}

func TestCropOffsets(t *testing.T) {
	in := ramp(2, 5, 6)
	tests := []struct {
		name     string
		op       Crop
		outH, ow int
	}{
		{"pad 2 same size", Crop{Pad: 2}, 5, 6},
		{"pad 1 size 4", Crop{Pad: 1, Size: 4}, 4, 4},
		{"no pad size 3", Crop{Size: 3}, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(20) {
				wp, oh, ow := tt.op.Transform(in.H, in.W, testRand(seed))
				if oh != tt.outH || ow != tt.ow {
					t.Fatalf("size %dx%d, want %dx%d", oh, ow, tt.outH, tt.ow)
				}
				dx, dy := wp.Map(0, 0) // the window's top-left in input coordinates
				j, i := int(dx)+tt.op.Pad, int(dy)+tt.op.Pad
				if float64(int(dx)) != dx || i < 0 || j < 0 || i+oh > in.H+2*tt.op.Pad || j+ow > in.W+2*tt.op.Pad {
					t.Fatalf("offset (%g,%g) outside the padded image", dx, dy)
				}
				got := in.Clone()
				tt.op.Apply(&got, testRand(seed))
				for c := range in.C {
					for y := range oh {
						for x := range ow {
							sy, sx := y+i-tt.op.Pad, x+j-tt.op.Pad
							var want float32
							if sy >= 0 && sy < in.H && sx >= 0 && sx < in.W {
								want = at(in, c, sy, sx)
							}
							if g := at(got, c, y, x); g != want {
								t.Fatalf("seed %d offset (%d,%d): (%d,%d,%d) = %g, want %g", seed, i, j, c, y, x, g, want)
							}
						}
					}
				}
			}
		})
	}
}

// TestTranslateWholePixels checks that Translate shifts exactly by whole
// pixels within its range, and that different draws give different shifts.
func TestTranslateWholePixels(t *testing.T) {
	in := ramp(1, 10, 10)
	op := Translate{X: 0.2, Y: 0.3}
	seen := map[[2]int]bool{}
	for seed := range uint64(30) {
		got := in.Clone()
		op.Apply(&got, testRand(seed))
		found := false
		for dy := -3; dy <= 3 && !found; dy++ {
			for dx := -2; dx <= 2 && !found; dx++ {
				want := in.Clone()
				Resample(&want, &in, AffineWarp(Translation(float64(-dx), float64(-dy))), Fill{})
				if sameBits(got, want) {
					found = true
					seen[[2]int{dx, dy}] = true
				}
			}
		}
		if !found {
			t.Fatalf("seed %d: output is not a whole-pixel shift within ±(2,3): %v", seed, got.Pix)
		}
	}
	if len(seen) < 5 {
		t.Fatalf("only %d distinct shifts in 30 draws", len(seen))
	}
}

// TestIdentityParameters checks that identity parameters leave an image
// unchanged bit for bit.
func TestIdentityParameters(t *testing.T) {
	tests := []struct {
		name string
		op   Op
	}{
		{"crop pad 0", Crop{}},
		{"crop size = input", Crop{Size: 7}},
		{"translate 0", Translate{}},
		{"rotate 0", Rotate{}},
		{"stretch 1", Stretch{Range: [2]float64{1, 1}}},
		{"shear 0", Shear{}},
		{"lens k=0", Lens{}},
		{"resized_crop whole", ResizedCrop{Scale: [2]float64{1, 1}, Ratio: [2]float64{1, 1}}},
		{"color_jitter zero", ColorJitter{}},
		{"randaugment magnitude 0 geometric", RandAugment{N: 4, Ops: []string{"rotate", "shear_x", "shear_y", "translate_x", "translate_y", "lens", "identity"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := noisy(3, 7, 7, 1)
			for seed := range uint64(5) {
				got := in.Clone()
				tt.op.Apply(&got, testRand(seed))
				if !sameBits(got, in) {
					t.Fatalf("seed %d: image changed", seed)
				}
			}
		})
	}
}

func TestResizedCropBox(t *testing.T) {
	op := ResizedCrop{Scale: [2]float64{0.25, 0.25}, Ratio: [2]float64{1, 1}}
	// A ramp along x: bilinear upsampling of a linear function is exact
	// except where torch clamps to the edge.
	in := Image{C: 1, H: 8, W: 8, Pix: make([]float32, 64)}
	for y := range 8 {
		for x := range 8 {
			in.Pix[y*8+x] = float32(x) / 8
		}
	}
	for seed := range uint64(10) {
		i, j, bh, bw := op.box(8, 8, testRand(seed))
		if bh != 4 || bw != 4 || i < 0 || j < 0 || i > 4 || j > 4 {
			t.Fatalf("box (%d,%d,%d,%d), want a 4x4 box inside 8x8", i, j, bh, bw)
		}
		got := in.Clone()
		op.Apply(&got, testRand(seed))
		for y := range 8 {
			for x := range 8 {
				sx := math.Min(math.Max(float64(j)+(float64(x)+0.5)*0.5-0.5, 0), 7)
				if g := float64(at(got, 0, y, x)); math.Abs(g-sx/8) > 1e-6 {
					t.Fatalf("seed %d (%d,%d) = %g, want %g", seed, y, x, g, sx/8)
				}
			}
		}
	}
	// Torchvision's fallback: no attempt fits a 4:1 box in a square, so the
	// central crop clipped to the ratio range is used.
	i, j, bh, bw := ResizedCrop{Scale: [2]float64{1, 1}, Ratio: [2]float64{4, 4}}.box(8, 8, testRand(0))
	if i != 3 || j != 0 || bh != 2 || bw != 8 {
		t.Fatalf("fallback box (%d,%d,%d,%d), want (3,0,2,8)", i, j, bh, bw)
	}
}

func TestLens(t *testing.T) {
	ones := Image{C: 1, H: 9, W: 9, Pix: make([]float32, 81)}
	for i := range ones.Pix {
		ones.Pix[i] = 1
	}
	barrel := ones.Clone()
	Lens{K: [2]float64{0.5, 0.5}}.Apply(&barrel, testRand(0))
	if at(barrel, 0, 4, 4) != 1 || at(barrel, 0, 0, 0) != 0 {
		t.Fatalf("barrel: centre %g (want 1), corner %g (want the fill 0)", at(barrel, 0, 4, 4), at(barrel, 0, 0, 0))
	}
	pin := ones.Clone()
	Lens{K: [2]float64{-0.5, -0.5}}.Apply(&pin, testRand(0))
	for i, v := range pin.Pix {
		if v != 1 {
			t.Fatalf("pincushion reads outside the image at %d: %g", i, v)
		}
	}
	// The warp itself: a point at radius u reads radius u(1+k u²).
	wp := lensWarp(0.2, 9, 9)
	rho := math.Hypot(4.5, 4.5)
	x, _ := wp.Map(8, 4)
	u := 4 / rho
	if want := 4 + 4*(1+0.2*u*u); math.Abs(x-want) > 1e-12 {
		t.Fatalf("lens map x = %g, want %g", x, want)
	}
}

func TestStretchAndShearMaps(t *testing.T) {
	// Stretch by exactly 2 in x and 1 in y about the centre of a 5x5 image:
	// output x reads 2 + (x−2)/2.
	wp, _, _ := Stretch{Range: [2]float64{2, 2}}.Transform(5, 5, testRand(0))
	if x, y := wp.Map(4, 1); x != 3 || y != 1.5 {
		t.Fatalf("stretch map (4,1) -> (%g,%g), want (3,1.5)", x, y)
	}
	// Shear: a forward x' = x + t·y about the centre; the inverse reads
	// x − t·(y − cy).
	a := shearing(0.5, 0, 5, 5)
	if x, y := a.Apply(2, 4); x != 1 || y != 4 {
		t.Fatalf("shear map (2,4) -> (%g,%g), want (1,4)", x, y)
	}
}
