package main

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAugmentCommand writes the augmentation preview of the in-repo data
// and checks the PNG's size; a config without augment is one clear error.
func TestAugmentCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "grid.png")
	code, stdout, stderr := nettrain(t, "augment", "-c", quickstart, "--out", out, "--n", "3", "--k", "2",
		"--set", "augment=[{op: crop, pad: 2}, {op: hflip, p: 0.5}, {op: erase}]")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 3*30+2 || b.Dy() != 3*30+2 {
		t.Fatalf("grid %dx%d, want 92x92 (3 columns, 3 rows of 28+2 pixels)", b.Dx(), b.Dy())
	}
	code, _, stderr = nettrain(t, "augment", "-c", quickstart, "--out", out)
	if code != 2 || !strings.Contains(stderr, "no augment list") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("without augment: exit %d, %q", code, stderr)
	}
	code, _, stderr = nettrain(t, "augment", "-c", quickstart, "--out", out, "--set", "augment=[{op: rotat}]")
	if code != 2 || !strings.Contains(stderr, `augment[0].op: unknown op "rotat"; did you mean "rotate"?`) {
		t.Fatalf("bad op: exit %d, %q", code, stderr)
	}
}

// writeRGBFolder writes a two-class RGB image folder data set (8x8 PNGs):
// class "red" images are reddish, "blue" bluish, with noise.
func writeRGBFolder(t *testing.T, root string) {
	t.Helper()
	for _, split := range []string{"train", "test"} {
		n := 40
		if split == "test" {
			n = 10
		}
		for ci, class := range []string{"blue", "red"} {
			dir := filepath.Join(root, split, class)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for i := range n {
				img := image.NewRGBA(image.Rect(0, 0, 8, 8))
				for y := range 8 {
					for x := range 8 {
						v := uint8((x*31 + y*17 + i*13) % 90)
						c := color.RGBA{R: v, G: v / 2, B: 150 + v, A: 255}
						if ci == 1 {
							c.R, c.B = 150+v, v
						}
						img.Set(x, y, c)
					}
				}
				f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%d.png", i)))
				if err != nil {
					t.Fatal(err)
				}
				if err := png.Encode(f, img); err != nil {
					t.Fatal(err)
				}
				f.Close()
			}
		}
	}
}

// TestRGBFolderEndToEnd trains a small CNN on an RGB image folder with
// per-channel standardization, colour and geometric augmentation and
// cutmix, and checks that eval reproduces the test accuracy, and that the
// preview is an RGB grid.
func TestRGBFolderEndToEnd(t *testing.T) {
	root := t.TempDir()
	writeRGBFolder(t, root)
	cfg := writeFile(t, root, "rgb.yaml", `data: {dir: ., format: folder, val_split: 0}
preprocess: {method: channel}
augment:
  - {op: crop, pad: 1, fill: reflect}
  - {op: hflip, p: 0.5}
  - {op: color_jitter, brightness: 0.2, saturation: 0.3, hue: 0.05}
model: {arch: cnn, widths: [4], convs_per_stage: 1, pool: fractional, hidden: []}
optimizer: {lr: 0.05, momentum: 0.9}
train: {epochs: 3, batch_size: 16, cutmix: {alpha: 1, p: 0.5}, label_smoothing: 0.1}
`)
	run := filepath.Join(root, "run")
	code, out, errs := nettrain(t, "train", "-c", cfg, "--out", run)
	if code != 0 {
		t.Fatalf("train exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "examples of shape (3,8,8)") {
		t.Fatalf("not RGB: %s", out)
	}
	var sum struct {
		Test struct{ Accuracy float64 } `json:"test"`
	}
	b, err := os.ReadFile(filepath.Join(run, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	code, out, errs = nettrain(t, "eval", filepath.Join(run, "checkpoints", "best.ckpt"), "--json")
	if code != 0 {
		t.Fatalf("eval exit %d\n%s", code, errs)
	}
	var ev struct{ Accuracy float64 }
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Accuracy != sum.Test.Accuracy {
		t.Fatalf("eval %v, training reported %v", ev.Accuracy, sum.Test.Accuracy)
	}
	grid := filepath.Join(root, "grid.png")
	if code, _, errs := nettrain(t, "augment", "-c", cfg, "--out", grid, "--n", "2", "--k", "3"); code != 0 {
		t.Fatalf("augment exit %d: %s", code, errs)
	}
	f, err := os.Open(grid)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.RGBA); !ok || img.Bounds().Dx() != 4*10+2 || img.Bounds().Dy() != 2*10+2 {
		t.Fatalf("grid %T %v, want RGBA 42x22", img, img.Bounds())
	}
}

// TestCSVLabelColumn trains on a CSV table whose label column is not
// called "label".
func TestCSVLabelColumn(t *testing.T) {
	root := t.TempDir()
	var train, test strings.Builder
	train.WriteString("a,b,cls\n")
	test.WriteString("a,b,cls\n")
	for i := range 60 {
		y := i % 2
		row := fmt.Sprintf("%g,%g,%d\n", float64(y)*2+float64(i%7)/10, float64(i%5)/5, y)
		train.WriteString(row)
		if i < 20 {
			test.WriteString(row)
		}
	}
	writeFile(t, root, "train.csv", train.String())
	writeFile(t, root, "test.csv", test.String())
	cfg := writeFile(t, root, "csv.yaml", "data: {dir: ., format: csv, label_column: cls, val_split: 0}\npreprocess: {method: feature}\nmodel: {hidden: [8]}\ntrain: {epochs: 2, batch_size: 8}\n")
	code, out, errs := nettrain(t, "train", "-c", cfg, "--out", filepath.Join(root, "run"))
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	bad := writeFile(t, root, "bad.yaml", "data: {dir: ., format: csv, val_split: 0}\n")
	code, _, errs = nettrain(t, "validate", "-c", bad)
	if code != 2 || !strings.Contains(errs, `no label column "label"`) {
		t.Fatalf("missing label column: exit %d %q", code, errs)
	}
}
