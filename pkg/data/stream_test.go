package data

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
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
						sameBatches(t, m, s, 5, 3, 2)
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

// BenchmarkStreamDecode reads batches of 128 RGB 64x64 JPEGs (quality 90,
// a tinted gradient with noise) from a streamed folder on 1 and 2 workers:
// the per-image cost of data.stream.
func BenchmarkStreamDecode(b *testing.B) {
	root := b.TempDir()
	const n, s = 256, 64
	img := image.NewRGBA(image.Rect(0, 0, s, s))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		dir := filepath.Join(root, "train", fmt.Sprintf("c%d", i%2))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for p := range s * s {
			x, y := p%s, p/s
			img.Pix[4*p] = uint8(min(255, 2*x+r.IntN(64)))
			img.Pix[4*p+1] = uint8(min(255, 2*y+r.IntN(64)))
			img.Pix[4*p+2] = uint8(r.IntN(64) + 100)
			img.Pix[4*p+3] = 255
		}
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%04d.jpg", i)))
		if err != nil {
			b.Fatal(err)
		}
		if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			d, err := OpenImageFolderStream(root, "train", workers)
			if err != nil {
				b.Fatal(err)
			}
			idx := allIndices(128)
			x := make([]float32, 128*d.FeatureLen())
			b.ResetTimer()
			for k := 0; k < b.N; k++ {
				d.Gather(x, idx)
			}
			b.ReportMetric(float64(b.N*128)/b.Elapsed().Seconds(), "img/s")
		})
	}
}

// TestYCbCrFastPath: the direct YCbCr conversion gives, for every chroma
// subsampling, the bytes of the generic per-pixel path.
func TestYCbCrFastPath(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, ratio := range ratios {
		for _, size := range [][2]int{{13, 7}, {16, 16}, {1, 1}} {
			w, h := size[0], size[1]
			m := image.NewYCbCr(image.Rect(0, 0, w, h), ratio)
			for _, p := range [][]uint8{m.Y, m.Cb, m.Cr} {
				for i := range p {
					p[i] = uint8(r.Uint32())
				}
			}
			fast, slow := make([]uint8, 3*w*h), make([]uint8, 3*w*h)
			if err := bytesInto(m, fast, 3, w, h); err != nil {
				t.Fatal(err)
			}
			if err := writePixels(m, slow, 3, w, h, func(b uint8) uint8 { return b }, func(v uint16) (uint8, bool) { return uint8(v / 257), v%257 == 0 }); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(fast, slow) {
				t.Errorf("%v %dx%d: the fast path differs", ratio, w, h)
			}
		}
	}
}
