package augment

import (
	"math"
	"math/rand/v2"
)

// ColorJitter is torchvision's ColorJitter: it draws a brightness factor
// from U(max(0, 1−Brightness), 1+Brightness), likewise contrast and
// saturation factors, and a hue shift from U(−Hue, Hue), and applies the
// adjustments in a random order (each result clamped to [0,1]). A zero
// parameter disables its adjustment. Saturation and hue need RGB (C = 3)
// and are skipped for other channel counts (Pipeline.OutShape reports them
// as an error); brightness and contrast work for any C, contrast then
// blending with the mean of all values (the grayscale mean for C = 1 or 3).
// Draws: a permutation of the four adjustments, then one factor for each
// enabled one in the order brightness, contrast, saturation, hue.
type ColorJitter struct {
	Brightness float64 // >= 0
	Contrast   float64 // >= 0
	Saturation float64 // >= 0
	Hue        float64 // in [0, 0.5], a fraction of the hue circle
}

// Validate checks the parameters.
func (o ColorJitter) Validate() error {
	for _, p := range []struct {
		name string
		v    float64
	}{{"brightness", o.Brightness}, {"contrast", o.Contrast}, {"saturation", o.Saturation}} {
		if err := checkScalar(p.name, p.v, 0, 1e6); err != nil {
			return err
		}
	}
	return checkScalar("hue", o.Hue, 0, 0.5)
}

// outShape implements shaper.
func (o ColorJitter) outShape(c, h, w int) (int, int, int, error) {
	if c != 3 && o.Saturation != 0 {
		return 0, 0, 0, perr("saturation", "needs RGB images (C=3), the data has C=%d", c)
	}
	if c != 3 && o.Hue != 0 {
		return 0, 0, 0, perr("hue", "needs RGB images (C=3), the data has C=%d", c)
	}
	return c, h, w, nil
}

// Apply implements Op.
func (o ColorJitter) Apply(img *Image, r *rand.Rand) {
	img.check("ColorJitter")
	mustValid("ColorJitter", o.Validate())
	order := r.Perm(4)
	var f [4]float64
	for k, v := range [3]float64{o.Brightness, o.Contrast, o.Saturation} {
		if v != 0 {
			f[k] = uniform(r, math.Max(0, 1-v), 1+v)
		}
	}
	if o.Hue != 0 {
		f[3] = uniform(r, -o.Hue, o.Hue)
	}
	for _, k := range order {
		switch {
		case k == 0 && o.Brightness != 0:
			adjustBrightness(img, float32(f[0]))
		case k == 1 && o.Contrast != 0:
			adjustContrast(img, float32(f[1]))
		case k == 2 && o.Saturation != 0 && img.C == 3:
			adjustSaturation(img, float32(f[2]))
		case k == 3 && o.Hue != 0 && img.C == 3:
			adjustHue(img, float32(f[3]))
		}
	}
}

// gray returns the luma of pixel i of an RGB image, torchvision's
// rgb_to_grayscale weights.
func gray(p []float32, plane, i int) float32 {
	return 0.2989*p[i] + 0.587*p[plane+i] + 0.114*p[2*plane+i]
}

// blend returns f·a + (1−f)·b clamped to [0,1] (torchvision's _blend).
func blend(a, b, f float32) float32 { return clamp01(f*a + (1-f)*b) }

// adjustBrightness multiplies every value by f (torchvision adjust_brightness).
func adjustBrightness(img *Image, f float32) {
	for i, v := range img.Pix {
		img.Pix[i] = clamp01(f * v)
	}
}

// mean returns the mean of the image's grayscale (C = 3) or of all its
// values (other C), accumulated in float64.
func mean(img *Image) float32 {
	var s float64
	plane := img.H * img.W
	if img.C == 3 {
		for i := range plane {
			s += float64(gray(img.Pix, plane, i))
		}
		return float32(s / float64(plane))
	}
	for _, v := range img.Pix {
		s += float64(v)
	}
	return float32(s / float64(len(img.Pix)))
}

// adjustContrast blends the image with its mean gray (torchvision
// adjust_contrast).
func adjustContrast(img *Image, f float32) {
	m := mean(img)
	for i, v := range img.Pix {
		img.Pix[i] = blend(v, m, f)
	}
}

// adjustSaturation blends an RGB image with its grayscale version
// (torchvision adjust_saturation).
func adjustSaturation(img *Image, f float32) {
	plane := img.H * img.W
	for i := range plane {
		g := gray(img.Pix, plane, i)
		for c := range 3 {
			img.Pix[c*plane+i] = blend(img.Pix[c*plane+i], g, f)
		}
	}
}

// adjustHue rotates the hue of an RGB image by shift (a fraction of the
// circle) through HSV, as torchvision's adjust_hue on float tensors.
func adjustHue(img *Image, shift float32) {
	plane := img.H * img.W
	p := img.Pix
	for i := range plane {
		h, s, v := rgbToHSV(p[i], p[plane+i], p[2*plane+i])
		h += shift
		h -= float32(math.Floor(float64(h)))
		p[i], p[plane+i], p[2*plane+i] = hsvToRGB(h, s, v)
	}
}

