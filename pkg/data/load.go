package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// idxSplitFiles maps a split name to its (images, labels) file names,
// without the optional ".gz".
var idxSplitFiles = map[string][2]string{
	"train": {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"},
	"test":  {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"},
}

// pixelScale maps a byte to its float32 value in [0,1], b/255: the one
// conversion of byte storage (see [Dataset]) and of the image decoders.
var pixelScale = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// LoadIDXDir loads one split of an MNIST-style IDX folder. split is "train"
// (train-images-idx3-ubyte, train-labels-idx1-ubyte) or "test"
// (t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte); for each file NAME.gz
// is used if present, else the raw NAME.
//
// Images must be 3-D (N,H,W) and give a byte-stored Dataset of shape
// (N,1,H,W), pixels standing for 0..255 scaled to [0,1]; labels must be 1-D (N,). Classes is
// the largest label + 1, and ClassNames is a copy of [FashionMNISTClasses]
// when Classes == 10 and the images are 28x28 (nil otherwise).
//
// Errors are one line and name the folder or file, e.g.
//
//	data.dir /x: no such folder
//	data.dir /x: neither train-images-idx3-ubyte.gz nor train-images-idx3-ubyte found
//	data.dir /x: 2000 images in train-images-idx3-ubyte.gz but 1999 labels in train-labels-idx1-ubyte.gz
//	idx /x/train-labels-idx1-ubyte.gz: labels must be 1-D (N,), got dims [10 2]
func LoadIDXDir(dir, split string) (*Dataset, error) {
	names, ok := idxSplitFiles[split]
	if !ok {
		return nil, fmt.Errorf("data: unknown split %q, want \"train\" or \"test\"", split)
	}
	switch st, err := os.Stat(dir); {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("data.dir %s: no such folder", dir)
	case err != nil:
		return nil, fmt.Errorf("data.dir %s: %v", dir, unwrapPath(err))
	case !st.IsDir():
		return nil, fmt.Errorf("data.dir %s: not a folder", dir)
	}

	imgPath, err := findIDX(dir, names[0])
	if err != nil {
		return nil, err
	}
	labPath, err := findIDX(dir, names[1])
	if err != nil {
		return nil, err
	}

	imgDims, img, err := ReadIDXFile(imgPath)
	if err != nil {
		return nil, err
	}
	if len(imgDims) != 3 {
		return nil, fmt.Errorf("idx %s: images must be 3-D (N,H,W), got dims %v", imgPath, imgDims)
	}
	labDims, lab, err := ReadIDXFile(labPath)
	if err != nil {
		return nil, err
	}
	if len(labDims) != 1 {
		return nil, fmt.Errorf("idx %s: labels must be 1-D (N,), got dims %v", labPath, labDims)
	}
	n, h, w := imgDims[0], imgDims[1], imgDims[2]
	if labDims[0] != n {
		return nil, fmt.Errorf("data.dir %s: %d images in %s but %d labels in %s",
			dir, n, filepath.Base(imgPath), labDims[0], filepath.Base(labPath))
	}
	if n == 0 || h == 0 || w == 0 {
		return nil, fmt.Errorf("idx %s: no data, dims %v", imgPath, imgDims)
	}

	d := &Dataset{
		Pixels: img,
		Y:      make([]int32, n),
		N:      n, C: 1, H: h, W: w,
	}
	maxLabel := 0
	// Labels are unsigned bytes, hence in [0,256) by construction; every
	// label is < Classes because Classes is derived from the largest one.
	for i, b := range lab {
		d.Y[i] = int32(b)
		maxLabel = max(maxLabel, int(b))
	}
	d.Classes = maxLabel + 1
	if d.Classes == 10 && h == 28 && w == 28 {
		d.ClassNames = slices.Clone(FashionMNISTClasses)
	}
	return d, nil
}

// findIDX returns the path of NAME.gz or NAME in dir, preferring NAME.gz.
func findIDX(dir, name string) (string, error) {
	for _, cand := range []string{name + ".gz", name} {
		p := filepath.Join(dir, cand)
		st, err := os.Stat(p)
		if err == nil && !st.IsDir() {
			return p, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("idx %s: %v", p, unwrapPath(err))
		}
	}
	return "", fmt.Errorf("data.dir %s: neither %s.gz nor %s found", dir, name, name)
}

// unwrapPath strips the *fs.PathError wrapper (whose message repeats the
// path) so the caller can name the path once.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
