package data

import (
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// folderFixture is the committed image folder.
var folderFixture = filepath.Join(imagesDir, "folder")

func TestImageFolderFixtures(t *testing.T) {
	if *update {
		writeFixtures(t, imagesDir)
	}
	train, err := Load(FormatFolder, folderFixture, "train")
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 12 || train.C != 3 || train.H != 8 || train.W != 8 || train.Classes != 3 || len(train.Pixels) != 12*3*64 {
		t.Fatalf("train: N=%d C=%d H=%d W=%d Classes=%d len=%d, want 12 x (3,8,8), 3 classes",
			train.N, train.C, train.H, train.W, train.Classes, len(train.Pixels))
	}
	if !slices.Equal(train.ClassNames, fixtureClasses) {
		t.Errorf("ClassNames = %v", train.ClassNames)
	}
	if want := []int32{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}; !slices.Equal(train.Y, want) {
		t.Errorf("labels %v, want %v (by class, then file name)", train.Y, want)
	}
	// Exact values: example e is image e%4 of class e/4.
	for e := range train.N {
		c, i := e/4, e%4
		checkFixtureImage(t, train.Example(e), c, i)
	}

	test, err := LoadImageFolder(folderFixture, "test", 4)
	if err != nil {
		t.Fatal(err)
	}
	if test.N != 4 || test.C != 3 || test.Classes != 3 || !slices.Equal(test.Y, []int32{0, 1, 2, 2}) {
		t.Fatalf("test: N=%d C=%d Classes=%d Y=%v", test.N, test.C, test.Classes, test.Y)
	}
	for e := range 3 {
		checkFixtureImage(t, test.Example(e), e, 4)
	}
	// The JPEG: a solid colour, within JPEG's rounding.
	jp := test.Example(3)
	want := [3]float64{200, 40, 80}
	for ch := range 3 {
		for p := range 64 {
			if got := float64(jp[ch*64+p]) * 255; math.Abs(got-want[ch]) > 3 {
				t.Fatalf("jpeg channel %d pixel %d = %.1f/255, want about %v", ch, p, got, want[ch])
			}
		}
	}
}

// checkFixtureImage compares a loaded (3,8,8) example with fixturePixel.
func checkFixtureImage(t *testing.T, ex []float32, c, i int) {
	t.Helper()
	for y := range 8 {
		for x := range 8 {
			p := fixturePixel(c, i, x, y)
			for ch, v := range []uint8{p.R, p.G, p.B} {
				if got, want := ex[ch*64+y*8+x], float32(v)/255; got != want {
					t.Fatalf("class %d image %d channel %d (%d,%d) = %v, want %v", c, i, ch, x, y, got, want)
				}
			}
		}
	}
}

// grayImage returns a w×h 8-bit gray image with pixel (x,y) = base+x+w*y.
func grayImage(w, h int, base uint8) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetGray(x, y, color.Gray{base + uint8(x+w*y)})
		}
	}
	return m
}

