package data

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// packSmall packs the in-repo Fashion-MNIST test split into a temp file
// with shards of 64 examples and returns the path and the in-memory set.
func packSmall(t testing.TB) (string, *Dataset) {
	t.Helper()
	d, err := LoadIDXDir(smallDir, "test")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "test"+PackedExt)
	if err := WritePacked(path, d, 64); err != nil {
		t.Fatal(err)
	}
	return path, d
}

// TestPackedRoundTrip: a packed file reads back as the data set it was
// written from, value for value, and splits, subsets, preprocessing and
// shuffled batches of the mapped view equal those of the in-memory set.
func TestPackedRoundTrip(t *testing.T) {
	path, d := packSmall(t)
	p, err := OpenPacked(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	if p.N != d.N || p.C != d.C || p.H != d.H || p.W != d.W || p.Classes != d.Classes || !slices.Equal(p.ClassNames, d.ClassNames) || !slices.Equal(p.Y, d.Y) {
		t.Fatalf("header: %d (%d,%d,%d) %d classes, want %d (%d,%d,%d) %d", p.N, p.C, p.H, p.W, p.Classes, d.N, d.C, d.H, d.W, d.Classes)
	}
	if !bitsEqual(values(p), values(d)) {
		t.Fatal("pixels differ")
	}
	// Re-packing the mapped view gives the same bytes.
	again := filepath.Join(t.TempDir(), "again"+PackedExt)
	if err := WritePacked(again, p, 64); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(path)
	b, _ := os.ReadFile(again)
	if !bytes.Equal(a, b) {
		t.Error("re-packing a packed file changes its bytes")
	}
	// The in-place split of a view moves indices, not the mapped pixels.
	mv, err := SplitValidationInPlace(p, 100, 3)
	if err != nil {
		t.Fatal(err)
	}
	dm := d.Clone()
	dv, _ := SplitValidationInPlace(dm, 100, 3)
	for _, pair := range [][2]*Dataset{{p, dm}, {mv, dv}} {
		if !bitsEqual(values(pair[0]), values(pair[1])) || !slices.Equal(pair[0].Y, pair[1].Y) {
			t.Fatal("a split of the packed view differs from the in-memory one")
		}
	}
	sub := p.Subset([]int{5, 0, 5})
	if !bitsEqual(values(sub), values(dm.Subset([]int{5, 0, 5}))) {
		t.Error("subset differs")
	}
	if sub.rows == nil || &sub.Pixels[0] != &p.Pixels[0] {
		t.Error("a subset of a view copies the pixels")
	}
	pp := mustFit(t, PreprocessConfig{Method: MethodChannel}, p)
	pd := mustFit(t, PreprocessConfig{Method: MethodChannel}, dm)
	if err := pp.Apply(p, 1); err != nil {
		t.Fatal(err)
	}
	if err := pd.Apply(dm, 1); err != nil {
		t.Fatal(err)
	}
	lp, ld := NewLoader(p, 32, true, false, 7), NewLoader(dm, 32, true, false, 7)
	xp, xd := make([]float32, 32*784), make([]float32, 32*784)
	yp, yd := make([]int32, 32), make([]int32, 32)
	for b := range lp.NumBatches() {
		np, nd := lp.Batch(b, xp, yp), ld.Batch(b, xd, yd)
		if np != nd || !bitsEqual(xp[:np*784], xd[:nd*784]) || !slices.Equal(yp[:np], yd[:nd]) {
			t.Fatalf("batch %d differs", b)
		}
	}
	// Mirrored and Clone own their pixels.
	if m := p.Mirrored(); m.rows != nil || m.N != p.N {
		t.Error("Mirrored of a view is still a view")
	}
}

// TestPackedDamage: a truncated file, a flipped byte anywhere (pixels,
// labels, footer, trailer) or another file is refused with one line that
// names the file, and the shard for a damaged example.
func TestPackedDamage(t *testing.T) {
	path, _ := packSmall(t)
	good, _ := os.ReadFile(path)
	flip := func(i int) []byte {
		b := slices.Clone(good)
		b[i] ^= 0x10
		return b
	}
	pixelsEnd := len(packedMagic) + 500*784
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"magic only", good[:8], "truncated"},
		{"cut in half", good[:len(good)/2], "no trailer"},
		{"last byte cut", good[:len(good)-1], "no trailer"},
		{"flipped magic", flip(2), "bad magic"},
		{"flipped pixel in shard 3", flip(len(packedMagic) + 3*64*784 + 100), "shard 3 (examples 192 to 255) fails its checksum"},
		{"flipped label", flip(pixelsEnd + 4*70), "shard 1 (examples 64 to 127) fails its checksum"},
		{"flipped footer", flip(len(good) - 30), "footer checksum mismatch"},
		{"flipped trailer", flip(len(good) - 2), "no trailer"},
		{"an IDX file", ubyteIDX([]uint32{2, 2, 2}, make([]byte, 8)), "bad magic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x"+PackedExt)
			if err := os.WriteFile(p, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := OpenPacked(p, 2)
			checkOneLine(t, err)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("err = %v, want it to name %s and say %q", err, p, tt.want)
			}
		})
	}
	if _, err := OpenPacked(filepath.Join(t.TempDir(), "none"+PackedExt), 1); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

// TestPackWriterErrors: float data, a wrong example size or label, and a
// failed pack leave no file under the final name and an existing one as
// it was.
func TestPackWriterErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p"+PackedExt)
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	float := &Dataset{X: []float32{0.5}, Y: []int32{0}, N: 1, C: 1, H: 1, W: 1, Classes: 1}
	if err := WritePacked(path, float, 0); err == nil || !strings.Contains(err.Error(), "float values") {
		t.Errorf("float data: %v", err)
	}
	pw, err := NewPackWriter(path, 1, 2, 2, 3, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := pw.Add([]uint8{1, 2, 3}, 0); err == nil || !strings.Contains(err.Error(), "has 3 values, want 4") {
		t.Errorf("short example: %v", err)
	}
	if err := pw.Add([]uint8{1, 2, 3, 4}, 3); err == nil || !strings.Contains(err.Error(), "label 3, want 0 to 2") {
		t.Errorf("label: %v", err)
	}
	pw.Abort()
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Error("a failed pack replaced the existing file")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}

// FuzzOpenPacked: arbitrary bytes never panic OpenPacked; a file it
// accepts re-packs to the same bytes (the format has one encoding).
func FuzzOpenPacked(f *testing.F) {
	d := &Dataset{Pixels: []uint8{0, 1, 2, 3, 4, 5, 250, 255}, Y: []int32{0, 1}, N: 2, C: 1, H: 2, W: 2, Classes: 2}
	dir := f.TempDir()
	seedPath := filepath.Join(dir, "seed"+PackedExt)
	if err := WritePacked(seedPath, d, 1); err != nil {
		f.Fatal(err)
	}
	seed, _ := os.ReadFile(seedPath)
	f.Add(seed)
	f.Add(seed[:len(seed)-3])
	f.Add([]byte(packedMagic))
	f.Fuzz(func(t *testing.T, in []byte) {
		p := filepath.Join(dir, "x"+PackedExt)
		if err := os.WriteFile(p, in, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := OpenPacked(p, 1)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		out := filepath.Join(dir, "y"+PackedExt)
		foot, _ := readPackedFooter(bytes.NewReader(in), int64(len(in)))
		if err := WritePacked(out, got, foot.ShardExamples); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(out)
		if !bytes.Equal(b, in) {
			t.Fatalf("re-packing differs:\n in %q\nout %q", in, b)
		}
	})
}
