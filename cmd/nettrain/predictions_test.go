package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/run"
)

// TestEvalPredictions: `eval --predictions` writes one row per example
// whose predicted classes give the accuracy eval reports, for one
// checkpoint (CSV) and an ensemble (JSON), and a bad path is one line.
func TestEvalPredictions(t *testing.T) {
	dir := t.TempDir()
	runDir := filepath.Join(dir, "run")
	if code, _, errs := nettrain(t, "train", "-c", quickstart, "--out", runDir, "--set", "train.epochs=1"); code != 0 {
		t.Fatalf("train: %s", errs)
	}
	ckpt := filepath.Join(runDir, "checkpoints", "best.ckpt")
	csvPath, jsonPath := filepath.Join(dir, "p.csv"), filepath.Join(dir, "p.json")
	code, out, errs := nettrain(t, "eval", ckpt, "--json", "--predictions", csvPath)
	if code != 0 {
		t.Fatalf("eval: exit %d %s", code, errs)
	}
	var rep run.EvalReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	recs := readCSV(t, csvPath)
	if len(recs) != rep.N+1 || recs[0][0] != "index" || len(recs[0]) != 6+10 {
		t.Fatalf("%d rows, header %v; want %d examples and 10 probabilities", len(recs)-1, recs[0], rep.N)
	}
	correct := 0
	for _, r := range recs[1:] {
		if r[1] == r[3] {
			correct++
		}
		if p, err := strconv.ParseFloat(r[5], 64); err != nil || !(p > 0 && p <= 1) {
			t.Fatalf("row %v: probability %q", r, r[5])
		}
	}
	if correct != rep.Correct {
		t.Errorf("predictions file: %d correct, eval says %d", correct, rep.Correct)
	}

	// predict on the test IDX file: the same classes, example by example.
	idx, _ := filepath.Abs("../../testdata/fashion-mnist-small/t10k-images-idx3-ubyte.gz")
	code, out, errs = nettrain(t, "predict", ckpt, idx)
	if code != 0 {
		t.Fatalf("predict on IDX: exit %d %s", code, errs)
	}
	pred, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(pred) != len(recs) {
		t.Fatalf("predict on IDX: %d rows (%v), eval %d", len(pred), err, len(recs))
	}
	for i := 1; i < len(pred); i++ {
		if pred[i][0] != idx+"#"+strconv.Itoa(i-1) || pred[i][1] != recs[i][3] || pred[i][3] != recs[i][5] {
			t.Fatalf("row %d: predict %v, eval %v", i, pred[i][:4], recs[i][3:6])
		}
	}

	if code, _, errs := nettrain(t, "eval", ckpt, ckpt, "--predictions", jsonPath); code != 0 {
		t.Fatalf("ensemble eval: exit %d %s", code, errs)
	}
	var rows []run.Prediction
	b, _ := os.ReadFile(jsonPath)
	if err := json.Unmarshal(b, &rows); err != nil || len(rows) != rep.N {
		t.Fatalf("JSON predictions: %d rows (%v), want %d", len(rows), err, rep.N)
	}
	if code, _, errs := nettrain(t, "eval", ckpt, "--predictions", runDir); code != exitUsage || errs == "" {
		t.Errorf("predictions path is a folder: exit %d, %q", code, errs)
	}
}
