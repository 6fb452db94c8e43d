package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/internal/exporttest"
	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/export"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/run"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// trainCNN trains a small batch-norm CNN on part of the in-repo subset
// for one epoch, with an EMA, and returns its best checkpoint.
func trainCNN(t *testing.T, dir string, set ...string) string {
	t.Helper()
	args := []string{"train", "-c", quickstart, "--out", dir, "--set", "train.epochs=1", "--set", "data.train_limit=600",
		"--set", "model.arch=cnn", "--set", "model.widths=[4]", "--set", "model.convs_per_stage=1", "--set", "model.hidden=[16]",
		"--set", "ema.enabled=true", "--set", "preprocess.method=channel"}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	if code, out, errs := nettrain(t, args...); code != 0 {
		t.Fatalf("train: exit %d\n%s%s", code, out, errs)
	}
	return filepath.Join(dir, "checkpoints", "best.ckpt")
}

// TestExportCommand exports a trained checkpoint in every format, checks
// the safetensors file against the checkpoint (names, values, metadata,
// EMA weights), and runs the PyTorch module and the ONNX model on test
// images, raw, against nettrain's logits.
func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	ckpt := trainCNN(t, filepath.Join(dir, "run"))
	out := func(name string) string { return filepath.Join(dir, name) }
	for _, args := range [][]string{
		{"--format", "safetensors", "--out", out("raw.safetensors")},
		{"--format", "safetensors", "--out", out("ema.safetensors"), "--ema"},
		{"--format", "pytorch", "--out", out("net.safetensors")},
		{"--format", "onnx", "--out", out("net.onnx"), "--preprocess"},
		{"--format", "onnx", "--out", out("bare.onnx")},
	} {
		code, stdout, errs := nettrain(t, append([]string{"export", ckpt}, args...)...)
		if code != 0 || !strings.Contains(stdout, "wrote "+args[3]) {
			t.Fatalf("export %v: exit %d\n%s%s", args, code, stdout, errs)
		}
	}
	if _, err := os.Stat(out("net.py")); err != nil {
		t.Fatalf("pytorch wrote no module: %v", err)
	}

	f, err := checkpoint.Load(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	l, err := run.LoadCheckpoint(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file, prefix, weights string
	}{{"raw.safetensors", "", "raw"}, {"ema.safetensors", engine.EMAPrefix, "ema"}} {
		b, err := os.ReadFile(out(tc.file))
		if err != nil {
			t.Fatal(err)
		}
		st, err := export.ParseSafetensors(b)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, x := range st.Tensors {
			names = append(names, x.Name)
			if x.I64 != nil {
				continue
			}
			want, ok := f.Tensor(tc.prefix + x.Name)
			if strings.HasPrefix(x.Name, data.PreprocessTensorPrefix) {
				want, ok = f.Tensor(x.Name)
			}
			if !ok || !slices.Equal(want.Data, x.F32) || !slices.Equal(want.Shape, x.Shape) {
				t.Errorf("%s: tensor %s differs from the checkpoint's %s%s", tc.file, x.Name, tc.prefix, x.Name)
			}
		}
		for _, n := range []string{"stage1.conv1.weight", "stage1.bn1.running_var", "stage1.bn1.num_batches_tracked", "fc1.bias", "classifier.weight", data.TensorMean, data.TensorStd} {
			if !slices.Contains(names, n) {
				t.Errorf("%s lacks tensor %s; has %v", tc.file, n, names)
			}
		}
		if nbt, _ := st.Tensor("stage1.bn1.num_batches_tracked"); len(nbt.I64) != 1 || nbt.I64[0] != l.Step || l.Step == 0 {
			t.Errorf("num_batches_tracked %v, want the checkpoint's %d steps", nbt.I64, l.Step)
		}
		md := st.Metadata
		names2, _ := json.Marshal(data.FashionMNISTClasses)
		if md["class_names"] != string(names2) || md["weights"] != tc.weights || md["arch"] != "cnn" || md["epoch"] != "1" || md["format"] != "pt" ||
			!strings.Contains(md["preprocess"], `"method":"channel"`) || md["checkpoint"] != "best.ckpt" {
			t.Errorf("%s: metadata %v", tc.file, md)
		}
	}

	// Interop on raw test images: Preprocess + Net in PyTorch, the ONNX
	// model with the preprocessing inside in ONNX Runtime.
	raws, x := rawTestCase(t, dir, "cnn_raw", l, 32)
	raws.Module, raws.Weights, raws.ONNX = out("net.py"), out("net.safetensors"), out("net.onnx")
	bare := exporttest.Case{Name: "cnn_preprocessed", ONNX: out("bare.onnx"), Want: raws.Want}
	bare.WriteInput(t, dir, x, raws.Shape)
	t.Run("torch", func(t *testing.T) { exporttest.Torch(t, []exporttest.Case{raws}) })
	t.Run("onnxruntime", func(t *testing.T) { exporttest.ONNXRuntime(t, []exporttest.Case{raws, bare}) })
	t.Run("onnx_checker", func(t *testing.T) { exporttest.ONNXChecker(t, []exporttest.Case{raws, bare}) })
}

