package data

import (
	"math"
	"path/filepath"
	"testing"
)

// floatCopy returns d in float storage holding the values readers of d
// see: what every loader returned before byte storage.
func floatCopy(d *Dataset) *Dataset {
	c := cloneDataset(d)
	c.toFloat()
	return c
}

// bitsEqual reports whether a and b hold the same float32 bit patterns
// (so -0 differs from +0 and a NaN equals only the same NaN): testfix's
// SameBits, which this package's tests cannot import (testfix imports
// data).
// sameBatches fails the test unless shuffled loaders over a and b (batch
// size, seed) give bit-identical batches and the same labels for the given
// number of epochs.
func sameBatches(t *testing.T, a, b *Dataset, batch int, seed uint64, epochs int) {
	t.Helper()
	la, lb := NewLoader(a, batch, true, false, seed), NewLoader(b, batch, true, false, seed)
	f := a.FeatureLen()
	xa, xb := make([]float32, batch*f), make([]float32, batch*b.FeatureLen())
	ya, yb := make([]int32, batch), make([]int32, batch)
	for e := range epochs {
		la.Epoch(e)
		lb.Epoch(e)
		for k := range la.NumBatches() {
			na, nb := la.Batch(k, xa, ya), lb.Batch(k, xb, yb)
			if na != nb || !bitsEqual(xa[:na*f], xb[:nb*f]) || !slicesEqual(ya[:na], yb[:nb]) {
				t.Fatalf("epoch %d batch %d: the two data sets' batches differ", e, k)
			}
		}
	}
}

func bitsEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestByteStorageBitIdentical: a byte-stored data set, fitted, split,
// preprocessed with every method and read in shuffled batches, gives the
// same float32 bits as the same data in float storage, and keeps its bytes
// for the elementwise methods.
func TestByteStorageBitIdentical(t *testing.T) {
	full, err := LoadIDXDir(smallDir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if !full.Bytes() {
		t.Fatal("IDX images loaded in float storage")
	}
	const nVal = 100
	train, val, err := SplitValidation(full, nVal, 5)
	if err != nil {
		t.Fatal(err)
	}
	ftrain, fval := floatCopy(train), floatCopy(val)
	if !bitsEqual(values(train), ftrain.X) {
		t.Fatal("raw bytes read differently from their float copy")
	}
	tests := []struct {
		cfg       PreprocessConfig
		keepBytes bool
	}{
		{PreprocessConfig{Method: MethodNone}, true},
		{PreprocessConfig{Method: MethodGlobal}, true},
		{PreprocessConfig{Method: MethodChannel, Epsilon: 0.01}, true},
		{PreprocessConfig{Method: MethodFeature}, true},
		{PreprocessConfig{Method: MethodPCA, Components: 20}, false},
		{PreprocessConfig{Method: MethodPCAWhiten, Components: 20, Epsilon: 0.01}, false},
		{PreprocessConfig{Method: MethodZCA, Epsilon: 0.01}, false},
	}
	for _, tt := range tests {
		t.Run(tt.cfg.Method, func(t *testing.T) {
			pb := mustFit(t, tt.cfg, train)
			pf := mustFit(t, tt.cfg, ftrain)
			sb, sf := pb.State(), pf.State()
			for i, tb := range sb.Tensors {
				if !bitsEqual(tb.Data, sf.Tensors[i].Data) {
					t.Fatalf("fitted %s differs between byte and float storage", tb.Name)
				}
			}
			for _, pair := range [][2]*Dataset{{train, ftrain}, {val, fval}} {
				b, f := cloneDataset(pair[0]), cloneDataset(pair[1])
				if err := pb.Apply(b, 2); err != nil {
					t.Fatal(err)
				}
				if err := pf.Apply(f, 2); err != nil {
					t.Fatal(err)
				}
				if b.Bytes() != tt.keepBytes {
					t.Errorf("after Apply: byte storage %v, want %v", b.Bytes(), tt.keepBytes)
				}
				if b.C != f.C || b.H != f.H || b.W != f.W {
					t.Fatalf("shape (%d,%d,%d) vs (%d,%d,%d)", b.C, b.H, b.W, f.C, f.H, f.W)
				}
				sameBatches(t, b, f, 64, 9, 2)
				// Example-by-example application agrees too.
				raw := values(pair[0])
				fl := pair[0].FeatureLen()
				got, err := pb.ApplyExample(raw[:fl])
				if err != nil {
					t.Fatal(err)
				}
				if !bitsEqual(got, b.Example(0)) {
					t.Error("ApplyExample differs from the deferred read")
				}
			}
		})
	}
}

// TestByteStorageTwice: applying a second standardization to a data set
// that defers one composes both, as float storage does.
func TestByteStorageTwice(t *testing.T) {
	d, err := LoadIDXDir(smallDir, "test")
	if err != nil {
		t.Fatal(err)
	}
	f := floatCopy(d)
	g := mustFit(t, PreprocessConfig{Method: MethodGlobal}, d)
	c := mustFit(t, PreprocessConfig{Method: MethodFeature}, d)
	for _, p := range []Preprocessor{g, c} {
		if err := p.Apply(d, 1); err != nil {
			t.Fatal(err)
		}
		if err := p.Apply(f, 1); err != nil {
			t.Fatal(err)
		}
	}
	if d.Bytes() {
		t.Error("two standardizations kept in byte storage: only one can be deferred")
	}
	if !bitsEqual(values(d), values(f)) {
		t.Error("two standardizations differ between storages")
	}
}

// TestImageFolderByteStorage: 8-bit folders load into bytes whose values
// are, bit for bit, what decoding each file into float32 gives.
func TestImageFolderByteStorage(t *testing.T) {
	for _, root := range []string{folderFixture, "../../testdata/images/rgb32"} {
		t.Run(filepath.Base(root), func(t *testing.T) {
			d, err := LoadImageFolder(root, "train", 2)
			if err != nil {
				t.Fatal(err)
			}
			if !d.Bytes() {
				t.Fatal("an 8-bit folder loaded in float storage")
			}
			files, err := ImageFiles([]string{filepath.Join(root, "train")})
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != d.N {
				t.Fatalf("%d files, %d examples", len(files), d.N)
			}
			want := make([]float32, d.FeatureLen())
			for i, p := range files { // class folders sorted, files in name order: the loader's order
				if err := DecodeImage(p, want, d.C, d.H, d.W, false); err != nil {
					t.Fatal(err)
				}
				if !bitsEqual(d.Example(i), want) {
					t.Fatalf("%s: byte storage reads differently from DecodeImage", p)
				}
			}
		})
	}
}
