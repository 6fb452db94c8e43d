package augment

import (
	"math/rand/v2"
	"testing"
)

func TestColorFunctions(t *testing.T) {
	rgb := build(
		[][]float32{{1, 0, 0.5}},
		[][]float32{{0, 1, 0.25}},
		[][]float32{{0, 0, 0.75}},
	)
	g := func(r, gg, b float32) float32 { return 0.2989*r + 0.587*gg + 0.114*b }
	tests := []struct {
		name string
		f    func(*Image)
		want Image
		tol  float64
	}{
		{"brightness 1", func(m *Image) { adjustBrightness(m, 1) }, rgb, 0},
		{"contrast 1", func(m *Image) { adjustContrast(m, 1) }, rgb, 0},
		{"saturation 1", func(m *Image) { adjustSaturation(m, 1) }, rgb, 0},
		{"hue 0", func(m *Image) { adjustHue(m, 0) }, rgb, 1e-6},
		{"sharpness 1", func(m *Image) { adjustSharpness(m, 1) }, rgb, 0},
		{"brightness 2 clamps", func(m *Image) { adjustBrightness(m, 2) },
			build([][]float32{{1, 0, 1}}, [][]float32{{0, 1, 0.5}}, [][]float32{{0, 0, 1}}), 0},
		{"saturation 0 is gray", func(m *Image) { adjustSaturation(m, 0) },
			build([][]float32{{g(1, 0, 0), g(0, 1, 0), g(0.5, 0.25, 0.75)}},
				[][]float32{{g(1, 0, 0), g(0, 1, 0), g(0.5, 0.25, 0.75)}},
				[][]float32{{g(1, 0, 0), g(0, 1, 0), g(0.5, 0.25, 0.75)}}), 1e-6},
		{"hue 1/3: red to green, green to blue", func(m *Image) { adjustHue(m, 1.0/3) },
			build([][]float32{{0, 0, 0.75}}, [][]float32{{1, 0, 0.5}}, [][]float32{{0, 1, 0.25}}), 1e-6},
		{"solarize 0.6", func(m *Image) { solarize(m, 0.6) },
			build([][]float32{{0, 0, 0.5}}, [][]float32{{0, 0, 0.25}}, [][]float32{{0, 0, 0.25}}), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rgb.Clone()
			tt.f(&got)
			requireClose(t, tt.name, got, tt.want, tt.tol)
		})
	}
	// Contrast 0 leaves the mean gray everywhere.
	got := rgb.Clone()
	adjustContrast(&got, 0)
	m := (g(1, 0, 0) + g(0, 1, 0) + g(0.5, 0.25, 0.75)) / 3
	for i, v := range got.Pix {
		if d := v - m; d > 1e-6 || d < -1e-6 {
			t.Fatalf("contrast 0: value %d = %g, want the mean %g", i, v, m)
		}
	}
}

func TestHistogramOps(t *testing.T) {
	in := build([][]float32{{0.2, 0.4}, {0.4, 0.6}})
	got := in.Clone()
	autocontrast(&got)
	requireClose(t, "autocontrast", got, build([][]float32{{0, 0.5}, {0.5, 1}}), 1e-6)

	got = in.Clone()
	posterize(&got, 1) // keep the top bit of round(v·255): 51, 102, 153 -> 0, 0, 128
	requireClose(t, "posterize", got, build([][]float32{{0, 0}, {0, 128.0 / 255}}), 0)

	// Equalize (torchvision's _scale_channel): levels 51, 102, 102, 153;
	// step = (4−1)/255 = 0, so the channel is unchanged.
	got = in.Clone()
	equalize(&got)
	requireClose(t, "equalize small", got, in, 0)
	// A 16x16 two-level image: 128 pixels at 0.2, 128 at 0.4: step =
	// (256−128)/255 = 0 again; use 600 pixels so the step is 1.
	big := Image{C: 1, H: 20, W: 30, Pix: make([]float32, 600)}
	for i := range big.Pix {
		big.Pix[i] = 0.2
		if i >= 300 {
			big.Pix[i] = 0.4
		}
	}
	equalize(&big)
	// step = (600−300)/255 = 1; lut[102] = min(255, (300+0)/1) = 255, lut[51] = 0.
	if big.Pix[0] != 0 || big.Pix[599] != 1 {
		t.Fatalf("equalize two levels: %g, %g, want 0, 1", big.Pix[0], big.Pix[599])
	}
}