// rawTestCase returns an interop case over the first n raw test images of
// the checkpoint's data (Raw: the other runtime applies the preprocessing)
// with nettrain's logits as Want, and the preprocessed images (N, C, H, W).
// The caller sets the case's exported files.
func rawTestCase(t *testing.T, dir, name string, l *run.Loaded, n int) (exporttest.Case, []float32) {
	t.Helper()
	none, _ := data.NewPreprocessor(data.PreprocessConfig{})
	test, err := engine.LoadSplit(l.Config, l.Config.Data.Dir, "test", none, 1)
	if err != nil {
		t.Fatal(err)
	}
	n = min(n, test.N)
	raw := test.Range(nil, 0, n)
	var x []float32
	for i := range n {
		e, err := l.Prep.ApplyExample(slices.Clone(test.Example(i)))
		if err != nil {
			t.Fatal(err)
		}
		x = append(x, e...)
	}
	shape := []int{n, test.C, test.H, test.W}
	c := exporttest.Case{Name: name, Raw: true}
	c.Want = slices.Clone(l.Model.Net.Forward(&nn.Context{}, tensor.FromData(x, shape...)).Data)
	c.WriteInput(t, dir, raw, shape)
	return c, x
}

// TestExportTrainedCheckpoints exports the checkpoints listed (separated
// by spaces) in $NETTRAIN_EXPORT_CHECKPOINTS as PyTorch modules and ONNX
// models with the preprocessing inside, and runs both, in PyTorch, ONNX
// Runtime and onnx.checker, on the first $NETTRAIN_EXPORT_IMAGES (default
// 1,000) raw test images of each checkpoint's data, against nettrain's
// logits within exporttest.Tolerance. It makes the README's export table
// from full-data checkpoints; make test does not set the variable, and
// TestExportCommand covers the same path on a small model.
func TestExportTrainedCheckpoints(t *testing.T) {
	list := strings.Fields(os.Getenv("NETTRAIN_EXPORT_CHECKPOINTS"))
	if len(list) == 0 {
		t.Skip("set NETTRAIN_EXPORT_CHECKPOINTS to the checkpoints to check")
	}
	n := 1000
	if s := os.Getenv("NETTRAIN_EXPORT_IMAGES"); s != "" {
		if _, err := fmt.Sscan(s, &n); err != nil || n < 1 {
			t.Fatalf("NETTRAIN_EXPORT_IMAGES=%q: want a positive count", s)
		}
	}
	dir := t.TempDir()
	var cases []exporttest.Case
	for i, ckpt := range list {
		l, err := run.LoadCheckpoint(ckpt)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%d_%s", i, l.Config.Model.Arch)
		c, _ := rawTestCase(t, dir, name, l, n)
		c.Weights, c.Module, c.ONNX = filepath.Join(dir, name+".safetensors"), filepath.Join(dir, name+".py"), filepath.Join(dir, name+".onnx")
		for _, args := range [][]string{{"--format", "pytorch", "--out", c.Weights}, {"--format", "onnx", "--preprocess", "--out", c.ONNX}} {
			if code, stdout, errs := nettrain(t, append([]string{"export", ckpt}, args...)...); code != 0 {
				t.Fatalf("export %s %v: exit %d\n%s%s", ckpt, args, code, stdout, errs)
			}
		}
		t.Logf("case %s: %s, %d test images", name, ckpt, c.Shape[0])
		cases = append(cases, c)
	}
	t.Run("torch", func(t *testing.T) { exporttest.Torch(t, cases) })
	t.Run("onnxruntime", func(t *testing.T) { exporttest.ONNXRuntime(t, cases) })
	t.Run("onnx_checker", func(t *testing.T) { exporttest.ONNXChecker(t, cases) })
}

// TestExportErrors: bad flags, checkpoints and models get one line naming
// the flag, file or layer, and exit status 2; nothing is written.
func TestExportErrors(t *testing.T) {
	dir := t.TempDir()
	frac := trainCNN(t, filepath.Join(dir, "frac"), "model.pool=fractional", "ema.enabled=false")
	garbage := writeFile(t, dir, "garbage.ckpt", "not a checkpoint")
	outFile := filepath.Join(dir, "out.onnx")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"no format", []string{"export", frac, "--out", outFile}, []string{"--format", "allowed: safetensors, pytorch, onnx"}},
		{"unknown format", []string{"export", frac, "--format", "tflite", "--out", outFile}, []string{`--format: unknown format "tflite"`}},
		{"no out", []string{"export", frac, "--format", "onnx"}, []string{"--out: required"}},
		{"preprocess without onnx", []string{"export", frac, "--format", "pytorch", "--out", outFile, "--preprocess"}, []string{"--preprocess: applies to --format onnx only"}},
		{"module over the weights", []string{"export", frac, "--format", "pytorch", "--out", filepath.Join(dir, "w.py")}, []string{"would overwrite the weights"}},
		{"missing checkpoint", []string{"export", filepath.Join(dir, "nope.ckpt"), "--format", "onnx", "--out", outFile}, []string{"nope.ckpt"}},
		{"not a checkpoint", []string{"export", garbage, "--format", "onnx", "--out", outFile}, []string{"garbage.ckpt"}},
		{"no EMA weights", []string{"export", frac, "--format", "onnx", "--out", outFile, "--ema"}, []string{"no EMA weights"}},
		{"fractional pooling", []string{"export", frac, "--format", "onnx", "--out", outFile}, []string{"checkpoint " + frac, "layer stage1.pool", "FractionalMaxPool2d", "no PyTorch or ONNX equivalent"}},
		{"fractional pooling, pytorch", []string{"export", frac, "--format", "pytorch", "--out", filepath.Join(dir, "w.safetensors")}, []string{"layer stage1.pool"}},
		{"two checkpoints", []string{"export", frac, frac, "--format", "onnx", "--out", outFile}, []string{"accepts 1 arg"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := nettrain(t, tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if lines := strings.Split(strings.TrimSpace(errs), "\n"); len(lines) != 1 {
				t.Errorf("stderr has %d lines, want 1:\n%s", len(lines), errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr %q lacks %q", errs, w)
				}
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !e.IsDir() && e.Name() != "garbage.ckpt" {
			t.Errorf("a failed export left %s", e.Name())
		}
	}
}
