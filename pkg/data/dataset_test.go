package data

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDatasetExampleSubset(t *testing.T) {
	d := markedDataset(5, 2, 3, 4, 3)
	d.ClassNames = []string{"a", "b", "c"}
	if d.FeatureLen() != 24 {
		t.Fatalf("FeatureLen = %d", d.FeatureLen())
	}
	ex := d.Example(3)
	if len(ex) != 24 || cap(ex) != 24 || ex[0] != 3 {
		t.Fatalf("Example(3): len %d cap %d first %v", len(ex), cap(ex), ex[0])
	}
	ex[1] = -7
	if d.X[3*24+1] == -7 {
		t.Error("Example is a view, not a copy")
	}

	s := d.Subset([]int{4, 1, 1})
	if s.N != 3 || s.C != 2 || s.H != 3 || s.W != 4 || s.Classes != 3 || len(s.X) != 72 {
		t.Fatalf("Subset: %+v", s)
	}
	if !slices.Equal(s.Y, []int32{1, 1, 1}) || s.Example(0)[0] != 4 || s.Example(2)[0] != 1 {
		t.Errorf("Subset picked the wrong examples")
	}
	if !slices.Equal(s.Example(0), d.Example(4)) {
		t.Errorf("Subset example differs from the source")
	}
	s.X[0], s.ClassNames[0] = 99, "z"
	if d.X[4*24] != 4 || d.ClassNames[0] != "a" {
		t.Errorf("Subset shares memory with the source")
	}
	if e := d.Subset(nil); e.N != 0 || len(e.X) != 0 {
		t.Errorf("empty Subset: %+v", e)
	}
}

func TestSplitValidation(t *testing.T) {
	tests := []struct {
		n, nVal int
		seed    uint64
	}{
		{10, 1, 0}, {10, 9, 1}, {100, 10, 42}, {2000, 200, 7}, {3, 2, 99},
	}
	for _, tt := range tests {
		d := markedDataset(tt.n, 1, 2, 2, 10)
		orig := slices.Clone(d.X)
		train, val, err := SplitValidation(d, tt.nVal, tt.seed)
		if err != nil {
			t.Fatal(err)
		}
		if train.N != tt.n-tt.nVal || val.N != tt.nVal || len(train.X) != train.N*4 || len(val.Y) != tt.nVal {
			t.Fatalf("%+v: sizes train %d val %d", tt, train.N, val.N)
		}
		if !slices.Equal(d.X, orig) || d.N != tt.n {
			t.Errorf("%+v: source modified", tt)
		}
		ids := func(s *Dataset) []int {
			out := make([]int, s.N)
			for i := range out {
				out[i] = int(s.Example(i)[0])
				if s.Y[i] != int32(out[i]%10) {
					t.Fatalf("label does not follow its example")
				}
			}
			return out
		}
		tr, va := ids(train), ids(val)
		if !slices.IsSorted(tr) || !slices.IsSorted(va) {
			t.Errorf("%+v: original order not kept", tt)
		}
		all := slices.Sorted(slices.Values(append(slices.Clone(tr), va...)))
		for i, v := range all {
			if v != i {
				t.Fatalf("%+v: train and val are not a disjoint cover: %v", tt, all)
			}
		}
		// Deterministic for a seed.
		train2, val2, _ := SplitValidation(d, tt.nVal, tt.seed)
		if !slices.Equal(ids(train2), tr) || !slices.Equal(ids(val2), va) {
			t.Errorf("%+v: not deterministic", tt)
		}
	}

	d := markedDataset(1000, 1, 1, 1, 10)
	_, a, _ := SplitValidation(d, 100, 1)
	_, b, _ := SplitValidation(d, 100, 2)
	if slices.Equal(a.X, b.X) {
		t.Error("different seeds gave the same validation set")
	}
	if first100 := slices.Equal(a.X, d.X[:100]); first100 {
		t.Error("validation set is the first examples, not a shuffle")
	}
}

