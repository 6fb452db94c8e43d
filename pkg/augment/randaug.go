package augment

import (
	"math"
	"math/rand/v2"
	"slices"
)

// magOp applies one RandAugment operation at strength m in [0,1] (the
// magnitude M/10), drawing its sign (or nothing) from r.
type magOp func(img *Image, r *rand.Rand, m float64, fill Fill)

// signed returns v or −v with probability 1/2 each (one draw).
func signed(r *rand.Rand, v float64) float64 {
	if r.IntN(2) == 1 {
		return -v
	}
	return v
}

// warpOp wraps a warp built from the image size as a magOp.
func warpOp(build func(h, w int, r *rand.Rand, m float64) Warp) magOp {
	return func(img *Image, r *rand.Rand, m float64, fill Fill) {
		warpInPlace(img, build(img.H, img.W, r, m), img.H, img.W, fill)
	}
}

// randAugOps is the registry of RandAugment operations. The magnitude
// ranges at M = 10 are torchvision's RandAugment at its top bin (shear 0.3,
// translate 150/331 of the size, rotate 30°, colour factors 1 ± 0.9,
// posterize to 4 bits, solarize threshold 0); signed ops draw their sign
// first. The extras hflip, vflip, hue (±0.5·m), lens (k = ±0.5·m) and
// cutout (side m/2 of the smaller image side) come from this package.
var randAugOps = map[string]magOp{
	"identity": func(*Image, *rand.Rand, float64, Fill) {},
	"shear_x": warpOp(func(h, w int, r *rand.Rand, m float64) Warp {
		return AffineWarp(shearing(signed(r, 0.3*m), 0, h, w))
	}),
	"shear_y": warpOp(func(h, w int, r *rand.Rand, m float64) Warp {
		return AffineWarp(shearing(0, signed(r, 0.3*m), h, w))
	}),
	"translate_x": warpOp(func(h, w int, r *rand.Rand, m float64) Warp {
		return AffineWarp(Translation(-math.Round(signed(r, 150.0/331*m*float64(w))), 0))
	}),
	"translate_y": warpOp(func(h, w int, r *rand.Rand, m float64) Warp {
		return AffineWarp(Translation(0, -math.Round(signed(r, 150.0/331*m*float64(h)))))
	}),
	"rotate": warpOp(func(h, w int, r *rand.Rand, m float64) Warp {
		return AffineWarp(rotation(signed(r, 30*m), h, w))
	}),
	"brightness": func(img *Image, r *rand.Rand, m float64, _ Fill) {
		adjustBrightness(img, float32(1+signed(r, 0.9*m)))
	},
	"color": func(img *Image, r *rand.Rand, m float64, _ Fill) {
		f := float32(1 + signed(r, 0.9*m))
		if img.C == 3 {
			adjustSaturation(img, f)
		}
	},
	"contrast": func(img *Image, r *rand.Rand, m float64, _ Fill) {
		adjustContrast(img, float32(1+signed(r, 0.9*m)))
	},
	"sharpness": func(img *Image, r *rand.Rand, m float64, _ Fill) {
		adjustSharpness(img, float32(1+signed(r, 0.9*m)))
	},
	"posterize": func(img *Image, _ *rand.Rand, m float64, _ Fill) {
		posterize(img, 8-int(math.Round(4*m)))
	},
	"solarize": func(img *Image, _ *rand.Rand, m float64, _ Fill) {
		solarize(img, float32(1-m))
	},
	"autocontrast": func(img *Image, _ *rand.Rand, _ float64, _ Fill) { autocontrast(img) },
	"equalize":     func(img *Image, _ *rand.Rand, _ float64, _ Fill) { equalize(img) },
	"hflip": warpOp(func(h, w int, _ *rand.Rand, _ float64) Warp {
		wp, _, _ := HFlip{}.Transform(h, w, nil)
		return wp
	}),
	"vflip": warpOp(func(h, w int, _ *rand.Rand, _ float64) Warp {
		wp, _, _ := VFlip{}.Transform(h, w, nil)
		return wp
	}),
	"hue": func(img *Image, r *rand.Rand, m float64, _ Fill) {
		s := float32(signed(r, 0.5*m))
		if img.C == 3 {
			adjustHue(img, s)
		}
	},
	"lens": warpOp(func(h, w int, r *rand.Rand, m float64) Warp {
		k := signed(r, 0.5*m)
		if k == 0 {
			return AffineWarp(Identity)
		}
		return lensWarp(k, h, w)
	}),
	"cutout": func(img *Image, r *rand.Rand, m float64, _ Fill) {
		if s := int(math.Round(m / 2 * float64(min(img.H, img.W)))); s > 0 {
			Cutout{Size: s}.Apply(img, r)
		}
	},
}

// RandAugmentDefaultOps is torchvision's RandAugment operation list, used
// when RandAugment.Ops is empty.
var RandAugmentDefaultOps = []string{
	"identity", "shear_x", "shear_y", "translate_x", "translate_y", "rotate",
	"brightness", "color", "contrast", "sharpness", "posterize", "solarize",
	"autocontrast", "equalize",
}

// RandAugmentOps returns the names RandAugment.Ops accepts, sorted.
func RandAugmentOps() []string {
	names := make([]string, 0, len(randAugOps))
	for k := range randAugOps {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// RandAugment is RandAugment (Cubuk et al. 2020; torchvision RandAugment):
// apply N operations drawn uniformly with replacement from Ops, each at
// magnitude Magnitude on the paper's 0–10 scale (mapped linearly onto each
// operation's range, see RandAugmentOps; geometric ones read Fill outside
// the image). Draws: per operation its index, then its own draws (the sign
// for signed ones).
type RandAugment struct {
	N         int      // operations per image, in [1, 10]
	Magnitude float64  // in [0, 10]
	Ops       []string // names from RandAugmentOps; empty means RandAugmentDefaultOps
	Fill      Fill
}

// Validate checks the parameters.
func (o RandAugment) Validate() error {
	if o.N < 1 || o.N > 10 {
		return perr("n", "must be in [1, 10], got %d", o.N)
	}
	if err := checkScalar("magnitude", o.Magnitude, 0, 10); err != nil {
		return err
	}
	for _, name := range o.Ops {
		if _, ok := randAugOps[name]; !ok {
			return perr("ops", "unknown RandAugment op %q; known: %s", name, joinNames(RandAugmentOps()))
		}
	}
	return validFill(o.Fill)
}

// Apply implements Op.
func (o RandAugment) Apply(img *Image, r *rand.Rand) {
	img.check("RandAugment")
	mustValid("RandAugment", o.Validate())
	o.apply(img, r, randAugOps)
}

// apply runs o with the operations of table (tests pass counting ones).
func (o RandAugment) apply(img *Image, r *rand.Rand, table map[string]magOp) {
	ops := o.Ops
	if len(ops) == 0 {
		ops = RandAugmentDefaultOps
	}
	m := o.Magnitude / 10
	for range o.N {
		table[ops[r.IntN(len(ops))]](img, r, m, o.Fill)
	}
}
