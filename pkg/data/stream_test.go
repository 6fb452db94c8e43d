package data

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStreamReadsAsMemory: a streamed folder reads, splits, fits, applies,
// batches, mirrors and packs exactly as the same folder loaded in memory.
func TestStreamReadsAsMemory(t *testing.T) {
	methods := []PreprocessConfig{
		{Method: MethodNone},
		{Method: MethodGlobal},
		{Method: MethodChannel, Epsilon: 0.01},
		{Method: MethodFeature},
		{Method: MethodPCA, Components: 5},
		{Method: MethodZCA, Epsilon: 0.01},
	}
	for _, root := range []string{folderFixture, filepath.Join(imagesDir, "rgb32")} {
		t.Run(filepath.Base(root), func(t *testing.T) {
			mem, err := LoadImageFolder(root, "train", 2)
			if err != nil {
				t.Fatal(err)
			}
			st, err := OpenImageFolderStream(root, "train", 3)
			if err != nil {
				t.Fatal(err)
			}
			if !st.Streamed() || st.stored() != mem.stored() || st.N != mem.N || st.C != mem.C || st.H != mem.H || st.W != mem.W || st.Classes != mem.Classes {
				t.Fatalf("stream shape (%d,%d,%d,%d) %d classes, memory (%d,%d,%d,%d) %d", st.N, st.C, st.H, st.W, st.Classes, mem.N, mem.C, mem.H, mem.W, mem.Classes)
			}
			if !bitsEqual(values(st), values(mem)) || !slicesEqual(st.Y, mem.Y) {
				t.Fatal("stream reads differently from memory")
			}

			// Packing a stream writes the file packing memory writes.
			dir := t.TempDir()
			pm, ps := filepath.Join(dir, "m.ntpack"), filepath.Join(dir, "s.ntpack")
			if err := WritePacked(pm, mem, 7); err != nil {
				t.Fatal(err)
			}
			if err := WritePacked(ps, st, 7); err != nil {
				t.Fatal(err)
			}
			bm, _ := os.ReadFile(pm)
			bs, _ := os.ReadFile(ps)
			if len(bm) == 0 || !bytes.Equal(bm, bs) {
				t.Fatal("packed stream differs from packed memory")
			}

			valM, err := SplitValidationInPlace(mem, 4, 11)
			if err != nil {
				t.Fatal(err)
			}
			valS, err := SplitValidationInPlace(st, 4, 11)
			if err != nil {
				t.Fatal(err)
			}
			if !st.Streamed() || !valS.Streamed() {
				t.Fatal("a split of a stream is not streamed")
			}
			for _, cfg := range methods {
				if !Elementwise(cfg.Method) && mem.FeatureLen() > 256 {
					continue // a projection of 32x32 RGB: an eigendecomposition too slow for a unit test
				}
				t.Run(cfg.Method, func(t *testing.T) {
					pm, ps := mustFit(t, cfg, mem), mustFit(t, cfg, st)
					for i, tm := range pm.State().Tensors {
						if !bitsEqual(tm.Data, ps.State().Tensors[i].Data) {
							t.Fatalf("fitted %s differs", tm.Name)
						}
					}
					for _, pair := range [][2]*Dataset{{mem, st}, {valM, valS}} {
						m, s := pair[0].Subset(allIndices(pair[0].N)), pair[1].Subset(allIndices(pair[1].N))
						if err := pm.Apply(m, 2); err != nil {
							t.Fatal(err)
						}
						if err := ps.Apply(s, 2); err != nil {
							t.Fatal(err)
						}
						if s.Streamed() != Elementwise(cfg.Method) {
							t.Errorf("streamed after Apply: %v, want %v", s.Streamed(), Elementwise(cfg.Method))
						}
						lm, ls := NewLoader(m, 5, true, false, 3), NewLoader(s, 5, true, false, 3)
						f := m.FeatureLen()
						xm, xs := make([]float32, 5*f), make([]float32, 5*f)
						ym, ys := make([]int32, 5), make([]int32, 5)
						for e := range 2 {
							lm.Epoch(e)
							ls.Epoch(e)
							for b := range lm.NumBatches() {
								nm, ns := lm.Batch(b, xm, ym), ls.Batch(b, xs, ys)
								if nm != ns || !bitsEqual(xm[:nm*f], xs[:ns*f]) || !slicesEqual(ym[:nm], ys[:ns]) {
									t.Fatalf("epoch %d batch %d differs", e, b)
								}
							}
						}
						if !bitsEqual(values(m.Mirrored()), values(s.Mirrored())) {
							t.Fatal("mirrored stream differs")
						}
					}
				})
			}
			if err := st.Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestStreamReadError: a file whose header is sound and whose pixels are
// not opens, reads as zeros, and is named, on one line, by Err from then
// on, in every view of the stream.
func TestStreamReadError(t *testing.T) {
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(folderFixture)); err != nil {
		t.Fatal(err)
	}
	files, err := ImageFiles([]string{filepath.Join(root, "train")})
	if err != nil {
		t.Fatal(err)
	}
	bad := files[2]
	b, err := os.ReadFile(bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, b[:len(b)/2], 0o644); err != nil { // header kept, data cut
		t.Fatal(err)
	}
	if _, err := LoadImageFolder(root, "train", 1); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("LoadImageFolder: %v, want an error naming %s", err, bad)
	}
	d, err := OpenImageFolderStream(root, "train", 2)
	if err != nil {
		t.Fatalf("the headers are sound, yet: %v", err)
	}
	view := d.Subset([]int{0, 1, 2})
	if d.Err() != nil {
		t.Fatal("an error before any read")
	}
	if got := d.Range(nil, 0, 2); d.Err() != nil || allZero(got) {
		t.Fatalf("reading sound files: err %v", d.Err())
	}
	x := view.Range(nil, 2, 1)
	err = d.Err()
	if err == nil || !strings.Contains(err.Error(), "folder "+bad+": ") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Err = %v, want one line naming %s", err, bad)
	}
	if !allZero(x) {
		t.Error("an undecodable file read as non-zero values")
	}
	if view.Err() == nil {
		t.Error("the view does not report its source's error")
	}
}

func allZero(x []float32) bool {
	for _, v := range x {
		if v != 0 {
			return false
		}
	}
	return true
}

func slicesEqual[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
