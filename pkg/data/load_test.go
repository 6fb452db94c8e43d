package data

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadIDXDirFashionMNISTSmall(t *testing.T) {
	tests := []struct {
		split  string
		n      int
		counts []int // per class, see testdata/fashion-mnist-small/README.md
	}{
		{"train", 2000, []int{194, 216, 202, 195, 186, 200, 194, 215, 198, 200}},
		{"test", 500, []int{55, 52, 65, 46, 57, 39, 47, 47, 44, 48}},
	}
	for _, tt := range tests {
		t.Run(tt.split, func(t *testing.T) {
			d, err := LoadIDXDir(smallDir, tt.split)
			if err != nil {
				t.Fatal(err)
			}
			if d.N != tt.n || d.C != 1 || d.H != 28 || d.W != 28 || d.Classes != 10 {
				t.Fatalf("got N=%d C=%d H=%d W=%d Classes=%d, want N=%d 1x28x28, 10 classes",
					d.N, d.C, d.H, d.W, d.Classes, tt.n)
			}
			if d.FeatureLen() != 784 || len(d.Pixels) != tt.n*784 || d.X != nil || len(d.Y) != tt.n {
				t.Fatalf("len(Pixels)=%d len(X)=%d len(Y)=%d FeatureLen=%d, want byte storage", len(d.Pixels), len(d.X), len(d.Y), d.FeatureLen())
			}
			if !slices.Equal(d.ClassNames, FashionMNISTClasses) {
				t.Errorf("ClassNames = %v", d.ClassNames)
			}
			x := values(d)
			lo, hi := x[0], x[0]
			for _, v := range x {
				lo, hi = min(lo, v), max(hi, v)
			}
			if lo != 0 || hi != 1 {
				t.Errorf("pixel range [%v, %v], want [0, 1]", lo, hi)
			}
			counts := make([]int, 10)
			for _, y := range d.Y {
				if y < 0 || int(y) >= d.Classes {
					t.Fatalf("label %d out of range", y)
				}
				counts[y]++
			}
			if !slices.Equal(counts, tt.counts) {
				t.Errorf("class counts %v, want %v", counts, tt.counts)
			}
		})
	}
}

// TestLoadIDXDirRawAndClasses uses uncompressed files, a non-28x28 shape and
// 3 classes: Classes comes from the largest label, ClassNames stays nil.
func TestLoadIDXDirRawAndClasses(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "t10k-images-idx3-ubyte", ubyteIDX([]uint32{4, 2, 3}, []byte{
		0, 255, 51, 102, 153, 204,
		1, 2, 3, 4, 5, 6,
		7, 8, 9, 10, 11, 12,
		13, 14, 15, 16, 17, 18,
	}))
	writeFile(t, dir, "t10k-labels-idx1-ubyte", ubyteIDX([]uint32{4}, []byte{2, 0, 1, 0}))
	d, err := LoadIDXDir(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 4 || d.C != 1 || d.H != 2 || d.W != 3 || d.Classes != 3 || d.ClassNames != nil {
		t.Fatalf("got %+v", d)
	}
	want := []float32{0, 1, 0.2, 0.4, 0.6, 0.8}
	if got := d.Example(0); !slices.Equal(got, want) {
		t.Errorf("example 0 = %v, want %v", got, want)
	}
	if !slices.Equal(d.Y, []int32{2, 0, 1, 0}) {
		t.Errorf("Y = %v", d.Y)
	}
}

// TestLoadIDXDirPrefersGz checks that NAME.gz wins over NAME.
func TestLoadIDXDirPrefersGz(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "train-images-idx3-ubyte.gz", gzipBytes(t, ubyteIDX([]uint32{1, 1, 1}, []byte{255}), ""))
	writeFile(t, dir, "train-images-idx3-ubyte", []byte("not read"))
	writeFile(t, dir, "train-labels-idx1-ubyte", ubyteIDX([]uint32{1}, []byte{0}))
	d, err := LoadIDXDir(dir, "train")
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 1 || values(d)[0] != 1 || d.Classes != 1 {
		t.Errorf("got %+v", d)
	}
}

