package augment

import (
	"testing"
)

// benchPipeline measures one typical pipeline per image (ns/op = ns/image),
// including the copy that restores the input.
func benchPipeline(b *testing.B, specs []Spec, c, h, w int, fuse bool) {
	p, err := New(specs)
	if err != nil {
		b.Fatal(err)
	}
	p.Fuse = fuse
	in := noisy(c, h, w, 1)
	m := in.Clone()
	i := 0
	for b.Loop() {
		copy(m.Pix, in.Pix)
		p.Apply(&m, 1, 0, i)
		i++
	}
}

// mnistSpecs is a typical Fashion-MNIST pipeline.
var mnistSpecs = []Spec{
	{Op: "crop", P: 1, Pad: 2},
	{Op: "hflip", P: 0.5},
	{Op: "rotate", P: 0.5, Degrees: 10},
	{Op: "erase", P: 0.5},
}

// cifarSpecs is a typical CIFAR-10 pipeline.
var cifarSpecs = []Spec{
	{Op: "crop", P: 1, Pad: 4},
	{Op: "hflip", P: 0.5},
	{Op: "color_jitter", P: 0.8, Brightness: 0.4, Contrast: 0.4, Saturation: 0.4, Hue: 0.1},
	{Op: "erase", P: 0.5},
}

func BenchmarkPipeline28x28(b *testing.B)   { benchPipeline(b, mnistSpecs, 1, 28, 28, false) }
func BenchmarkPipeline32x32x3(b *testing.B) { benchPipeline(b, cifarSpecs, 3, 32, 32, false) }

func BenchmarkRandAugment32x32x3(b *testing.B) {
	benchPipeline(b, []Spec{{Op: "randaugment", P: 1, N: 2, Magnitude: 9}}, 3, 32, 32, false)
}

func BenchmarkGeometric28x28(b *testing.B) {
	specs := []Spec{
		{Op: "rotate", P: 1, Degrees: 10},
		{Op: "shear", P: 1, Degrees: 10},
		{Op: "stretch", P: 1, Stretch: []float64{0.9, 1.1}},
		{Op: "lens", P: 1, K: []float64{-0.1, 0.1}},
	}
	b.Run("sequential", func(b *testing.B) { benchPipeline(b, specs, 1, 28, 28, false) })
	b.Run("fused", func(b *testing.B) { benchPipeline(b, specs, 1, 28, 28, true) })
}

func BenchmarkMixup128x3x32x32(b *testing.B) {
	x, y := batch(128, 3, 32, 32, 10)
	soft := make([]float32, 128*10)
	r := MixRand(1, 0, 0)
	for b.Loop() {
		Mixup(x, y, 128, 3, 32, 32, 10, 0.2, r, soft)
	}
}
