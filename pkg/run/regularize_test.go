package run

import (
	"bytes"
	"encoding/json"
	"image/png"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/report"
)

// regularizedOverrides is a small ResNet run with every regularizer of the
// toolbox on: augmentation, mixup, label smoothing, DropConnect, stochastic
// depth and an elastic-net penalty.
var regularizedOverrides = []string{
	"model.arch=resnet", "model.depth=8", "model.width=4", "model.hidden=[]",
	"model.dropconnect=0.1", "model.stochastic_depth=0.2",
	"regularization.l1=1e-5", "regularization.l2=1e-4", "regularization.exclude=[classifier.*]",
	"train.label_smoothing=0.1", "train.mixup={alpha: 0.2, p: 0.5}",
	"augment=[{op: crop, pad: 2}, {op: hflip, p: 0.5}, {op: erase, p: 0.5}]",
	"train.batch_size=64", "data.train_limit=400",
}

// TestRegularizedRunDeterministic trains with every regularizer twice and
// checks that the metrics and weights are identical, that training differs
// from a run without them, and that eval reproduces the test accuracy.
func TestRegularizedRunDeterministic(t *testing.T) {
	cfg := testConfig(t, regularizedOverrides...)
	resA, a := trainRun(t, cfg)
	resB, b := trainRun(t, testConfig(t, regularizedOverrides...))
	for i := range resA.Epochs {
		ea, eb := resA.Epochs[i], resB.Epochs[i]
		if ea.TrainLoss != eb.TrainLoss || ea.TrainAcc != eb.TrainAcc || ea.ValLoss != eb.ValLoss || ea.ValAcc != eb.ValAcc {
			t.Fatalf("epoch %d differs between identical runs: %+v vs %+v", i+1, ea, eb)
		}
		if math.IsNaN(ea.TrainLoss) || ea.TrainLoss <= 0 {
			t.Fatalf("epoch %d: train loss %v", i+1, ea.TrainLoss)
		}
	}
	fa, fb := loadFile(t, ckptPath(a, LastCheckpoint)), loadFile(t, ckptPath(b, LastCheckpoint))
	for i, ta := range fa.Tensors {
		if !slices.Equal(ta.Data, fb.Tensors[i].Data) {
			t.Fatalf("tensor %s differs between identical runs", ta.Name)
		}
	}
	plain := testConfig(t, "model.arch=resnet", "model.depth=8", "model.width=4", "model.hidden=[]", "train.batch_size=64", "data.train_limit=400")
	resP, _ := trainRun(t, plain)
	if resP.Epochs[0].TrainLoss == resA.Epochs[0].TrainLoss {
		t.Fatalf("the regularizers changed nothing: train loss %v", resA.Epochs[0].TrainLoss)
	}
	r, err := EvaluateCheckpoint(ckptPath(a, BestCheckpoint), EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Accuracy != resA.Test.Accuracy || r.Loss != resA.Test.Loss {
		t.Fatalf("eval %v/%v, training reported %v/%v", r.Accuracy, r.Loss, resA.Test.Accuracy, resA.Test.Loss)
	}
	// The model really carries the regularizers.
	l, err := LoadCheckpoint(ckptPath(a, BestCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	var dc, sd int
	var walkAll func(nn.Layer)
	walkAll = func(x nn.Layer) {
		switch v := x.(type) {
		case *nn.Conv2d:
			if v.DropConnect == 0.1 {
				dc++
			}
		case *nn.BasicBlock:
			if v.DropProb > 0 {
				sd++
			}
		}
		if c, ok := x.(nn.Container); ok {
			for _, k := range c.Children() {
				walkAll(k.Layer)
			}
		}
	}
	walkAll(l.Model.Net)
	if dc == 0 || sd != 3 {
		t.Fatalf("%d convolutions with DropConnect, %d blocks with stochastic depth (want > 0 and 3)", dc, sd)
	}
}

// TestAugmentResume checks that an augmented, mixed run stopped inside an
// epoch and resumed ends with the same weights as an uninterrupted one.
func TestAugmentResume(t *testing.T) {
	ov := append(slices.Clone(regularizedOverrides), "train.cutmix={alpha: 1}")
	full, dirA := trainRun(t, testConfig(t, ov...))
	dirB := filepath.Join(t.TempDir(), "run")
	cfg := testConfig(t, ov...)
	if _, err := Train(cfg, Options{OutDir: dirB, StopAfterSteps: 3}); err == nil {
		t.Fatal("the run was not interrupted")
	}
	res, err := Train(cfg, Options{OutDir: dirB, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Test.Accuracy != full.Test.Accuracy || res.Test.Loss != full.Test.Loss {
		t.Fatalf("resumed test %+v, uninterrupted %+v", res.Test, full.Test)
	}
	fa, fb := loadFile(t, ckptPath(dirA, LastCheckpoint)), loadFile(t, ckptPath(dirB, LastCheckpoint))
	for i, ta := range fa.Tensors {
		if !slices.Equal(ta.Data, fb.Tensors[i].Data) {
			t.Fatalf("tensor %s differs after resume", ta.Name)
		}
	}
}

// TestPreprocessMethodsEndToEnd trains with pca and zca preprocessing and
// checks that the model sees the preprocessor's output shape, that the
// state is stored as preprocess.* tensors and that eval reproduces the
// test accuracy exactly.
func TestPreprocessMethodsEndToEnd(t *testing.T) {
	cases := []struct {
		name string
		ov   []string
		in   []int
	}{
		{"pca", []string{"preprocess.method=pca", "preprocess.components=40"}, []int{40, 1, 1}},
		{"pca_whiten variance", []string{"preprocess.method=pca_whiten", "preprocess.variance=0.9"}, nil},
		{"zca", []string{"preprocess.method=zca", "preprocess.epsilon=0.1"}, []int{1, 28, 28}},
		{"channel with augmentation", []string{"preprocess.method=channel", "augment=[{op: crop, pad: 2}]"}, []int{1, 28, 28}},
		{"zca with cutmix", []string{"preprocess.method=zca", "train.cutmix={alpha: 1}"}, []int{1, 28, 28}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, append([]string{"train.epochs=1", "data.train_limit=300"}, tc.ov...)...)
			res, dir := trainRun(t, cfg)
			l, err := LoadCheckpoint(ckptPath(dir, BestCheckpoint))
			if err != nil {
				t.Fatal(err)
			}
			if tc.in != nil && !slices.Equal(l.Model.InShape, tc.in) {
				t.Fatalf("model input %v, want %v", l.Model.InShape, tc.in)
			}
			f := loadFile(t, ckptPath(dir, BestCheckpoint))
			if _, ok := f.Tensor(data.TensorMean); !ok {
				t.Fatalf("no %s tensor in the checkpoint", data.TensorMean)
			}
			r, err := EvaluateCheckpoint(ckptPath(dir, BestCheckpoint), EvalOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// zca on 200 examples of 784 features is degenerate, so only
			// the others must learn something in one epoch.
			learned := strings.Contains(tc.name, "zca") || res.Test.Accuracy > 0.3
			if r.Accuracy != res.Test.Accuracy || r.Loss != res.Test.Loss || !learned {
				t.Fatalf("eval %v/%v, training reported %v/%v", r.Accuracy, r.Loss, res.Test.Accuracy, res.Test.Loss)
			}
		})
	}
}

// TestPCAComponentsTooMany is a config error naming the key once the data
// shape is known.
func TestPCAComponentsTooMany(t *testing.T) {
	cfg := testConfig(t, "preprocess.method=pca", "preprocess.components=900")
	_, err := CheckConfig(cfg, "x.yaml", 2)
	if err == nil || !engine.IsInputError(err) || !strings.Contains(err.Error(), "preprocess.components: 900 exceeds the 784 features") {
		t.Fatalf("error %v, want an input error naming preprocess.components", err)
	}
	cfg = testConfig(t, "augment=[{op: crop, size: 20}]")
	if _, err := CheckConfig(cfg, "x.yaml", 2); err == nil || !strings.Contains(err.Error(), "augment") {
		t.Fatalf("a size-changing crop: error %v", err)
	}
	cfg = testConfig(t, "augment=[{op: color_jitter, saturation: 0.4}]")
	if _, err := CheckConfig(cfg, "x.yaml", 2); err == nil || !strings.Contains(err.Error(), "augment[0].saturation") {
		t.Fatalf("saturation on gray images: error %v", err)
	}
}

// TestLegacyPreprocessCheckpoint rewrites a checkpoint's preprocessing in
// the format of earlier versions ({"normalize","mean","std"}, no
// preprocess.* tensors) and checks that it still loads as method global
// with the same statistics and scores the same.
func TestLegacyPreprocessCheckpoint(t *testing.T) {
	res, dir := trainRun(t, testConfig(t, "train.epochs=1"))
	path := ckptPath(dir, BestCheckpoint)
	f := loadFile(t, path)
	mean, _ := f.Tensor(data.TensorMean)
	std, _ := f.Tensor(data.TensorStd)
	legacy, _ := json.Marshal(map[string]any{"normalize": "global", "mean": mean.Data[0], "std": std.Data[0]})
	old := &checkpoint.File{Metadata: f.Metadata}
	old.Metadata[metaPreprocess] = string(legacy)
	for _, tn := range f.Tensors {
		if !strings.HasPrefix(tn.Name, data.PreprocessTensorPrefix) {
			old.Tensors = append(old.Tensors, tn)
		}
	}
	// The stored config of an old checkpoint spells it preprocess.normalize.
	old.Metadata[metaConfig] = strings.Replace(old.Metadata[metaConfig], "method: global", "normalize: global", 1)
	oldPath := filepath.Join(t.TempDir(), "old.ckpt")
	if err := checkpoint.Save(oldPath, old); err != nil {
		t.Fatal(err)
	}
	r, err := EvaluateCheckpoint(oldPath, EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Accuracy != res.Test.Accuracy || r.Loss != res.Test.Loss {
		t.Fatalf("old-format checkpoint scores %v/%v, want %v/%v", r.Accuracy, r.Loss, res.Test.Accuracy, res.Test.Loss)
	}
	// normalize: none too.
	old.Metadata[metaPreprocess] = `{"normalize":"none","mean":0,"std":0}`
	if err := checkpoint.Save(oldPath, old); err != nil {
		t.Fatal(err)
	}
	l, err := LoadCheckpoint(oldPath)
	if err != nil || l.Prep.Name() != "none" {
		t.Fatalf("normalize none: %v, %v", l, err)
	}
}

// TestAugmentPreview writes the preview grid and decodes it.
func TestAugmentPreview(t *testing.T) {
	cfg := testConfig(t, "augment=[{op: crop, pad: 2}, {op: hflip}]")
	var buf bytes.Buffer
	if err := report.AugmentPreview(cfg, 3, 4, 2, &buf); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	// 5 columns (original + 4) and 3 rows of 28x28 cells with 2-pixel gaps.
	if b := img.Bounds(); b.Dx() != 5*30+2 || b.Dy() != 3*30+2 {
		t.Fatalf("grid is %dx%d, want %dx%d", b.Dx(), b.Dy(), 5*30+2, 3*30+2)
	}
	err = report.AugmentPreview(testConfig(t), 3, 4, 2, &buf)
	if err == nil || !engine.IsInputError(err) || !strings.Contains(err.Error(), "no augment list") {
		t.Fatalf("config without augment: %v", err)
	}
}