// rgbToHSV follows torchvision's _rgb2hsv: h in [0,1).
func rgbToHSV(r, g, b float32) (h, s, v float32) {
	maxc := max(r, g, b)
	minc := min(r, g, b)
	cr := maxc - minc
	v = maxc
	if maxc == 0 {
		s = 0
	} else {
		s = cr / maxc
	}
	if cr == 0 {
		return 0, s, v
	}
	rc, gc, bc := (maxc-r)/cr, (maxc-g)/cr, (maxc-b)/cr
	switch {
	case maxc == r:
		h = bc - gc
	case maxc == g:
		h = 2 + rc - bc
	default:
		h = 4 + gc - rc
	}
	h /= 6
	h -= float32(math.Floor(float64(h)))
	return h, s, v
}

// hsvToRGB follows torchvision's _hsv2rgb.
func hsvToRGB(h, s, v float32) (r, g, b float32) {
	h6 := h * 6
	fi := float32(math.Floor(float64(h6)))
	f := h6 - fi
	i := int(fi) % 6
	if i < 0 {
		i += 6
	}
	p := clamp01(v * (1 - s))
	q := clamp01(v * (1 - s*f))
	t := clamp01(v * (1 - s*(1-f)))
	switch i {
	case 0:
		return v, t, p
	case 1:
		return q, v, p
	case 2:
		return p, v, t
	case 3:
		return p, q, v
	case 4:
		return t, p, v
	}
	return v, p, q
}

// adjustSharpness blends the image with its 3x3-smoothed version (kernel
// [1 1 1; 1 5 1; 1 1 1]/13 on interior pixels, border pixels kept), as
// torchvision's adjust_sharpness.
func adjustSharpness(img *Image, f float32) {
	H, W := img.H, img.W
	if H < 3 || W < 3 {
		return
	}
	plane := H * W
	row := make([]float32, 2*W) // the previous and current original rows
	for c := range img.C {
		p := img.Pix[c*plane : (c+1)*plane]
		copy(row[:W], p[:W])
		for y := 1; y < H-1; y++ {
			copy(row[W:], p[y*W:(y+1)*W])
			for x := 1; x < W-1; x++ {
				up, mid, dn := row[x-1:x+2], row[W+x-1:W+x+2], p[(y+1)*W+x-1:(y+1)*W+x+2]
				s := up[0] + up[1] + up[2] + mid[0] + 5*mid[1] + mid[2] + dn[0] + dn[1] + dn[2]
				p[y*W+x] = blend(mid[1], s/13, f)
			}
			copy(row[:W], row[W:])
		}
	}
}

// quantize returns v as an 8-bit level, round(clamp(v)·255),
// the conversion the uint8-only PIL operations imply.
func quantize(v float32) int {
	return int(clamp01(v)*255 + 0.5)
}

// posterize keeps the top bits bits of each 8-bit level.
func posterize(img *Image, bits int) {
	mask := ^(1<<(8-bits) - 1) & 0xff
	for i, v := range img.Pix {
		img.Pix[i] = float32(quantize(v)&mask) / 255
	}
}

// solarize inverts every value >= threshold (torchvision solarize).
func solarize(img *Image, threshold float32) {
	for i, v := range img.Pix {
		if v >= threshold {
			img.Pix[i] = 1 - v
		}
	}
}

// autocontrast stretches each channel to span [0,1] (torchvision
// autocontrast); a constant channel is left as is.
func autocontrast(img *Image) {
	plane := img.H * img.W
	for c := range img.C {
		p := img.Pix[c*plane : (c+1)*plane]
		lo, hi := p[0], p[0]
		for _, v := range p {
			lo, hi = min(lo, v), max(hi, v)
		}
		if hi == lo {
			continue
		}
		s := 1 / (hi - lo)
		for i, v := range p {
			p[i] = clamp01((v - lo) * s)
		}
	}
}

// equalize equalizes the 8-bit histogram of each channel (torchvision
// equalize's _scale_channel on the quantized values).
func equalize(img *Image) {
	plane := img.H * img.W
	for c := range img.C {
		p := img.Pix[c*plane : (c+1)*plane]
		var hist [256]int
		for _, v := range p {
			hist[quantize(v)]++
		}
		last := 255
		for last > 0 && hist[last] == 0 {
			last--
		}
		step := (plane - hist[last]) / 255
		if step == 0 {
			continue
		}
		var lut [256]int
		cum := 0
		for k := range 255 {
			cum += hist[k]
			lut[k+1] = min(255, (cum+step/2)/step)
		}
		for i, v := range p {
			p[i] = float32(lut[quantize(v)]) / 255
		}
	}
}