func TestImageFolderGrayscale(t *testing.T) {
	root := t.TempDir()
	writePNG(t, filepath.Join(root, "train", "a", "1.png"), grayImage(3, 2, 10))
	g16 := image.NewGray16(image.Rect(0, 0, 3, 2))
	for p := range 6 {
		g16.SetGray16(p%3, p/3, color.Gray16{uint16(1000 * p)})
	}
	writePNG(t, filepath.Join(root, "train", "b", "1.png"), g16)
	// A palette of grays counts as grayscale.
	pal := image.NewPaletted(image.Rect(0, 0, 3, 2), color.Palette{color.Gray{0}, color.Gray{51}, color.Gray{255}})
	pal.SetColorIndex(1, 1, 1)
	writePNG(t, filepath.Join(root, "train", "b", "2.png"), pal)
	writeJPEG(t, filepath.Join(root, "train", "c", "x.JPEG"), image.NewGray(image.Rect(0, 0, 3, 2)))

	d, err := LoadImageFolder(root, "train", 4)
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 4 || d.C != 1 || d.H != 2 || d.W != 3 || d.Classes != 3 || !slices.Equal(d.Y, []int32{0, 1, 1, 2}) {
		t.Fatalf("N=%d C=%d H=%d W=%d Classes=%d Y=%v", d.N, d.C, d.H, d.W, d.Classes, d.Y)
	}
	if d.Bytes() {
		t.Error("a 16-bit image in the split, yet byte storage")
	}
	x := values(d)
	for p := range 6 {
		if got, want := x[p], float32(10+p)/255; got != want {
			t.Errorf("gray8 pixel %d = %v, want %v", p, got, want)
		}
		if got, want := x[6+p], float32(1000*p)/65535; math.Abs(float64(got-want)) > 1e-7 {
			t.Errorf("gray16 pixel %d = %v, want %v", p, got, want)
		}
		want := float32(0)
		if p == 4 {
			want = 0.2
		}
		if got := x[12+p]; math.Abs(float64(got-want)) > 1e-6 {
			t.Errorf("paletted pixel %d = %v, want %v", p, got, want)
		}
		if got := x[18+p]; got != 0 {
			t.Errorf("gray jpeg pixel %d = %v, want 0", p, got)
		}
	}

	// One colour image makes the split RGB; gray images are replicated.
	m := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	m.SetNRGBA(0, 0, color.NRGBA{255, 0, 51, 0}) // alpha 0 is dropped, not applied
	writePNG(t, filepath.Join(root, "train", "c", "y.png"), m)
	d, err = LoadImageFolder(root, "train", 4)
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 5 || d.C != 3 || d.FeatureLen() != 18 {
		t.Fatalf("mixed: N=%d C=%d", d.N, d.C)
	}
	ex := d.Example(0)
	for ch := range 3 {
		for p := range 6 {
			if ex[ch*6+p] != float32(10+p)/255 {
				t.Fatalf("gray replicated to RGB: channel %d = %v", ch, ex[ch*6:(ch+1)*6])
			}
		}
	}
	if last := d.Example(4); last[0] != 1 || last[6] != 0 || last[12] != 0.2 {
		t.Errorf("NRGBA with alpha 0: R,G,B = %v %v %v, want 1 0 0.2", last[0], last[6], last[12])
	}
}

// TestImageFolderPremultiplied: a translucent 16-bit image goes through the
// generic path, un-premultiplied.
func TestImageFolderColorModels(t *testing.T) {
	root := t.TempDir()
	m := image.NewRGBA64(image.Rect(0, 0, 2, 1))
	m.SetRGBA64(0, 0, color.RGBA64{0x8000, 0x4000, 0, 0x8000}) // premultiplied, half alpha
	m.SetRGBA64(1, 0, color.RGBA64{0xffff, 0xffff, 0xffff, 0xffff})
	writePNG(t, filepath.Join(root, "train", "x", "a.png"), m)
	pal := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}})
	pal.SetColorIndex(1, 0, 1)
	writePNG(t, filepath.Join(root, "train", "x", "b.png"), pal)
	d, err := LoadImageFolder(root, "train", 4)
	if err != nil {
		t.Fatal(err)
	}
	if d.C != 3 || d.N != 2 {
		t.Fatalf("C=%d N=%d", d.C, d.N)
	}
	// (R,G,B) planes of example 0: pixel 0 un-premultiplied = (1, 0.5, 0).
	want0 := []float32{1, 1, 0.5, 1, 0, 1}
	x := values(d)
	for i, w := range want0 {
		if math.Abs(float64(x[i]-w)) > 1e-4 {
			t.Fatalf("rgba64: %v, want %v", x[:6], want0)
		}
	}
	if want1 := []float32{1, 0, 0, 0, 0, 1}; !slices.Equal(d.Example(1), want1) {
		t.Errorf("paletted: %v, want %v", d.Example(1), want1)
	}
}