// TestSplitValidationInPlace: the in-place split gives SplitValidation's
// two splits, value for value, in both storages, and keeps d's storage.
func TestSplitValidationInPlace(t *testing.T) {
	bytes, err := LoadIDXDir(smallDir, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		d    *Dataset
		nVal int
	}{
		{"float", markedDataset(100, 2, 2, 2, 10), 10},
		{"bytes", bytes, 123},
		{"bytes, none", bytes, 0},
		{"float, all but one", markedDataset(7, 1, 1, 3, 2), 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			train, val, err := SplitValidation(tc.d, tc.nVal, 11)
			if err != nil {
				t.Fatal(err)
			}
			d := tc.d.Clone()
			store := &d.X
			if d.Bytes() {
				store = nil
			}
			got, err := SplitValidationInPlace(d, tc.nVal, 11)
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (val == nil) || d.N != train.N || !slices.Equal(d.Y, train.Y) || !bitsEqual(values(d), values(train)) {
				t.Fatal("the training split differs from SplitValidation's")
			}
			if val != nil && (got.N != val.N || !slices.Equal(got.Y, val.Y) || !bitsEqual(values(got), values(val))) {
				t.Fatal("the validation split differs from SplitValidation's")
			}
			if d.Bytes() != tc.d.Bytes() || (store != nil && len(*store) != d.N*d.FeatureLen()) {
				t.Error("storage changed")
			}
		})
	}
	if _, err := SplitValidationInPlace(markedDataset(3, 1, 1, 1, 2), 3, 0); err == nil {
		t.Error("nVal = N: no error")
	}
}

func TestSplitValidationEdgeCases(t *testing.T) {
	d := markedDataset(10, 1, 1, 1, 2)
	train, val, err := SplitValidation(d, 0, 5)
	if err != nil || train != d || val != nil {
		t.Errorf("nVal 0: got (%p, %v, %v), want (d, nil, nil)", train, val, err)
	}
	for _, nVal := range []int{-1, 10, 11} {
		train, val, err := SplitValidation(d, nVal, 5)
		checkOneLine(t, err)
		if train != nil || val != nil {
			t.Errorf("nVal %d: datasets returned with an error", nVal)
		}
	}
	_, _, err = SplitValidation(d, 10, 5)
	if want := "data: validation size 10 out of range: want 0 <= n < 10 (the number of examples)"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if _, _, err := SplitValidation(nil, 1, 0); err == nil {
		t.Error("nil dataset: no error")
	}
}

func TestStandardizer(t *testing.T) {
	real, err := LoadIDXDir(smallDir, "test")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		d    *Dataset
	}{
		{"synthetic", markedDataset(50, 3, 4, 4, 10)},
		{"fashion-mnist-small test", real},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := FitStandardizer(tt.d)
			if s.Std <= 0 || math.IsNaN(float64(s.Mean)) {
				t.Fatalf("fitted %+v", s)
			}
			s.Apply(tt.d)
			after := FitStandardizer(tt.d)
			if math.Abs(float64(after.Mean)) > 1e-4 || math.Abs(float64(after.Std)-1) > 1e-4 {
				t.Errorf("after Apply: mean %v std %v, want 0 and 1", after.Mean, after.Std)
			}
		})
	}

	// Known values: population std of {1,2,3,4} is sqrt(1.25).
	d := &Dataset{X: []float32{1, 2, 3, 4}, N: 4, C: 1, H: 1, W: 1}
	if s := FitStandardizer(d); s.Mean != 2.5 || math.Abs(float64(s.Std)-math.Sqrt(1.25)) > 1e-6 {
		t.Errorf("FitStandardizer({1,2,3,4}) = %+v", s)
	}
	// A constant dataset hits the floor and stays finite.
	c := &Dataset{X: []float32{0.5, 0.5, 0.5}, N: 3, C: 1, H: 1, W: 1}
	s := FitStandardizer(c)
	if s.Mean != 0.5 || s.Std != 1e-8 {
		t.Errorf("constant: %+v, want {0.5 1e-8}", s)
	}
	s.Apply(c)
	if !slices.Equal(c.X, []float32{0, 0, 0}) {
		t.Errorf("constant after Apply: %v", c.X)
	}
	if s := FitStandardizer(&Dataset{}); s != (Standardizer{0, 1}) {
		t.Errorf("empty: %+v", s)
	}
}

