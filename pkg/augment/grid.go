package augment

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
)

// gridGap is the separator width in pixels between and around the cells of
// a WriteGrid image, drawn in mid gray.
const gridGap = 2

// WriteGrid writes a PNG preview: row i shows originals[i] then
// augmented[i][0], augmented[i][1], … (augmented may be nil, or hold fewer
// versions for some rows; len(augmented) must be 0 or len(originals)). Every
// cell is as large as the largest image (smaller ones sit at its top left),
// separated by 2-pixel gray lines, so the PNG is cols·(W+2)+2 by
// rows·(H+2)+2 pixels with cols = 1 + the longest row of augmented. Values
// are clamped to [0,1] and scaled to 0–255. All images C = 1 give a
// grayscale PNG; otherwise an RGB one, where C = 1 images show as gray and
// C = 3 as RGB. Other channel counts and malformed images are errors.
func WriteGrid(w io.Writer, originals []Image, augmented [][]Image) error {
	if len(originals) == 0 {
		return errors.New("augment: WriteGrid: no images")
	}
	if len(augmented) != 0 && len(augmented) != len(originals) {
		return fmt.Errorf("augment: WriteGrid: %d rows of augmented images for %d originals", len(augmented), len(originals))
	}
	rows := make([][]Image, len(originals))
	cols, ch, cw, gray := 1, 0, 0, true
	for i := range originals {
		rows[i] = append([]Image{originals[i]}, augmentedRow(augmented, i)...)
		cols = max(cols, len(rows[i]))
		for j, m := range rows[i] {
			if m.C < 1 || m.H < 1 || m.W < 1 || len(m.Pix) != m.C*m.H*m.W {
				return fmt.Errorf("augment: WriteGrid: image [%d][%d]: shape (%d,%d,%d) does not match len(Pix)=%d", i, j, m.C, m.H, m.W, len(m.Pix))
			}
			if m.C != 1 && m.C != 3 {
				return fmt.Errorf("augment: WriteGrid: image [%d][%d]: %d channels; only 1 (gray) or 3 (RGB) can be shown", i, j, m.C)
			}
			gray = gray && m.C == 1
			ch, cw = max(ch, m.H), max(cw, m.W)
		}
	}
	bounds := image.Rect(0, 0, cols*(cw+gridGap)+gridGap, len(rows)*(ch+gridGap)+gridGap)
	var dst interface {
		image.Image
		Set(x, y int, c color.Color)
	}
	if gray {
		dst = image.NewGray(bounds)
	} else {
		dst = image.NewRGBA(bounds)
	}
	bg := color.Gray{Y: 128}
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			dst.Set(x, y, bg)
		}
	}
	for i, row := range rows {
		for j, m := range row {
			ox, oy := gridGap+j*(cw+gridGap), gridGap+i*(ch+gridGap)
			plane := m.H * m.W
			for y := range m.H {
				for x := range m.W {
					k := y*m.W + x
					if m.C == 1 {
						dst.Set(ox+x, oy+y, color.Gray{Y: byte8(m.Pix[k])})
						continue
					}
					dst.Set(ox+x, oy+y, color.RGBA{R: byte8(m.Pix[k]), G: byte8(m.Pix[plane+k]), B: byte8(m.Pix[2*plane+k]), A: 255})
				}
			}
		}
	}
	if err := png.Encode(w, dst); err != nil {
		return fmt.Errorf("augment: WriteGrid: %w", err)
	}
	return nil
}

// augmentedRow returns augmented[i], or nil when augmented is empty.
func augmentedRow(augmented [][]Image, i int) []Image {
	if len(augmented) == 0 {
		return nil
	}
	return augmented[i]
}

// byte8 maps v to round(clamp(v, 0, 1)·255); NaN maps to 0.
func byte8(v float32) uint8 {
	if !(v > 0) {
		return 0
	}
	return uint8(min(v, 1)*255 + 0.5)
}
