package augment

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

func TestWriteGrid(t *testing.T) {
	gray := ramp(1, 5, 4)
	rgb := ramp(3, 6, 6)
	tests := []struct {
		name       string
		originals  []Image
		augmented  [][]Image
		w, h       int
		wantGray   bool
		checkPixel func(t *testing.T, m image.Image)
	}{
		{"gray 2 rows x (1+3)", []Image{gray, gray}, [][]Image{{gray, gray, gray}, {gray, gray, gray}}, 4*(4+2) + 2, 2*(5+2) + 2, true,
			func(t *testing.T, m image.Image) {
				// Cell (0,0) pixel (0,0) is gray.Pix[0] = 1/21 -> round(255/21) = 12.
				if v := m.At(2, 2).(color.Gray).Y; v != 12 {
					t.Fatalf("pixel = %d, want 12", v)
				}
				if v := m.At(0, 0).(color.Gray).Y; v != 128 {
					t.Fatalf("separator = %d, want 128", v)
				}
			}},
		{"rgb, ragged rows, mixed sizes", []Image{rgb, gray}, [][]Image{{rgb}, {gray, gray}}, 3*(6+2) + 2, 2*(6+2) + 2, false, nil},
		{"originals only", []Image{gray}, nil, 4 + 4, 5 + 4, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteGrid(&buf, tt.originals, tt.augmented); err != nil {
				t.Fatal(err)
			}
			m, err := png.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if b := m.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
				t.Fatalf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), tt.w, tt.h)
			}
			if _, isGray := m.(*image.Gray); isGray != tt.wantGray {
				t.Fatalf("decoded %T, gray=%v wanted", m, tt.wantGray)
			}
			if tt.checkPixel != nil {
				tt.checkPixel(t, m)
			}
		})
	}
	// Values are clamped.
	var buf bytes.Buffer
	if err := WriteGrid(&buf, []Image{{C: 1, H: 1, W: 2, Pix: []float32{-3, 7}}}, nil); err != nil {
		t.Fatal(err)
	}
	m, _ := png.Decode(&buf)
	if a, b := m.At(2, 2).(color.Gray).Y, m.At(3, 2).(color.Gray).Y; a != 0 || b != 255 {
		t.Fatalf("clamped pixels %d, %d, want 0, 255", a, b)
	}
}

func TestWriteGridErrors(t *testing.T) {
	ok := ramp(1, 2, 2)
	tests := []struct {
		name string
		orig []Image
		aug  [][]Image
		want string
	}{
		{"empty", nil, nil, "no images"},
		{"row count", []Image{ok}, [][]Image{{ok}, {ok}}, "2 rows of augmented images for 1 originals"},
		{"channels", []Image{ramp(2, 2, 2)}, nil, "2 channels"},
		{"malformed", []Image{ok}, [][]Image{{{C: 1, H: 2, W: 2, Pix: make([]float32, 3)}}}, "image [0][1]: shape (1,2,2) does not match len(Pix)=3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteGrid(&bytes.Buffer{}, tt.orig, tt.aug)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