// TestSelectClasses: the examples of the listed labels, in data order,
// renumbered by their place in the list, with the class names following;
// a label outside the data is an error naming its index.
func TestSelectClasses(t *testing.T) {
	d := markedDataset(10, 1, 2, 2, 5) // labels 0 1 2 3 4 0 1 2 3 4
	d.ClassNames = []string{"a", "b", "c", "d", "e"}
	cases := []struct {
		labels   []int
		examples []float32 // first value of each kept example: its index in d
		y        []int32
		names    []string
		err      string
	}{
		{labels: []int{3, 1}, examples: []float32{1, 3, 6, 8}, y: []int32{1, 0, 1, 0}, names: []string{"d", "b"}},
		{labels: []int{0, 1, 2, 3, 4}, examples: []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, y: d.Y, names: d.ClassNames},
		{labels: []int{4, 5}, err: "classes[1]: label 5 is not a class of the data (labels 0 to 4)"},
		{labels: []int{-1, 2}, err: "classes[0]: label -1"},
	}
	for _, tc := range cases {
		s, err := d.SelectClasses(tc.labels)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want %q", tc.labels, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tc.labels, err)
		}
		var first []float32
		for i := 0; i < s.N; i++ {
			first = append(first, s.Example(i)[0])
		}
		if !slices.Equal(first, tc.examples) || !slices.Equal(s.Y, tc.y) || !slices.Equal(s.ClassNames, tc.names) || s.Classes != len(tc.labels) {
			t.Errorf("%v: examples %v labels %v names %v classes %d; want %v %v %v %d", tc.labels, first, s.Y, s.ClassNames, s.Classes, tc.examples, tc.y, tc.names, len(tc.labels))
		}
	}
}

// TestDecodeImageResize: a uniform image keeps its value when scaled down
// or up (bilinear), gray or colour; without resize another size is refused.
func TestDecodeImageResize(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name   string
		img    image.Image
		c      int
		want   []float32 // per channel
		errSub string
	}{
		{"gray 16x16 down to 8x8", uniformGray(16, 16, 51), 1, []float32{0.2}, ""},
		{"gray 4x4 up to 8x8 into 3 channels", uniformGray(4, 4, 204), 3, []float32{0.8, 0.8, 0.8}, ""},
		{"colour 12x10 to 8x8", uniformRGB(12, 10, color.NRGBA{255, 0, 102, 255}), 3, []float32{1, 0, 0.4}, ""},
		{"colour into 1 channel", uniformRGB(8, 8, color.NRGBA{1, 2, 3, 255}), 1, nil, "colour image"},
	}
	for _, tc := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".png")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, tc.img); err != nil {
			t.Fatal(err)
		}
		f.Close()
		dst := make([]float32, tc.c*64)
		err = DecodeImage(path, dst, tc.c, 8, 8, true)
		if tc.errSub != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errSub) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.errSub)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for ch, want := range tc.want {
			for _, v := range dst[ch*64 : (ch+1)*64] {
				if math.Abs(float64(v-want)) > 1e-6 {
					t.Fatalf("%s: channel %d holds %v, want %v", tc.name, ch, v, want)
				}
			}
		}
		if b := tc.img.Bounds(); b.Dx() != 8 || b.Dy() != 8 {
			if err := DecodeImage(path, dst, tc.c, 8, 8, false); err == nil || !strings.Contains(err.Error(), "--resize") {
				t.Errorf("%s without resize: %v", tc.name, err)
			}
		}
	}
}

func uniformGray(w, h int, v uint8) image.Image {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = v
	}
	return m
}

func uniformRGB(w, h int, c color.NRGBA) image.Image {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}