func TestColorJitterGray(t *testing.T) {
	// Brightness and contrast work on grayscale; saturation and hue are
	// skipped there (and rejected by OutShape).
	in := noisy(1, 6, 6, 3)
	got := in.Clone()
	ColorJitter{Saturation: 0.5, Hue: 0.2}.Apply(&got, testRand(0))
	if !sameBits(got, in) {
		t.Fatal("saturation/hue changed a grayscale image")
	}
	ColorJitter{Brightness: 0.5, Contrast: 0.5}.Apply(&got, testRand(0))
	if sameBits(got, in) {
		t.Fatal("brightness/contrast did not change a grayscale image")
	}
	for _, v := range got.Pix {
		if v < 0 || v > 1 {
			t.Fatalf("value %g outside [0,1]", v)
		}
	}
	p := &Pipeline{Steps: []Step{{P: 1, Op: ColorJitter{Saturation: 0.5}}}}
	if _, _, _, err := p.OutShape(1, 28, 28); err == nil {
		t.Fatal("OutShape accepted saturation on C=1")
	}
}

func TestEraseAndCutout(t *testing.T) {
	in := Image{C: 2, H: 16, W: 16, Pix: make([]float32, 512)}
	for i := range in.Pix {
		in.Pix[i] = 1
	}
	tests := []struct {
		name         string
		op           Op
		minA, maxA   int
		noise, exact bool
	}{
		// Random erasing: area within scale·256 up to rounding of the sides.
		{"erase zero", Erase{Scale: [2]float64{0.1, 0.2}, Ratio: [2]float64{0.5, 2}}, 15, 60, false, false},
		{"erase noise", Erase{Scale: [2]float64{0.1, 0.2}, Ratio: [2]float64{0.5, 2}, Noise: true}, 15, 60, true, false},
		{"cutout 6", Cutout{Size: 6}, 9, 36, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(20) {
				got := in.Clone()
				tt.op.Apply(&got, testRand(seed))
				// The erased pixels must form one rectangle, the same in both channels.
				y0, x0, y1, x1 := 16, 16, -1, -1
				n := 0
				for y := range 16 {
					for x := range 16 {
						if at(got, 0, y, x) != 1 {
							n++
							y0, x0, y1, x1 = min(y0, y), min(x0, x), max(y1, y), max(x1, x)
						}
						if (at(got, 0, y, x) == 1) != (at(got, 1, y, x) == 1) {
							t.Fatalf("seed %d: channels erased differently at (%d,%d)", seed, y, x)
						}
					}
				}
				if n == 0 {
					continue // erase found no fitting box, or cutout fully clipped: allowed
				}
				if n != (y1-y0+1)*(x1-x0+1) || n < tt.minA || n > tt.maxA {
					t.Fatalf("seed %d: %d erased pixels in box (%d,%d)-(%d,%d), want one rectangle of %d..%d", seed, n, y0, x0, y1, x1, tt.minA, tt.maxA)
				}
				if !tt.noise && at(got, 0, y0, x0) != 0 {
					t.Fatalf("seed %d: zero fill wrote %g", seed, at(got, 0, y0, x0))
				}
			}
		})
	}
}

// TestRandAugmentCount checks that RandAugment applies exactly N operations
// and draws them from its list.
func TestRandAugmentCount(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7} {
		calls := map[string]int{}
		table := map[string]magOp{}
		for _, name := range []string{"a", "b", "c"} {
			table[name] = func(_ *Image, _ *rand.Rand, m float64, _ Fill) {
				if m != 0.9 {
					t.Fatalf("magnitude %g, want 0.9", m)
				}
				calls[name]++
			}
		}
		img := ramp(1, 4, 4)
		RandAugment{N: n, Magnitude: 9, Ops: []string{"a", "b", "c"}}.apply(&img, testRand(uint64(n)), table)
		total := 0
		for _, c := range calls {
			total += c
		}
		if total != n {
			t.Fatalf("N=%d: %d operations applied (%v)", n, total, calls)
		}
	}
}

// TestRandAugmentOps runs every RandAugment operation at full magnitude on
// gray and RGB images: results stay finite and in [0,1].
func TestRandAugmentOps(t *testing.T) {
	for _, name := range RandAugmentOps() {
		for _, c := range []int{1, 3} {
			img := noisy(c, 9, 9, 5)
			RandAugment{N: 1, Magnitude: 10, Ops: []string{name}}.Apply(&img, testRand(1))
			for i, v := range img.Pix {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("%s C=%d: value %d = %g", name, c, i, v)
				}
			}
		}
	}
}
