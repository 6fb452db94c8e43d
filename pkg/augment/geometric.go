package augment

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// ParamError is an invalid parameter of one op: Param is the parameter's key
// as Spec spells it (e.g. "degrees"), Msg what is wrong and what is allowed.
type ParamError struct {
	Param string
	Msg   string
}

func (e *ParamError) Error() string { return e.Param + ": " + e.Msg }

// perr returns a *ParamError.
func perr(param, format string, args ...any) error {
	return &ParamError{Param: param, Msg: fmt.Sprintf(format, args...)}
}

// checkRange validates a [lo, hi] interval: lo <= hi, both finite and within
// [min, max] (strict bounds where open is set).
func checkRange(param string, v [2]float64, min, max float64, openMin bool) error {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) || x > max || x < min || (openMin && x == min) {
			lb := "["
			if openMin {
				lb = "("
			}
			return perr(param, "must lie in %s%g, %g], got [%g, %g]", lb, min, max, v[0], v[1])
		}
	}
	if v[0] > v[1] {
		return perr(param, "must be [min, max] with min <= max, got [%g, %g]", v[0], v[1])
	}
	return nil
}

// checkScalar validates one number in [min, max].
func checkScalar(param string, x, min, max float64) error {
	if math.IsNaN(x) || x < min || x > max {
		return perr(param, "must be in [%g, %g], got %g", min, max, x)
	}
	return nil
}

// validFill checks a geometric border policy.
func validFill(f Fill) error {
	if f.Mode > FillReflect {
		return perr("fill", "unknown fill mode %d", f.Mode)
	}
	if v := float64(f.Value); math.IsNaN(v) || math.IsInf(v, 0) {
		return perr("fill_value", "must be finite, got %g", v)
	}
	return nil
}

// mustValid panics if v's Validate fails: applying an invalid op is a
// programmer error.
func mustValid(name string, err error) {
	if err != nil {
		panic("augment: " + name + ": " + err.Error())
	}
}

// uniform draws from U[lo, hi) (exactly lo when lo == hi).
func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// centre returns the centre of an h×w image in pixel coordinates.
func centre(h, w int) (cx, cy float64) { return float64(w-1) / 2, float64(h-1) / 2 }

// snap rounds sin/cos values within 1e-12 of 0 or ±1 to them, so that
// quarter turns are exact permutations of the pixels.
func snap(v float64) float64 {
	for _, t := range [...]float64{0, 1, -1} {
		if math.Abs(v-t) < 1e-12 {
			return t
		}
	}
	return v
}

// Crop is torchvision's RandomCrop(size, padding): pad the image by Pad
// pixels on every side (reading Fill there; the zero Fill is zero padding),
// then cut a Size×Size window at a uniformly drawn integer offset. Size 0
// keeps the input's H×W, so the op is a random integer shift by up to Pad
// pixels. Draws: the row offset, then the column offset.
type Crop struct {
	Pad  int  // padding on each side, >= 0
	Size int  // output side in pixels, >= 0; 0 means the input's size
	Fill Fill // what the padding reads
}

// Validate checks the parameters that do not depend on the image size.
func (o Crop) Validate() error {
	if o.Pad < 0 {
		return perr("pad", "must be >= 0, got %d", o.Pad)
	}
	if o.Size < 0 {
		return perr("size", "must be >= 0 (0: the input size), got %d", o.Size)
	}
	return validFill(o.Fill)
}

func (o Crop) out(h, w int) (int, int) {
	if o.Size == 0 {
		return h, w
	}
	return o.Size, o.Size
}

// outShape implements shaper.
func (o Crop) outShape(c, h, w int) (int, int, int, error) {
	oh, ow := o.out(h, w)
	if oh > h+2*o.Pad || ow > w+2*o.Pad {
		return 0, 0, 0, perr("size", "%d does not fit in the padded %dx%d image", o.Size, h+2*o.Pad, w+2*o.Pad)
	}
	return c, oh, ow, nil
}

