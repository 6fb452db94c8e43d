package run

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/engine"
)

// TestFlipTTA: with --tta flip an image and its mirror get the same
// averaged probabilities, so scoring the test set and its mirrored copy
// gives identical metrics (bit for bit), while without it they differ; a
// one-member ensemble scores as EvaluateCheckpoint does.
func TestFlipTTA(t *testing.T) {
	_, runDir := trainRun(t, testConfig(t))
	ckpt := ckptPath(runDir, BestCheckpoint)
	mirror := mirroredDataDir(t, testfix.SmallData(t))
	pool := testfix.Pool(t, 2)
	eval := func(o EvalOptions) *EvalReport {
		t.Helper()
		o.Pool = pool
		r, err := EvaluateCheckpoint(ckpt, o)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	plain, plainMirror := eval(EvalOptions{}), eval(EvalOptions{DataDir: mirror})
	tta, ttaMirror := eval(EvalOptions{FlipTTA: true}), eval(EvalOptions{FlipTTA: true, DataDir: mirror})
	if tta.Loss != ttaMirror.Loss || tta.Correct != ttaMirror.Correct || !slices.EqualFunc(tta.Confusion, ttaMirror.Confusion, slices.Equal) {
		t.Errorf("flip TTA: test set loss %v, %d correct; mirrored test set %v, %d", tta.Loss, tta.Correct, ttaMirror.Loss, ttaMirror.Correct)
	}
	if plain.Loss == plainMirror.Loss {
		t.Errorf("without TTA the mirrored test set scores the same loss %v: the mirror is not a different input", plain.Loss)
	}
	if tta.Loss == plain.Loss || tta.TTA != "flip" || plain.TTA != "" {
		t.Errorf("TTA loss %v (tta %q), plain %v (tta %q)", tta.Loss, tta.TTA, plain.Loss, plain.TTA)
	}
	ens, err := EvaluateEnsemble([]string{ckpt}, EnsembleOptions{EvalOptions: EvalOptions{FlipTTA: true, Pool: pool}})
	if err != nil {
		t.Fatal(err)
	}
	if ens.Correct != tta.Correct || ens.Loss != tta.Loss {
		t.Errorf("one-member ensemble with TTA: %d correct, loss %v; EvaluateCheckpoint %d, %v", ens.Correct, ens.Loss, tta.Correct, tta.Loss)
	}
}

// mirroredDataDir copies the IDX data set in src with every test image
// mirrored left-right (the training files linked as they are).
func mirroredDataDir(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		abs, err := filepath.Abs(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(abs, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	dims, img, err := data.ReadIDXFile(filepath.Join(src, "t10k-images-idx3-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	w := dims[2]
	for r := 0; r < len(img); r += w {
		slices.Reverse(img[r : r+w])
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	hdr := []uint32{0x00000803, uint32(dims[0]), uint32(dims[1]), uint32(dims[2])}
	if err := binary.Write(zw, binary.BigEndian, hdr); err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(img); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestFlipTTATable: a model of a table's features has nothing to mirror:
// eval and predict refuse --tta flip with one input error naming the
// checkpoint.
func TestFlipTTATable(t *testing.T) {
	dir, err := filepath.Abs("../../testdata/images/tabular")
	if err != nil {
		t.Fatal(err)
	}
	_, runDir := trainRun(t, testConfig(t, "data.format=csv", "data.dir="+dir, "data.val_split=0", "data.train_limit=0", "train.epochs=1"))
	ckpt := ckptPath(runDir, BestCheckpoint)
	_, evalErr := EvaluateCheckpoint(ckpt, EvalOptions{FlipTTA: true})
	_, predErr := Predict([]string{ckpt}, []string{filepath.Join(dir, "test.csv")}, PredictOptions{FlipTTA: true})
	for what, err := range map[string]error{"eval": evalErr, "predict": predErr} {
		if !engine.IsInputError(err) || !strings.Contains(err.Error(), "nothing to mirror") || !strings.Contains(err.Error(), ckpt) {
			t.Errorf("%s --tta flip on a table model: %v", what, err)
		}
	}
	if _, err := EvaluateCheckpoint(ckpt, EvalOptions{}); err != nil {
		t.Errorf("eval without TTA: %v", err)
	}
}
