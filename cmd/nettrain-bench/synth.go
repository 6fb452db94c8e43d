package main

import (
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// synthClasses is the number of class folders of a synthetic data set.
const synthClasses = 10

// synthFolder describes a synthetic image folder (data.format: folder) of
// random RGB pixels: the RGB bench models time the compute, which does not
// depend on what the pixels show.
type synthFolder struct {
	train, test int // images per split, spread over synthClasses classes
	size        int // width and height
	seed        uint64
}

// write makes dir/{train,test}/class<k>/<i>.png and returns dir. The
// images depend on the seed only, so two runs read the same files.
func (s synthFolder) write(dir string) (string, error) {
	rng := rand.New(rand.NewPCG(s.seed, 0x5eed))
	img := image.NewNRGBA(image.Rect(0, 0, s.size, s.size))
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	for _, split := range []struct {
		name string
		n    int
	}{{"train", s.train}, {"test", s.test}} {
		for k := 0; k < synthClasses; k++ {
			if err := os.MkdirAll(filepath.Join(dir, split.name, fmt.Sprintf("class%d", k)), 0o755); err != nil {
				return "", err
			}
		}
		for i := 0; i < split.n; i++ {
			for p := range img.Pix {
				if p%4 == 3 {
					img.Pix[p] = 255 // opaque
				} else {
					img.Pix[p] = uint8(rng.Uint32())
				}
			}
			path := filepath.Join(dir, split.name, fmt.Sprintf("class%d", i%synthClasses), fmt.Sprintf("%06d.png", i))
			if err := writePNG(path, img, &enc); err != nil {
				return "", err
			}
		}
	}
	return dir, nil
}

// writePNG encodes img into a new file at path.
func writePNG(path string, img image.Image, enc *png.Encoder) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := enc.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