// Transform implements Geometric.
func (o Crop) Transform(h, w int, r *rand.Rand) (Warp, int, int) {
	mustValid("Crop", o.Validate())
	oh, ow := o.out(h, w)
	if oh > h+2*o.Pad || ow > w+2*o.Pad {
		panic(fmt.Sprintf("augment: Crop: size %d does not fit in the padded %dx%d image", o.Size, h+2*o.Pad, w+2*o.Pad))
	}
	i := r.IntN(h + 2*o.Pad - oh + 1)
	j := r.IntN(w + 2*o.Pad - ow + 1)
	return AffineWarp(Translation(float64(j-o.Pad), float64(i-o.Pad))), oh, ow
}

// Border implements Geometric.
func (o Crop) Border() Fill { return o.Fill }

// Apply implements Op.
func (o Crop) Apply(img *Image, r *rand.Rand) { applyGeometric(o, img, r) }

// HFlip mirrors the image left to right (torchvision RandomHorizontalFlip
// with p = 1; the step's probability decides). It draws nothing.
type HFlip struct{}

// Transform implements Geometric.
func (HFlip) Transform(h, w int, _ *rand.Rand) (Warp, int, int) {
	return AffineWarp(Affine{-1, 0, float64(w - 1), 0, 1, 0}), h, w
}

// Border implements Geometric.
func (HFlip) Border() Fill { return Fill{} }

// Apply implements Op.
func (o HFlip) Apply(img *Image, r *rand.Rand) { applyGeometric(o, img, r) }

// VFlip mirrors the image top to bottom. It draws nothing.
type VFlip struct{}

// Transform implements Geometric.
func (VFlip) Transform(h, w int, _ *rand.Rand) (Warp, int, int) {
	return AffineWarp(Affine{1, 0, 0, 0, -1, float64(h - 1)}), h, w
}

// Border implements Geometric.
func (VFlip) Border() Fill { return Fill{} }

// Apply implements Op.
func (o VFlip) Apply(img *Image, r *rand.Rand) { applyGeometric(o, img, r) }

// ResizedCrop is torchvision's RandomResizedCrop with the output size equal
// to the input size (also "random scale"): draw a box covering a fraction
// U(Scale) of the area with aspect ratio w/h = exp(U(log Ratio)), rounded to
// whole pixels, at a uniform integer position (up to 10 attempts, then the
// central crop clipped to Ratio, exactly as torchvision's get_params), and
// resize it to H×W with bilinear interpolation (align_corners=False, source
// coordinates clamped to the edge as torch's interpolate; no antialiasing).
type ResizedCrop struct {
	Scale [2]float64 // area fraction range, within (0, 1]; torchvision's default [0.08, 1]
	Ratio [2]float64 // aspect ratio (w/h) range, > 0; torchvision's default [3/4, 4/3]
}

// Validate checks the parameters.
func (o ResizedCrop) Validate() error {
	if err := checkRange("scale", o.Scale, 0, 1, true); err != nil {
		return err
	}
	return checkRange("ratio", o.Ratio, 0, math.MaxFloat64, true)
}

// box draws the crop box (top i, left j, height bh, width bw) for an h×w
// image with torchvision's algorithm.
func (o ResizedCrop) box(h, w int, r *rand.Rand) (i, j, bh, bw int) {
	area := float64(h * w)
	lr0, lr1 := math.Log(o.Ratio[0]), math.Log(o.Ratio[1])
	for range 10 {
		target := area * uniform(r, o.Scale[0], o.Scale[1])
		aspect := math.Exp(uniform(r, lr0, lr1))
		bw = int(math.Round(math.Sqrt(target * aspect)))
		bh = int(math.Round(math.Sqrt(target / aspect)))
		if bw > 0 && bw <= w && bh > 0 && bh <= h {
			i = r.IntN(h - bh + 1)
			j = r.IntN(w - bw + 1)
			return i, j, bh, bw
		}
	}
	in := float64(w) / float64(h)
	switch {
	case in < o.Ratio[0]:
		bw, bh = w, int(math.Round(float64(w)/o.Ratio[0]))
	case in > o.Ratio[1]:
		bh, bw = h, int(math.Round(float64(h)*o.Ratio[1]))
	default:
		bw, bh = w, h
	}
	bh, bw = max(1, min(bh, h)), max(1, min(bw, w))
	return (h - bh) / 2, (w - bw) / 2, bh, bw
}

