package augment

import (
	"math"
	"math/rand/v2"
	"sync"
)

// Affine is the 2x3 matrix [a b c; d e f] = [m0 m1 m2; m3 m4 m5] that maps
// (x, y) to (a·x + b·y + c, d·x + e·y + f). Coordinates are in pixels with
// pixel centres at integers: (0,0) is the centre of the top-left pixel and
// (W−1, H−1) the centre of the bottom-right one; x grows to the right and y
// downwards.
type Affine [6]float64

// Identity is the identity map.
var Identity = Affine{1, 0, 0, 0, 1, 0}

// Apply returns m(x, y).
func (m Affine) Apply(x, y float64) (float64, float64) {
	return m[0]*x + m[1]*y + m[2], m[3]*x + m[4]*y + m[5]
}

// Mul returns m·n, the map p ↦ m(n(p)) (n is applied first).
func (m Affine) Mul(n Affine) Affine {
	return Affine{
		m[0]*n[0] + m[1]*n[3], m[0]*n[1] + m[1]*n[4], m[0]*n[2] + m[1]*n[5] + m[2],
		m[3]*n[0] + m[4]*n[3], m[3]*n[1] + m[4]*n[4], m[3]*n[2] + m[4]*n[5] + m[5],
	}
}

// Translation returns the map p ↦ p + (tx, ty).
func Translation(tx, ty float64) Affine { return Affine{1, 0, tx, 0, 1, ty} }

// About returns the linear map [a b; d e] applied about the centre (cx, cy):
// p ↦ L·(p − c) + c. The offsets are computed once, so a unit L gives exactly
// Identity.
func About(a, b, d, e, cx, cy float64) Affine {
	return Affine{a, b, cx - a*cx - b*cy, d, e, cy - d*cx - e*cy}
}

// Warp is a map from output pixel coordinates to input coordinates: the
// output pixel p reads the input at Post(R(Pre(p))), where R is the radial
// (lens) distortion R(u) = u·(1 + K·|u|²). With K = 0 it is the affine map
// Post·Pre. Every geometric op describes itself as a Warp, and Resample is
// the one sampler that renders them.
type Warp struct {
	Pre, Post Affine
	K         float64
}

// AffineWarp returns the Warp that samples the input at m(p).
func AffineWarp(m Affine) Warp { return Warp{Pre: Identity, Post: m} }

// Map returns the input coordinates read by output pixel (x, y).
func (w Warp) Map(x, y float64) (float64, float64) {
	x, y = w.Pre.Apply(x, y)
	if w.K != 0 {
		s := 1 + w.K*(x*x+y*y)
		x, y = x*s, y*s
	}
	return w.Post.Apply(x, y)
}

// isIdentity reports whether w maps every point to itself exactly.
func (w Warp) isIdentity() bool {
	return w.K == 0 && w.Post.Mul(w.Pre) == Identity
}

// compose returns the warp p ↦ outer(inner(p)) and true, or false when both
// carry a radial distortion (the form holds at most one).
func compose(outer, inner Warp) (Warp, bool) {
	switch {
	case inner.K == 0:
		return Warp{Pre: outer.Pre.Mul(inner.Post.Mul(inner.Pre)), Post: outer.Post, K: outer.K}, true
	case outer.K == 0:
		return Warp{Pre: inner.Pre, Post: outer.Post.Mul(outer.Pre).Mul(inner.Post), K: inner.K}, true
	}
	return Warp{}, false
}

// Geometric is an Op that only moves pixels. It exposes its randomly drawn
// warp so that a Pipeline can compose consecutive geometric steps with the
// same Border into a single resampling (one interpolation instead of one per
// step).
type Geometric interface {
	Op
	// Transform draws the op's random parameters for an input of h×w
	// pixels (from r, exactly as Apply does) and returns the warp from
	// output pixel coordinates to input coordinates and the output size.
	Transform(h, w int, r *rand.Rand) (wp Warp, outH, outW int)
	// Border returns how points outside the input are read.
	Border() Fill
}

// applyGeometric is the Apply of every Geometric op.
func applyGeometric(g Geometric, img *Image, r *rand.Rand) {
	img.check("geometric op")
	wp, oh, ow := g.Transform(img.H, img.W, r)
	warpInPlace(img, wp, oh, ow, g.Border())
}

// scratch recycles the source copies of in-place warps.
var scratch = sync.Pool{New: func() any { return new([]float32) }}

// warpInPlace resamples img through wp into an oh×ow image stored back in
// img. An identity warp that keeps the size leaves img untouched.
func warpInPlace(img *Image, wp Warp, oh, ow int, fill Fill) {
	if oh == img.H && ow == img.W && wp.isIdentity() {
		return
	}
	bp := scratch.Get().(*[]float32)
	src := Image{C: img.C, H: img.H, W: img.W, Pix: append((*bp)[:0], img.Pix...)}
	n := img.C * oh * ow
	if cap(img.Pix) < n {
		img.Pix = make([]float32, n)
	}
	img.H, img.W, img.Pix = oh, ow, img.Pix[:n]
	Resample(img, &src, wp, fill)
	*bp = src.Pix
	scratch.Put(bp)
}

