package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/run"
)

// TestPredictMatchesEval: `predict` on the test folder of an image-folder
// data set gives, image by image, the classes and probabilities that
// `eval --predictions` gives on the same split; flip TTA and JSON work; bad
// input is one line and exit 2.
func TestPredictMatchesEval(t *testing.T) {
	dir := t.TempDir()
	folder, err := filepath.Abs("../../testdata/images/folder")
	if err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(dir, "run")
	if code, _, errs := nettrain(t, "train", "-c", quickstart, "--out", runDir, "--set", "data.format=folder", "--set", "data.dir="+folder,
		"--set", "data.val_split=0", "--set", "model.hidden=[8]", "--set", "train.epochs=3"); code != 0 {
		t.Fatalf("train: %s", errs)
	}
	ckpt := filepath.Join(runDir, "checkpoints", "best.ckpt")
	evalCSV := filepath.Join(dir, "eval.csv")
	if code, _, errs := nettrain(t, "eval", ckpt, "--predictions", evalCSV); code != 0 {
		t.Fatalf("eval: %s", errs)
	}
	want := readCSV(t, evalCSV)
	code, out, errs := nettrain(t, "predict", ckpt, filepath.Join(folder, "test"))
	if code != 0 {
		t.Fatalf("predict: exit %d %s", code, errs)
	}
	got, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(got) != 5 {
		t.Fatalf("predict: %d rows, eval --predictions %d", len(got)-1, len(want)-1)
	}
	for i := 1; i < len(got); i++ {
		// predict: input,predicted,name,probability; eval: index,label,label_name,predicted,predicted_name,probability
		if got[i][1] != want[i][3] || got[i][2] != want[i][4] || got[i][3] != want[i][5] {
			t.Errorf("image %s: predict %v, eval %v", got[i][0], got[i][1:4], want[i][3:6])
		}
	}

	// The same images as CSV rows of 0–255 pixels (NCHW, a label column
	// ignored): the same predictions.
	files, err := data.ImageFiles([]string{filepath.Join(folder, "test")})
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	table.WriteString("label")
	for j := range 3 * 8 * 8 {
		fmt.Fprintf(&table, ",p%d", j)
	}
	for _, f := range files {
		px := make([]float32, 3*8*8)
		if err := data.DecodeImage(f, px, 3, 8, 8, false); err != nil {
			t.Fatal(err)
		}
		table.WriteString("\n7")
		for _, v := range px {
			fmt.Fprintf(&table, ",%d", int(math.Round(float64(v)*255)))
		}
	}
	rowsCSV := filepath.Join(dir, "rows.csv")
	if err := os.WriteFile(rowsCSV, []byte(table.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = nettrain(t, "predict", ckpt, rowsCSV)
	if code != 0 {
		t.Fatalf("predict CSV: exit %d %s", code, errs)
	}
	fromCSV, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(fromCSV) != len(got) {
		t.Fatalf("predict CSV: %v, %d rows, want %d", err, len(fromCSV), len(got))
	}
	for i := 1; i < len(got); i++ {
		if want := fmt.Sprintf("%s#%d", rowsCSV, i-1); fromCSV[i][0] != want || !slices.Equal(fromCSV[i][1:], got[i][1:]) {
			t.Errorf("CSV row %d: %v, the image %v", i-1, fromCSV[i], got[i])
		}
	}

	jsonOut := filepath.Join(dir, "p.json")
	if code, _, errs := nettrain(t, "predict", ckpt, filepath.Join(folder, "test", "red"), "--tta", "flip", "--top-k", "3", "--out", jsonOut); code != 0 {
		t.Fatalf("predict --tta flip: %s", errs)
	}
	var rows []run.ImagePrediction
	b, _ := os.ReadFile(jsonOut)
	if err := json.Unmarshal(b, &rows); err != nil || len(rows) != 2 || len(rows[0].Top) != 3 || rows[0].Top[0].Class != rows[0].Predicted {
		t.Fatalf("JSON with top-3: %v %+v", err, rows)
	}

	small := filepath.Join(dir, "small.png")
	writePNG(t, small, image.NewRGBA(image.Rect(0, 0, 4, 4)))
	notImage := filepath.Join(dir, "text.png")
	if err := os.WriteFile(notImage, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := nettrain(t, "predict", ckpt, small, "--resize"); code != 0 || !strings.Contains(out, "small.png") {
		t.Errorf("--resize of a 4x4 image: exit %d %s%s", code, out, errs)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"wrong size", []string{"predict", ckpt, small}, "image is 4x4, the model takes 8x8"},
		{"not an image", []string{"predict", ckpt, notImage}, "not a PNG or JPEG image"},
		{"not an image file", []string{"predict", ckpt, notes}, "not an image file"},
		{"CSV of another width", []string{"predict", ckpt, "../../testdata/images/tabular/test.csv"}, "3 feature columns, the model takes 192"},
		{"CSV with text", []string{"predict", ckpt, evalCSV}, `column 3 "label_name": invalid number`},
		{"empty folder", []string{"predict", ckpt, empty}, "no .png/.jpg/.jpeg images"},
		{"missing input", []string{"predict", ckpt, filepath.Join(dir, "nope.png")}, "nope.png"},
		{"IDX of another shape", []string{"predict", ckpt, "../../testdata/fashion-mnist-small/t10k-images-idx3-ubyte.gz"}, "images of shape [28 28], the model takes (C,H,W) [3 8 8]"},
		{"no checkpoint", []string{"predict", small, small}, "no checkpoint given"},
		{"bad tta", []string{"predict", ckpt, small, "--tta", "crop"}, "allowed: flip"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := nettrain(t, c.args...)
			if code != exitUsage || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
				t.Errorf("exit %d, stderr %q; want exit %d and one line with %q", code, errs, exitUsage, c.want)
			}
		})
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}