// Transform implements Geometric. Draws: per attempt the scale, the log
// ratio, and (on success) the row then column offset.
func (o ResizedCrop) Transform(h, w int, r *rand.Rand) (Warp, int, int) {
	mustValid("ResizedCrop", o.Validate())
	i, j, bh, bw := o.box(h, w, r)
	sx, sy := float64(bw)/float64(w), float64(bh)/float64(h)
	return AffineWarp(Affine{sx, 0, float64(j) + 0.5*sx - 0.5, 0, sy, float64(i) + 0.5*sy - 0.5}), h, w
}

// Border implements Geometric: edge replication, as torch's interpolate.
func (ResizedCrop) Border() Fill { return Fill{Mode: FillEdge} }

// Apply implements Op.
func (o ResizedCrop) Apply(img *Image, r *rand.Rand) { applyGeometric(o, img, r) }

// Translate shifts the image by a whole number of pixels: dx =
// round(U(−X·W, X·W)), dy = round(U(−Y·H, Y·H)), as torchvision's
// RandomAffine(translate=(X, Y)). Draws: dx, then dy.
type Translate struct {
	X, Y float64 // maximum shift as a fraction of the width and height, in [0, 1]
	Fill Fill
}

// Validate checks the parameters.
func (o Translate) Validate() error {
	if err := checkRange("translate", [2]float64{o.X, o.Y}, 0, 1, false); err != nil {
		return perr("translate", "each fraction must be in [0, 1], got [%g, %g]", o.X, o.Y)
	}
	return validFill(o.Fill)
}

// Transform implements Geometric.
func (o Translate) Transform(h, w int, r *rand.Rand) (Warp, int, int) {
	mustValid("Translate", o.Validate())
	mx, my := o.X*float64(w), o.Y*float64(h)
	dx := math.Round(uniform(r, -mx, mx))
	dy := math.Round(uniform(r, -my, my))
	return AffineWarp(Translation(-dx, -dy)), h, w
}

// Border implements Geometric.
func (o Translate) Border() Fill { return o.Fill }

// Apply implements Op.
func (o Translate) Apply(img *Image, r *rand.Rand) { applyGeometric(o, img, r) }

// Rotate turns the image about its centre by an angle drawn from
// U(−Degrees, Degrees); positive angles turn counter-clockwise, as
// torchvision's RandomRotation. Draws: the angle.
type Rotate struct {
	Degrees float64 // in [0, 180]
	Fill    Fill
}

// Validate checks the parameters.
func (o Rotate) Validate() error {
	if err := checkScalar("degrees", o.Degrees, 0, 180); err != nil {
		return err
	}
	return validFill(o.Fill)
}

// rotation returns the sampling map of a counter-clockwise turn by deg
// degrees about the centre of an h×w image.
func rotation(deg float64, h, w int) Affine {
	s, c := math.Sincos(deg * math.Pi / 180)
	s, c = snap(s), snap(c)
	cx, cy := centre(h, w)
	// The content turns by R = [c s; −s c] (y points down); sampling uses R⁻¹.
	return About(c, -s, s, c, cx, cy)
}

// Transform implements Geometric.
func (o Rotate) Transform(h, w int, r *rand.Rand) (Warp, int, int) {
	mustValid("Rotate", o.Validate())
	return AffineWarp(rotation(uniform(r, -o.Degrees, o.Degrees), h, w)), h, w
}

// Border implements Geometric.
func (o Rotate) Border() Fill { return o.Fill }

// Apply implements Op.
func (o Rotate) Apply(img *Image, r *rand.Rand) { applyGeometric(o, img, r) }

// Stretch scales the image about its centre by independent factors sx, sy
// drawn from U(Range) for each axis (anisotropic zoom; > 1 enlarges).
// Draws: sx, then sy.
type Stretch struct {
	Range [2]float64 // scale factor range, within (0, 10]
	Fill  Fill
}