func TestImageFolderErrors(t *testing.T) {
	// base writes a valid folder: train/{a,b} with 4x4 images.
	base := func(t *testing.T) string {
		root := t.TempDir()
		writePNG(t, filepath.Join(root, "train", "a", "1.png"), grayImage(4, 4, 0))
		writePNG(t, filepath.Join(root, "train", "a", "2.png"), grayImage(4, 4, 1))
		writePNG(t, filepath.Join(root, "train", "b", "1.png"), grayImage(4, 4, 2))
		writePNG(t, filepath.Join(root, "test", "b", "1.png"), grayImage(4, 4, 3))
		return root
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, root string)
		split string
		want  string // ROOT is replaced by the folder
	}{
		{"mixed sizes", func(t *testing.T, root string) {
			writePNG(t, filepath.Join(root, "train", "b", "0.png"), grayImage(5, 4, 0))
		}, "train", "folder ROOT/train/b/0.png: size 5x4, but ROOT/train/a/1.png is 4x4 (all images must have the same size)"},
		{"not an image", func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "train", "a"), "3.png", []byte("hello"))
		}, "train", "folder ROOT/train/a/3.png: not a PNG or JPEG image"},
		{"truncated png", func(t *testing.T, root string) {
			b, _ := os.ReadFile(filepath.Join(root, "train", "a", "1.png"))
			writeFile(t, filepath.Join(root, "train", "a"), "3.png", b[:len(b)-20])
		}, "train", "folder ROOT/train/a/3.png: png: invalid format: unexpected EOF"},
		{"truncated jpeg header", func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "train", "b"), "2.jpg", []byte{0xff, 0xd8, 0xff, 0xe0, 0})
		}, "train", "folder ROOT/train/b/2.jpg: unexpected EOF"},
		{"unreadable", func(t *testing.T, root string) {
			p := filepath.Join(root, "train", "a", "2.png")
			if err := os.Chmod(p, 0); err != nil {
				t.Fatal(err)
			}
			if f, err := os.Open(p); err == nil { // running as root
				f.Close()
				t.Skip("file permissions are not enforced")
			}
		}, "train", "folder ROOT/train/a/2.png: permission denied"},
		{"dangling symlink", func(t *testing.T, root string) {
			if err := os.Symlink(filepath.Join(root, "gone.png"), filepath.Join(root, "train", "b", "2.png")); err != nil {
				t.Skip(err)
			}
		}, "train", "folder ROOT/train/b/2.png: no such file or directory"},
		{"test class not in train", func(t *testing.T, root string) {
			writePNG(t, filepath.Join(root, "test", "c", "1.png"), grayImage(4, 4, 0))
		}, "test", `folder ROOT/test/c: class "c" is not a class of ROOT/train (classes: a, b)`},
		{"no split folder", func(t *testing.T, root string) {
			os.RemoveAll(filepath.Join(root, "test"))
		}, "test", "data.dir ROOT: no test folder (want ROOT/test/<class>/*.png)"},
		{"no class folders", func(t *testing.T, root string) {
			os.RemoveAll(filepath.Join(root, "train"))
			os.MkdirAll(filepath.Join(root, "train"), 0o755)
		}, "train", "folder ROOT/train: no class folders (want ROOT/train/<class>/*.png)"},
		{"no images", func(t *testing.T, root string) {
			os.RemoveAll(filepath.Join(root, "test", "b"))
			os.MkdirAll(filepath.Join(root, "test", "a"), 0o755)
			writeFile(t, filepath.Join(root, "test", "a"), "notes.txt", []byte("x"))
		}, "test", "folder ROOT/test: no .png/.jpg/.jpeg images in the class folders (a, b)"},
		{"unknown split", func(*testing.T, string) {}, "val", `data: unknown split "val", want "train" or "test"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := base(t)
			tt.setup(t, root)
			d, err := LoadImageFolder(root, tt.split, 4)
			checkOneLine(t, err)
			if d != nil {
				t.Error("dataset returned with an error")
			}
			if want := strings.ReplaceAll(tt.want, "ROOT", root); err.Error() != want {
				t.Errorf("err = %q\nwant  %q", err, want)
			}
		})
	}
	if _, err := LoadImageFolder(filepath.Join(t.TempDir(), "nope"), "train", 1); err == nil || !strings.HasSuffix(err.Error(), "nope: no such folder") {
		t.Errorf("missing root: %v", err)
	}
}

// TestImageFolderTestSplitKeepsTrainClasses: a test split without some
// class keeps the training indices and Classes.
func TestImageFolderTestSplitKeepsTrainClasses(t *testing.T) {
	root := t.TempDir()
	for _, c := range []string{"ant", "bee", "cat"} {
		writePNG(t, filepath.Join(root, "train", c, "1.png"), grayImage(2, 2, 0))
	}
	writePNG(t, filepath.Join(root, "test", "cat", "1.png"), grayImage(2, 2, 0))
	d, err := LoadImageFolder(root, "test", 4)
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 1 || d.Y[0] != 2 || d.Classes != 3 || !slices.Equal(d.ClassNames, []string{"ant", "bee", "cat"}) {
		t.Errorf("N=%d Y=%v Classes=%d names=%v", d.N, d.Y, d.Classes, d.ClassNames)
	}
	// Without a train folder the test folder defines the classes.
	os.RemoveAll(filepath.Join(root, "train"))
	d, err = LoadImageFolder(root, "test", 4)
	if err != nil || d.Classes != 1 || d.Y[0] != 0 {
		t.Errorf("no train folder: %v %+v", err, d)
	}
}

// TestImageFolderEndToEnd: an RGB folder goes through the split,
// per-channel preprocessing and the loader.
func TestImageFolderEndToEnd(t *testing.T) {
	full, err := Load(FormatFolder, folderFixture, "train")
	if err != nil {
		t.Fatal(err)
	}
	train, val, err := SplitValidation(full, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	p := mustFit(t, PreprocessConfig{Method: MethodChannel}, train)
	for _, d := range []*Dataset{train, val} {
		if err := p.Apply(d, 2); err != nil {
			t.Fatal(err)
		}
	}
	test, err := Load(FormatFolder, folderFixture, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(test, 2); err != nil {
		t.Fatal(err)
	}
	l := NewLoader(train, 4, true, false, 3)
	x, y := make([]float32, 4*3*8*8), make([]int32, 4)
	if n := l.Batch(0, x, y); n != 4 {
		t.Fatalf("batch of %d", n)
	}
	// Each channel of the standardized training split: mean 0, std 1.
	for c := range 3 {
		var s, ss float64
		for i := range train.N {
			for _, v := range train.Example(i)[c*64 : (c+1)*64] {
				s += float64(v)
				ss += float64(v) * float64(v)
			}
		}
		n := float64(train.N * 64)
		if m, v := s/n, ss/n-(s/n)*(s/n); math.Abs(m) > 1e-5 || math.Abs(v-1) > 1e-4 {
			t.Errorf("channel %d: mean %g var %g", c, m, v)
		}
	}
}

func TestLoadFormats(t *testing.T) {
	for _, f := range []string{"", FormatIDX} {
		d, err := Load(f, smallDir, "test")
		if err != nil || d.N != 500 || d.C != 1 {
			t.Errorf("Load(%q): %v", f, err)
		}
	}
	d, err := Load(FormatCSV, filepath.Join(imagesDir, "tabular"), "train")
	if err != nil || d.C != 3 {
		t.Errorf("Load(csv): %v", err)
	}
	_, err = Load("parquet", smallDir, "train")
	checkOneLine(t, err)
	if want := `data.format: unknown format "parquet"; allowed: idx, folder, csv, packed`; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}