// Resample renders dst (shape (C, dst.H, dst.W), C = src.C) by bilinear
// interpolation of src (shape (C, src.H, src.W)) at wp(p) for every output
// pixel p, reading fill outside src. At exact grid points it copies pixels
// bit for bit, so integer translations, flips, crops and quarter turns are
// exact. dst and src must not overlap. It panics on malformed images or a
// channel mismatch.
func Resample(dst, src *Image, wp Warp, fill Fill) {
	dst.check("Resample dst")
	src.check("Resample src")
	if dst.C != src.C {
		panic("augment: Resample: channel mismatch")
	}
	m := wp.Post.Mul(wp.Pre)
	if wp.K == 0 && integral(m) {
		resampleInt(dst, src, m, fill)
		return
	}
	C, H, W := src.C, src.H, src.W
	plane := H * W
	oplane := dst.H * dst.W
	// Coordinates beyond ±lim are all "far outside"; clamping them keeps the
	// int conversion defined (NaN is treated as outside too).
	const lim = 1 << 30
	for y := 0; y < dst.H; y++ {
		for x := 0; x < dst.W; x++ {
			var sx, sy float64
			if wp.K == 0 {
				sx, sy = m.Apply(float64(x), float64(y))
			} else {
				sx, sy = wp.Map(float64(x), float64(y))
			}
			o := y*dst.W + x
			if !(sx > -lim && sx < lim && sy > -lim && sy < lim) {
				if fill.Mode == FillConstant || sx != sx || sy != sy {
					for c := 0; c < C; c++ {
						dst.Pix[c*oplane+o] = fill.Value
					}
					continue
				}
				sx, sy = math.Max(-lim, math.Min(lim, sx)), math.Max(-lim, math.Min(lim, sy))
			}
			fx0, fy0 := math.Floor(sx), math.Floor(sy)
			x0, y0 := int(fx0), int(fy0)
			ax, ay := float32(sx-fx0), float32(sy-fy0)
			if x0 >= 0 && x0+1 < W && y0 >= 0 && y0+1 < H {
				// Interior: no border lookups.
				i00 := y0*W + x0
				for c := 0; c < C; c++ {
					p := src.Pix[c*plane+i00 : c*plane+i00+W+2]
					top := (1-ax)*p[0] + ax*p[1]
					bot := (1-ax)*p[W] + ax*p[W+1]
					dst.Pix[c*oplane+o] = (1-ay)*top + ay*bot
				}
				continue
			}
			xa, okxa := fill.index(x0, W)
			xb, okxb := fill.index(x0+1, W)
			ya, okya := fill.index(y0, H)
			yb, okyb := fill.index(y0+1, H)
			i00, i01, i10, i11 := ya*W+xa, ya*W+xb, yb*W+xa, yb*W+xb
			ok00, ok01, ok10, ok11 := okya && okxa, okya && okxb, okyb && okxa, okyb && okxb
			for c := 0; c < C; c++ {
				p := src.Pix[c*plane : (c+1)*plane]
				v00, v01, v10, v11 := fill.Value, fill.Value, fill.Value, fill.Value
				if ok00 {
					v00 = p[i00]
				}
				if ok01 {
					v01 = p[i01]
				}
				if ok10 {
					v10 = p[i10]
				}
				if ok11 {
					v11 = p[i11]
				}
				top := (1-ax)*v00 + ax*v01
				bot := (1-ax)*v10 + ax*v11
				dst.Pix[c*oplane+o] = (1-ay)*top + ay*bot
			}
		}
	}
}

// integral reports whether m maps the pixel grid onto itself: a signed
// permutation of the axes plus a whole-pixel shift (flips, crops, integer
// translations, quarter turns).
func integral(m Affine) bool {
	for _, v := range m {
		if v != math.Trunc(v) || math.Abs(v) > 1<<30 {
			return false
		}
	}
	return (math.Abs(m[0])+math.Abs(m[1]) == 1) && (math.Abs(m[3])+math.Abs(m[4]) == 1)
}

// resampleInt is Resample for an integral map: every output pixel copies one
// input pixel (or the fill), which is what bilinear interpolation gives at
// grid points, without the interpolation.
func resampleInt(dst, src *Image, m Affine, fill Fill) {
	H, W := src.H, src.W
	plane, oplane := H*W, dst.H*dst.W
	a, b, c, d, e, f := int(m[0]), int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5])
	for y := 0; y < dst.H; y++ {
		for x := 0; x < dst.W; x++ {
			o := y*dst.W + x
			sx, okx := fill.index(a*x+b*y+c, W)
			sy, oky := fill.index(d*x+e*y+f, H)
			if !okx || !oky {
				for ch := 0; ch < src.C; ch++ {
					dst.Pix[ch*oplane+o] = fill.Value
				}
				continue
			}
			i := sy*W + sx
			for ch := 0; ch < src.C; ch++ {
				dst.Pix[ch*oplane+o] = src.Pix[ch*plane+i]
			}
		}
	}
}
