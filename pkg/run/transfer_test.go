package run

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/engine"
)

// transferCNN is a small CNN with batch norm: stage1.conv1, stage1.bn1,
// classifier.
var transferCNN = []string{"model.arch=cnn", "model.widths=[4]", "model.convs_per_stage=1", "model.hidden=[]", "train.epochs=1"}

// tensorsOf returns the model tensors of a checkpoint by name.
func tensorsOf(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for _, ts := range engine.ModelTensors(mustLoad(t, path).Model) {
		out[ts.Name] = ts.Data
	}
	return out
}

var sameBits = testfix.SameBits

// TestTransfer pretrains a CNN on classes 0–4, then learns classes 5–9
// from it: init_from loads the body and reports the new head; with the body
// frozen (and its batch norm) the body's tensors end bit for bit as
// loaded while the head trains; the staged plan trains the body after
// unfreeze_at; bad input gets one error naming the tensor or the glob.
func TestTransfer(t *testing.T) {
	_, pre := trainRun(t, testConfig(t, append(transferCNN, "data.classes=[0,1,2,3,4]")...))
	preCkpt := ckptPath(pre, BestCheckpoint)
	before := tensorsOf(t, preCkpt)
	body := []string{"stage1.conv1.weight", "stage1.bn1.weight", "stage1.bn1.bias", "stage1.bn1.running_mean", "stage1.bn1.running_var"}
	fine := append(transferCNN, "data.classes=[5,6,7,8,9]", "model.init_from="+preCkpt, "model.init_exclude=[classifier.*]", "train.epochs=2")

	t.Run("feature extraction", func(t *testing.T) {
		var out bytes.Buffer
		dir := filepath.Join(t.TempDir(), "run")
		res, err := Train(testConfig(t, append(fine, "train.freeze=[stage1.*]", "train.freeze_bn=true", "checkpoint.every=1")...), Options{OutDir: dir, Stdout: &out})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"init_from " + preCkpt + " (epoch 1): 5 tensors loaded; 2 excluded, initialized anew: classifier.weight, classifier.bias",
			"freeze stage1.*: 3 tensors (44 of 3969 weights) frozen, their batch-norm statistics fixed"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("output lacks %q:\n%s", want, out.String())
			}
		}
		after := tensorsOf(t, ckptPath(dir, LastCheckpoint))
		for _, name := range body {
			if !sameBits(before[name], after[name]) {
				t.Errorf("frozen %s changed in training", name)
			}
		}
		if sameBits(tensorsOf(t, ckptPath(dir, LastCheckpoint))["classifier.weight"], tensorsOf(t, ckptPath(dir, "epoch-1.ckpt"))["classifier.weight"]) {
			t.Error("the head did not train")
		}
		if res.Test.N == 0 || len(res.ClassNames) != 5 || res.ClassNames[0] != "Sandal" {
			t.Errorf("test n %d, classes %v: want classes 5–9 only", res.Test.N, res.ClassNames)
		}
	})

	t.Run("staged plan", func(t *testing.T) {
		_, dir := trainRun(t, testConfig(t, append(fine, "train.freeze=[stage1.*]", "train.unfreeze_at=1", "checkpoint.every=1")...))
		first, last := tensorsOf(t, ckptPath(dir, "epoch-1.ckpt")), tensorsOf(t, ckptPath(dir, LastCheckpoint))
		if !sameBits(first["stage1.conv1.weight"], before["stage1.conv1.weight"]) {
			t.Error("the body trained in the frozen epoch")
		}
		if sameBits(last["stage1.conv1.weight"], first["stage1.conv1.weight"]) {
			t.Error("the body did not train after unfreeze_at")
		}
		if sameBits(first["stage1.bn1.running_mean"], before["stage1.bn1.running_mean"]) {
			t.Error("without freeze_bn the batch-norm statistics should follow the new data")
		}
	})

	_, mlp := trainRun(t, testConfig(t))
	cases := []struct {
		name string
		set  []string
		want []string
	}{
		{"head of another shape", append(transferCNN, "data.classes=[5,6,7]", "model.init_from="+preCkpt), []string{"tensor classifier.weight has shape [5 784] there but [3 784]", `model.init_exclude: ["classifier.*"]`}},
		{"another architecture", append(transferCNN, "model.init_from="+ckptPath(mlp, BestCheckpoint)), []string{"tensor classifier.weight has shape [10 32] there but [10 784]", "another architecture (mlp; this model cnn)"}},
		{"nothing selected", append(transferCNN, "model.init_from="+preCkpt, "model.init_include=[fc9.*]"), []string{"none of its 7 tensors", "select none"}},
		{"missing checkpoint", append(transferCNN, "model.init_from="+filepath.Join(pre, "nope.ckpt")), []string{"model.init_from", "nope.ckpt"}},
		{"freeze matching nothing", append(transferCNN, "train.freeze=[body.*]"), []string{`train.freeze[0]: "body.*" matches no parameter`, "stage1.conv1.weight"}},
		{"freeze everything", append(transferCNN, `train.freeze=["*"]`), []string{"freezes every parameter"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			_, err := Train(testConfig(t, tc.set...), Options{OutDir: dir})
			if !engine.IsInputError(err) {
				t.Fatalf("error %v, want an input error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if _, err := filepath.Glob(filepath.Join(dir, "*")); err == nil && fileCount(dir) > 0 {
				t.Errorf("the refused run wrote into %s", dir)
			}
		})
	}
}

func fileCount(dir string) int {
	m, _ := filepath.Glob(filepath.Join(dir, "*"))
	return len(m)
}
