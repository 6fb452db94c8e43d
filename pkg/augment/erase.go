package augment

import (
	"math"
	"math/rand/v2"
)

// Erase is Random Erasing (Zhong et al. 2017; torchvision RandomErasing):
// draw a rectangle covering a fraction U(Scale) of the area with aspect
// ratio h/w = exp(U(log Ratio)), rounded to whole pixels, at a uniform
// position inside the image (up to 10 attempts; if none fits, nothing is
// erased), and overwrite it in every channel with zeros or, with Noise,
// with U[0,1) noise (the paper's random values). Draws: per attempt the
// scale and the log ratio; on success the noise values (channel by channel,
// row by row) and then the top row and left column.
type Erase struct {
	Scale [2]float64 // area fraction range, within (0, 1); torchvision's default [0.02, 0.33]
	Ratio [2]float64 // aspect ratio range, > 0; torchvision's default [0.3, 3.3]
	Noise bool       // fill with U[0,1) noise instead of zeros
}

// Validate checks the parameters.
func (o Erase) Validate() error {
	if err := checkRange("scale", o.Scale, 0, 1, true); err != nil {
		return err
	}
	if o.Scale[1] == 1 {
		return perr("scale", "must lie in (0, 1), got [%g, %g]", o.Scale[0], o.Scale[1])
	}
	return checkRange("ratio", o.Ratio, 0, math.MaxFloat64, true)
}

// Apply implements Op.
func (o Erase) Apply(img *Image, r *rand.Rand) {
	img.check("Erase")
	mustValid("Erase", o.Validate())
	area := float64(img.H * img.W)
	lr0, lr1 := math.Log(o.Ratio[0]), math.Log(o.Ratio[1])
	for range 10 {
		target := area * uniform(r, o.Scale[0], o.Scale[1])
		aspect := math.Exp(uniform(r, lr0, lr1))
		h := int(math.Round(math.Sqrt(target * aspect)))
		w := int(math.Round(math.Sqrt(target / aspect)))
		if !(h < img.H && w < img.W) {
			continue
		}
		var noise []float32
		if o.Noise {
			noise = make([]float32, img.C*h*w)
			for k := range noise {
				noise[k] = r.Float32()
			}
		}
		i := r.IntN(img.H - h + 1)
		j := r.IntN(img.W - w + 1)
		fillRect(img, i, j, i+h, j+w, noise)
		return
	}
}

// fillRect overwrites rows [y0, y1) and columns [x0, x1) of every channel
// with zeros, or with noise (shape (C, y1−y0, x1−x0)) when it is non-nil.
func fillRect(img *Image, y0, x0, y1, x1 int, noise []float32) {
	plane := img.H * img.W
	k := 0
	for c := range img.C {
		for y := y0; y < y1; y++ {
			row := img.Pix[c*plane+y*img.W+x0 : c*plane+y*img.W+x1]
			if noise == nil {
				clear(row)
				continue
			}
			k += copy(row, noise[k:])
		}
	}
}

// Cutout is Cutout (DeVries & Taylor 2017): a Size×Size square whose centre
// is uniform over the image (so it may hang over the border and be clipped)
// is set to zero in every channel, or to U[0,1) noise with Noise. Draws: the
// centre row, the centre column, then the noise values.
type Cutout struct {
	Size  int  // side of the square in pixels, >= 1 (16 for CIFAR-10 in the paper)
	Noise bool // fill with U[0,1) noise instead of zeros
}

// Validate checks the parameters.
func (o Cutout) Validate() error {
	if o.Size < 1 {
		return perr("size", "must be >= 1 pixel, got %d", o.Size)
	}
	return nil
}

// Apply implements Op.
func (o Cutout) Apply(img *Image, r *rand.Rand) {
	img.check("Cutout")
	mustValid("Cutout", o.Validate())
	cy, cx := r.IntN(img.H), r.IntN(img.W)
	y0, y1 := max(0, cy-o.Size/2), min(img.H, cy-o.Size/2+o.Size)
	x0, x1 := max(0, cx-o.Size/2), min(img.W, cx-o.Size/2+o.Size)
	var noise []float32
	if o.Noise {
		noise = make([]float32, img.C*(y1-y0)*(x1-x0))
		for k := range noise {
			noise[k] = r.Float32()
		}
	}
	fillRect(img, y0, x0, y1, x1, noise)
}
