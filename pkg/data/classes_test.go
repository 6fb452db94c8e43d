package data

import (
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainingClassesPresent: a training split whose labels skip a class
// (a stray large label, an empty class folder) is refused with the file
// and the example named, unless the caller keeps chosen classes.
func TestTrainingClassesPresent(t *testing.T) {
	idxDir := func(labels []byte) string {
		dir := t.TempDir()
		n := uint32(len(labels))
		writeFile(t, dir, "train-images-idx3-ubyte", ubyteIDX([]uint32{n, 1, 1}, make([]byte, n)))
		writeFile(t, dir, "train-labels-idx1-ubyte", ubyteIDX([]uint32{n}, labels))
		return dir
	}
	csvDir := func(body string) string {
		dir := t.TempDir()
		writeFile(t, dir, "train.csv", []byte(body))
		return dir
	}
	emptyClass := func() string {
		root := t.TempDir()
		writePNG(t, filepath.Join(root, "train", "a", "1.png"), image.NewGray(image.Rect(0, 0, 2, 2)))
		writePNG(t, filepath.Join(root, "train", "c", "1.png"), image.NewGray(image.Rect(0, 0, 2, 2)))
		if err := os.MkdirAll(filepath.Join(root, "train", "b"), 0o755); err != nil {
			t.Fatal(err)
		}
		return root
	}
	tests := []struct {
		name, format string
		dir          string
		want         string // "" = loads
	}{
		{"idx dense", FormatIDX, idxDir([]byte{0, 1, 2, 1, 0}), ""},
		{"idx stray 200", FormatIDX, idxDir([]byte{0, 1, 2, 200, 1}), "train-labels-idx1-ubyte: label 200 (example 3) leaves classes 3 to 199 without an example"},
		{"idx one gap", FormatIDX, idxDir([]byte{0, 2, 2}), "label 2 (example 1) leaves class 1 without an example"},
		{"csv gap", FormatCSV, csvDir("x,label\n1,0\n2,3\n3,1\n"), "train.csv: label 3 (example 1) leaves class 2 without an example"},
		{"csv names", FormatCSV, csvDir("x,label\n1,cat\n2,dog\n"), ""},
		{"empty class folder", FormatFolder, emptyClass(), filepath.Join("train", "b") + ": no images"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadWith(tt.format, tt.dir, "train", LoadOptions{})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			checkOneLine(t, err)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if _, err := LoadWith(tt.format, tt.dir, "train", LoadOptions{MissingClasses: true}); err != nil {
				t.Errorf("with MissingClasses: %v", err)
			}
		})
	}
}
