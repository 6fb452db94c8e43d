package data

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecodeImage feeds arbitrary bytes to the image folder's decoders as
// one entry of a class folder: the header read, then the decode into float
// storage and into byte storage. Neither panics, errors are one line, and
// when both decode, the bytes read as the floats bit for bit; an image the
// bytes cannot hold decodes into floats.
func FuzzDecodeImage(f *testing.F) {
	enc := func(m image.Image, jpg bool) []byte {
		var b bytes.Buffer
		var err error
		if jpg {
			err = jpeg.Encode(&b, m, &jpeg.Options{Quality: 90})
		} else {
			err = png.Encode(&b, m)
		}
		if err != nil {
			f.Fatal(err)
		}
		return b.Bytes()
	}
	gray := image.NewGray(image.Rect(0, 0, 3, 2))
	gray.Pix[4] = 200
	rgba := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	rgba.SetNRGBA(1, 1, color.NRGBA{10, 20, 30, 128})
	g16 := image.NewGray16(image.Rect(0, 0, 2, 1))
	g16.SetGray16(1, 0, color.Gray16{1000})
	pal := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 64, 128}})
	pal.SetColorIndex(1, 0, 1)
	valid := enc(gray, false)
	for _, seed := range [][]byte{valid, enc(rgba, false), enc(g16, false), enc(pal, false), enc(rgba, true), enc(gray, true),
		valid[:len(valid)/2], []byte("\x89PNG\r\n\x1a\n garbage"), {0xff, 0xd8, 0xff, 0}, {}} {
		f.Add(seed)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, in []byte) {
		path := filepath.Join(dir, "x.png")
		if err := os.WriteFile(path, in, 0o644); err != nil {
			t.Fatal(err)
		}
		oneLine := func(err error) {
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
		}
		cfg, err := decodeConfig(path)
		oneLine(err)
		if err != nil || cfg.Width < 1 || cfg.Height < 1 || cfg.Width*cfg.Height > 1<<12 {
			return // the loader refuses such sizes before decoding, or keep the fuzzer fast
		}
		c := 3
		if grayModel(cfg.ColorModel) {
			c = 1
		}
		n := c * cfg.Width * cfg.Height
		fl, by := make([]float32, n), make([]uint8, n)
		errF := decodeInto(path, fl, c, cfg.Width, cfg.Height)
		errB := decodeBytesInto(path, by, c, cfg.Width, cfg.Height)
		oneLine(errF)
		oneLine(errB)
		switch {
		case errB == nil && errF == nil:
			for i, b := range by {
				if math.Float32bits(pixelScale[b]) != math.Float32bits(fl[i]) {
					t.Fatalf("value %d: byte %d reads %v, float decode %v", i, b, pixelScale[b], fl[i])
				}
			}
		case errors.Is(errB, errWidePixels) && errF != nil:
			t.Fatalf("bytes need floats, but the float decode fails: %v", errF)
		case (errB == nil) != (errF == nil) && !errors.Is(errB, errWidePixels):
			t.Fatalf("one decode fails: bytes %v, floats %v", errB, errF)
		}
	})
}
