package data

import (
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/image/draw"
)

// ImageFiles lists the PNG and JPEG files a list of inputs names, in
// order: a file as it is (it must have a .png, .jpg or .jpeg extension),
// a folder by the image files below it, recursively, in lexical order
// (hidden files and folders skipped). An input that is neither, or a
// folder without images, is an error naming it.
func ImageFiles(inputs []string) ([]string, error) {
	var out []string
	for _, in := range inputs {
		st, err := os.Stat(in)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", in, unwrapPath(err))
		}
		if !st.IsDir() {
			if !isImageName(in) {
				return nil, fmt.Errorf("%s: not an image file (allowed: %s) or a folder of them", in, strings.Join(imageExts, ", "))
			}
			out = append(out, in)
			continue
		}
		before := len(out)
		err = filepath.WalkDir(in, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != in && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() && isImageName(p) {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %v", in, unwrapPath(err))
		}
		if len(out) == before {
			return nil, fmt.Errorf("%s: no %s images in the folder", in, strings.Join(imageExts, "/"))
		}
	}
	return out, nil
}

// DecodeImage decodes the PNG or JPEG file at path into dst, shape
// (c,h,w), scaled to [0,1] as the folder loader does (a gray image fills
// all three channels of a c = 3 input). An image of another size is an
// error unless resize, which scales it to w×h first (bilinear,
// golang.org/x/image/draw). A colour image for c = 1, or a file that does
// not decode, is an error saying so.
func DecodeImage(path string, dst []float32, c, h, w int, resize bool) error {
	cfg, err := decodeConfig(path)
	if err != nil {
		return err
	}
	if c == 1 && !grayModel(cfg.ColorModel) {
		return fmt.Errorf("a colour image, the model takes 1 channel (grayscale)")
	}
	if cfg.Width == w && cfg.Height == h {
		return decodeInto(path, dst, c, w, h)
	}
	if !resize {
		return fmt.Errorf("image is %dx%d, the model takes %dx%d (--resize scales it)", cfg.Width, cfg.Height, w, h)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width*cfg.Height > maxImagePixels {
		return fmt.Errorf("unsupported image size %dx%d (want 1..%d pixels)", cfg.Width, cfg.Height, maxImagePixels)
	}
	img, err := decodeImage(path)
	if err != nil {
		return err
	}
	var scaled draw.Image = image.NewNRGBA(image.Rect(0, 0, w, h))
	if grayModel(img.ColorModel()) {
		scaled = image.NewGray(image.Rect(0, 0, w, h))
	}
	draw.BiLinear.Scale(scaled, scaled.Bounds(), img, img.Bounds(), draw.Src, nil)
	return pixelsInto(scaled, dst, c, w, h)
}