// Validate checks the parameters.
func (o Stretch) Validate() error {
	if err := checkRange("stretch", o.Range, 0, 10, true); err != nil {
		return err
	}
	return validFill(o.Fill)
}

// Transform implements Geometric.
func (o Stretch) Transform(h, w int, r *rand.Rand) (Warp, int, int) {
	mustValid("Stretch", o.Validate())
	sx := uniform(r, o.Range[0], o.Range[1])
	sy := uniform(r, o.Range[0], o.Range[1])
	cx, cy := centre(h, w)
	return AffineWarp(About(1/sx, 0, 0, 1/sy, cx, cy)), h, w
}

// Border implements Geometric.
func (o Stretch) Border() Fill { return o.Fill }

// Apply implements Op.
func (o Stretch) Apply(img *Image, r *rand.Rand) { applyGeometric(o, img, r) }

// Shear slants the image horizontally about its centre by an angle φ drawn
// from U(−Degrees, Degrees): x' = x + tan(φ)·y, as torchvision's
// RandomAffine(shear=Degrees). Draws: φ.
type Shear struct {
	Degrees float64 // in [0, 80]
	Fill    Fill
}

// Validate checks the parameters.
func (o Shear) Validate() error {
	if err := checkScalar("degrees", o.Degrees, 0, 80); err != nil {
		return err
	}
	return validFill(o.Fill)
}

// shearing returns the sampling map of shear factors tx (x' = x + tx·y) and
// ty (y' = y + ty·x) about the centre.
func shearing(tx, ty float64, h, w int) Affine {
	cx, cy := centre(h, w)
	// Forward [1 tx; ty 1]; inverse 1/(1−tx·ty)·[1 −tx; −ty 1].
	d := 1 - tx*ty
	return About(1/d, -tx/d, -ty/d, 1/d, cx, cy)
}

// Transform implements Geometric.
func (o Shear) Transform(h, w int, r *rand.Rand) (Warp, int, int) {
	mustValid("Shear", o.Validate())
	t := math.Tan(uniform(r, -o.Degrees, o.Degrees) * math.Pi / 180)
	return AffineWarp(shearing(t, 0, h, w)), h, w
}

// Border implements Geometric.
func (o Shear) Border() Fill { return o.Fill }

// Apply implements Op.
func (o Shear) Apply(img *Image, r *rand.Rand) { applyGeometric(o, img, r) }

// Lens applies a radial lens distortion with coefficient k drawn from
// U(K): the output pixel at offset d from the centre reads the input at
// d·(1 + k·|d|²/ρ²), where ρ is the half diagonal (so corners have radius
// 1). k > 0 gives barrel distortion (the middle bulges), k < 0 pincushion;
// k = 0 is the identity. Draws: k.
type Lens struct {
	K    [2]float64 // range of k, within [−0.9, 1]
	Fill Fill
}

// Validate checks the parameters.
func (o Lens) Validate() error {
	if err := checkRange("k", o.K, -0.9, 1, false); err != nil {
		return err
	}
	return validFill(o.Fill)
}

// lensWarp returns the distortion warp with coefficient k for an h×w image.
func lensWarp(k float64, h, w int) Warp {
	cx, cy := centre(h, w)
	rho := math.Hypot(float64(w)/2, float64(h)/2)
	return Warp{
		Pre:  Affine{1 / rho, 0, -cx / rho, 0, 1 / rho, -cy / rho},
		Post: Affine{rho, 0, cx, 0, rho, cy},
		K:    k,
	}
}

// Transform implements Geometric.
func (o Lens) Transform(h, w int, r *rand.Rand) (Warp, int, int) {
	mustValid("Lens", o.Validate())
	k := uniform(r, o.K[0], o.K[1])
	if k == 0 {
		return AffineWarp(Identity), h, w
	}
	return lensWarp(k, h, w), h, w
}

// Border implements Geometric.
func (o Lens) Border() Fill { return o.Fill }

// Apply implements Op.
func (o Lens) Apply(img *Image, r *rand.Rand) { applyGeometric(o, img, r) }
