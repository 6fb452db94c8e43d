package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/nettrain/nettrain/pkg/data"
)

// fixtureRGB32 is the data.dir of the RGB bench configs and how it was made.
const fixtureRGB32 = "../../testdata/images/rgb32"

var fixtureRGB32Spec = synthFolder{train: 20, test: 10, size: 32, seed: 1}

// TestSynthFixture rewrites the committed fixture and compares it file by
// file: the generator is its one source.
func TestSynthFixture(t *testing.T) {
	dir, err := fixtureRGB32Spec.write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		rel, _ := filepath.Rel(dir, p)
		want, err := os.ReadFile(filepath.Join(fixtureRGB32, rel))
		if err != nil {
			t.Errorf("%s: %v (regenerate testdata/images/rgb32: see its README)", rel, err)
			return nil
		}
		if got, _ := os.ReadFile(p); !bytes.Equal(got, want) {
			t.Errorf("%s: differs from the generator's output", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != fixtureRGB32Spec.train+fixtureRGB32Spec.test {
		t.Errorf("%d files, want %d", files, fixtureRGB32Spec.train+fixtureRGB32Spec.test)
	}
}

// TestSynthFolderLoads checks that the loader reads a synthetic folder as
// the RGB models expect: N images of (3,32,32), every class present.
func TestSynthFolderLoads(t *testing.T) {
	tests := []struct {
		name  string
		spec  synthFolder
		split string
		n     int
	}{
		{"train", synthFolder{train: 30, test: 10, size: 32, seed: 2}, "train", 30},
		{"test", synthFolder{train: 30, test: 10, size: 32, seed: 2}, "test", 10},
		{"small", synthFolder{train: 12, test: 10, size: 8, seed: 3}, "train", 12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, err := tc.spec.write(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			d, err := data.LoadImageFolder(dir, tc.split, 1)
			if err != nil {
				t.Fatal(err)
			}
			if d.N != tc.n || d.C != 3 || d.H != tc.spec.size || d.W != tc.spec.size || d.Classes != synthClasses {
				t.Errorf("got N=%d C=%d H=%d W=%d classes=%d", d.N, d.C, d.H, d.W, d.Classes)
			}
		})
	}
}
