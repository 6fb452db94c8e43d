// Command nettrain-datagen writes synthetic image data sets for the data
// loading measurements (README, "Data at scale"): an image folder of PNGs
// or JPEGs (data.format: folder), or packed files (data.format: packed)
// written directly, without a folder in between:
//
//	nettrain-datagen folder DIR --train 50000 --test 1000 --size 64 --ext jpg
//	nettrain-datagen packed DIR --train 1000000 --test 1000 --size 32
//
// The images are RGB, size×size: class k's tint (one of 10 hues) over a
// gradient and pixel noise, so a model can learn the labels and a JPEG
// encoder meets something between a photo and noise. They depend only on
// --seed and the example index, so two runs write the same bytes.
//
// Exit status: 0 success, 1 a write failed, 2 bad usage.
package main

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/nettrain/nettrain/pkg/data"
)

// classes is the number of classes of a synthetic data set.
const classes = 10

// options are the flags of both forms.
type options struct {
	train, test, size int
	ext               string
	seed              uint64
}

func main() { os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr)) }

// usageError is a bad command line (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func execute(args []string, stdout, stderr io.Writer) int {
	err := run(args, stdout, stderr)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "nettrain-datagen: %s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) < 2 || (args[0] != "folder" && args[0] != "packed") {
		return &usageError{"usage: nettrain-datagen folder|packed DIR [--train N] [--test N] [--size S] [--ext png|jpg] [--seed S]"}
	}
	kind, dir := args[0], args[1]
	o := options{}
	fs := flag.NewFlagSet("nettrain-datagen "+kind, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.train, "train", 50000, "training images")
	fs.IntVar(&o.test, "test", 1000, "test images")
	fs.IntVar(&o.size, "size", 64, "image width and height")
	fs.StringVar(&o.ext, "ext", "jpg", "folder image format: png or jpg (JPEG quality 90)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the pixel noise")
	if err := fs.Parse(args[2:]); err != nil {
		return &usageError{err.Error()}
	}
	switch {
	case o.train < 1 || o.test < 0:
		return &usageError{fmt.Sprintf("--train %d --test %d: want >= 1 and >= 0", o.train, o.test)}
	case o.size < 1 || o.size > 4096:
		return &usageError{fmt.Sprintf("--size %d: want 1..4096", o.size)}
	case o.ext != "png" && o.ext != "jpg":
		return &usageError{fmt.Sprintf("--ext %q: allowed: png, jpg", o.ext)}
	}
	for _, split := range []struct {
		name string
		n    int
	}{{"train", o.train}, {"test", o.test}} {
		if split.n == 0 {
			continue
		}
		var err error
		if kind == "folder" {
			err = writeFolder(filepath.Join(dir, split.name), split.name, split.n, o)
		} else {
			err = writePacked(data.PackedSplitFile(dir, split.name), split.name, split.n, o)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d images of %dx%d RGB -> %s\n", split.name, split.n, o.size, o.size, dir)
	}
	return nil
}

// hues are the classes' tints (R, G, B).
var hues = [classes][3]float64{
	{1, .2, .2}, {.2, 1, .2}, {.2, .2, 1}, {1, 1, .2}, {1, .2, 1},
	{.2, 1, 1}, {1, .6, .2}, {.6, .2, 1}, {.5, .5, .5}, {1, 1, 1},
}

// example writes image i of split (label i mod 10) into pix, shape (3, s, s)
// (planes R, G, B) and returns its label.
func example(pix []uint8, split string, i int, o options) int32 {
	label := i % classes
	stream := uint64(i)
	if split == "test" {
		stream |= 1 << 62
	}
	r := rand.New(rand.NewPCG(o.seed, stream))
	s := o.size
	gx, gy := r.Float64(), r.Float64() // gradient direction
	for c := range 3 {
		for y := range s {
			for x := range s {
				g := 0.5 + 0.5*(gx*float64(x)+gy*float64(y))/float64(s)
				v := 255*hues[label][c]*g*0.8 + float64(r.IntN(64))
				pix[(c*s+y)*s+x] = uint8(min(255, v))
			}
		}
	}
	return int32(label)
}

// writeFolder writes dir/class<k>/<i>.<ext>.
func writeFolder(dir, split string, n int, o options) error {
	for k := range classes {
		if err := os.MkdirAll(filepath.Join(dir, fmt.Sprintf("class%d", k)), 0o755); err != nil {
			return err
		}
	}
	s := o.size
	pix := make([]uint8, 3*s*s)
	img := image.NewRGBA(image.Rect(0, 0, s, s))
	for i := range n {
		label := example(pix, split, i, o)
		for p := range s * s {
			img.Pix[4*p], img.Pix[4*p+1], img.Pix[4*p+2], img.Pix[4*p+3] = pix[p], pix[s*s+p], pix[2*s*s+p], 255
		}
		path := filepath.Join(dir, fmt.Sprintf("class%d", label), fmt.Sprintf("%07d.%s", i, o.ext))
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if o.ext == "jpg" {
			err = jpeg.Encode(f, img, &jpeg.Options{Quality: 90})
		} else {
			err = png.Encode(f, img)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

// writePacked writes a packed file of n examples at path.
func writePacked(path, split string, n int, o options) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	names := make([]string, classes)
	for k := range names {
		names[k] = fmt.Sprintf("class%d", k)
	}
	pw, err := data.NewPackWriter(path, 3, o.size, o.size, classes, names, 0)
	if err != nil {
		return err
	}
	pix := make([]uint8, 3*o.size*o.size)
	for i := range n {
		if err := pw.Add(pix, example(pix, split, i, o)); err != nil {
			pw.Abort()
			return err
		}
	}
	return pw.Close()
}
