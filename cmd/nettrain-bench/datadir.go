package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nettrain/nettrain/pkg/data"
)

// benchTestImages is how many test images the data folder of the nettrain
// runs keeps. run.Train ends with a test evaluation that the benchmark
// does not time; on the full 10,000 images it takes longer than training a
// few thousand.
const benchTestImages = 1000

// benchDataDir makes dir/data: the training files of src linked, and the
// first benchTestImages examples of its test set written as plain IDX files.
// It returns the folder.
func benchDataDir(src, dir string) (string, error) {
	out := filepath.Join(dir, "data")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	for _, name := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte"} {
		p, err := idxPath(src, name)
		if err != nil {
			return "", err
		}
		if err := os.Symlink(p, filepath.Join(out, filepath.Base(p))); err != nil {
			return "", err
		}
	}
	for _, name := range []string{"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		p, err := idxPath(src, name)
		if err != nil {
			return "", err
		}
		dims, raw, err := data.ReadIDXFile(p)
		if err != nil {
			return "", err
		}
		if len(dims) == 0 || dims[0] == 0 {
			return "", fmt.Errorf("idx %s: no examples", p)
		}
		per := len(raw) / dims[0]
		dims[0] = min(dims[0], benchTestImages)
		if err := writeIDX(filepath.Join(out, name), dims, raw[:dims[0]*per]); err != nil {
			return "", err
		}
	}
	return out, nil
}

// idxPath is the absolute path of NAME.gz or NAME in dir.
func idxPath(dir, name string) (string, error) {
	for _, cand := range []string{name + ".gz", name} {
		p := filepath.Join(dir, cand)
		if _, err := os.Stat(p); err == nil {
			return filepath.Abs(p)
		}
	}
	return "", fmt.Errorf("data: neither %s.gz nor %s in %s", name, name, dir)
}

// writeIDX writes unsigned-byte values of shape dims as an uncompressed IDX
// file.
func writeIDX(path string, dims []int, values []byte) error {
	head := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		head = binary.BigEndian.AppendUint32(head, uint32(d))
	}
	return os.WriteFile(path, append(head, values...), 0o644)
}