func TestLoadIDXDirErrors(t *testing.T) {
	img := func(dims ...uint32) []byte {
		n := 1
		for _, d := range dims {
			n *= int(d)
		}
		return ubyteIDX(dims, seq(n))
	}
	lab := func(n int) []byte { return ubyteIDX([]uint32{uint32(n)}, make([]byte, n)) }
	tests := []struct {
		name  string
		split string
		files map[string][]byte // nil map: the folder does not exist
		want  string            // exact message, DIR replaced by the folder
	}{
		{"missing folder", "train", nil, "data.dir DIR: no such folder"},
		{"unknown split", "valid", map[string][]byte{}, `data: unknown split "valid", want "train" or "test"`},
		{"empty folder", "train", map[string][]byte{},
			"data.dir DIR: neither train-images-idx3-ubyte.gz nor train-images-idx3-ubyte found"},
		{"missing test labels", "test", map[string][]byte{"t10k-images-idx3-ubyte.gz": img(2, 2, 2)},
			"data.dir DIR: neither t10k-labels-idx1-ubyte.gz nor t10k-labels-idx1-ubyte found"},
		{"train files do not serve test", "test", map[string][]byte{
			"train-images-idx3-ubyte": img(2, 2, 2), "train-labels-idx1-ubyte": lab(2)},
			"data.dir DIR: neither t10k-images-idx3-ubyte.gz nor t10k-images-idx3-ubyte found"},
		{"count mismatch", "train", map[string][]byte{
			"train-images-idx3-ubyte.gz": img(3, 2, 2), "train-labels-idx1-ubyte": lab(2)},
			"data.dir DIR: 3 images in train-images-idx3-ubyte.gz but 2 labels in train-labels-idx1-ubyte"},
		{"images not 3-D", "train", map[string][]byte{
			"train-images-idx3-ubyte": img(3, 4), "train-labels-idx1-ubyte": lab(3)},
			"idx DIR/train-images-idx3-ubyte: images must be 3-D (N,H,W), got dims [3 4]"},
		{"labels not 1-D", "train", map[string][]byte{
			"train-images-idx3-ubyte": img(3, 1, 1), "train-labels-idx1-ubyte": img(3, 1)},
			"idx DIR/train-labels-idx1-ubyte: labels must be 1-D (N,), got dims [3 1]"},
		{"no examples", "train", map[string][]byte{
			"train-images-idx3-ubyte": img(0, 28, 28), "train-labels-idx1-ubyte": lab(0)},
			"idx DIR/train-images-idx3-ubyte: no data, dims [0 28 28]"},
		{"swapped files", "train", map[string][]byte{
			"train-images-idx3-ubyte": lab(3), "train-labels-idx1-ubyte": img(3, 1, 1)},
			"idx DIR/train-images-idx3-ubyte: images must be 3-D (N,H,W), got dims [3]"},
		{"not an IDX file", "train", map[string][]byte{
			"train-images-idx3-ubyte.gz": []byte("<html>"), "train-labels-idx1-ubyte": lab(3)},
			"idx DIR/train-images-idx3-ubyte.gz: bad magic 0x3c68746d, want 0x00000803 or 0x00000801 (is this an IDX file?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if tt.files != nil {
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				for name, b := range tt.files {
					writeFile(t, dir, name, b)
				}
			}
			d, err := LoadIDXDir(dir, tt.split)
			checkOneLine(t, err)
			if d != nil {
				t.Errorf("non-nil dataset with an error")
			}
			if want := strings.ReplaceAll(tt.want, "DIR", dir); err.Error() != want {
				t.Errorf("err = %q\nwant  %q", err, want)
			}
		})
	}
}

func TestLoadIDXDirNotAFolder(t *testing.T) {
	p := writeFile(t, t.TempDir(), "file", []byte("x"))
	_, err := LoadIDXDir(p, "train")
	if err == nil || err.Error() != "data.dir "+p+": not a folder" {
		t.Fatalf("err = %v", err)
	}
}
