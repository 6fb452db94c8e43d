package export

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/engine"
)

// TestStateDictNames is the name mapping table: per architecture, the
// state_dict entries (PyTorch names, dtypes and shapes) of the export,
// which must also hold every nettrain parameter and buffer (checkNames).
func TestStateDictNames(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model string
		in    []int
		want  []string // "name dtype shape", in file order; "..." skips entries
		count int      // number of entries
	}{
		{"mlp", "  arch: mlp\n  hidden: [8]\n  dropout: 0.5\n", []int{1, 4, 4}, []string{
			"fc1.weight F32 [8 16]", "fc1.bias F32 [8]", "classifier.weight F32 [10 8]", "classifier.bias F32 [10]",
		}, 4},
		{"lenet5", "  arch: lenet5\n  activation: prelu\n", []int{1, 28, 28}, []string{
			"conv1.weight F32 [6 1 5 5]", "conv1.bias F32 [6]", "act1.weight F32 [1]", "conv2.weight F32 [16 6 5 5]", "...",
			"fc1.weight F32 [120 400]", "...", "classifier.bias F32 [10]",
		}, 14}, // 5 weighted layers with bias, 4 prelu slopes
		{"cnn", "  arch: cnn\n  widths: [4]\n  convs_per_stage: 1\n  activation: prelu\n  prelu_per_channel: true\n", []int{1, 8, 8}, []string{
			"stage1.conv1.weight F32 [4 1 3 3]", "stage1.bn1.weight F32 [4]", "stage1.bn1.bias F32 [4]",
			"stage1.bn1.running_mean F32 [4]", "stage1.bn1.running_var F32 [4]", "stage1.bn1.num_batches_tracked I64 []",
			"stage1.act1.weight F32 [4]", "classifier.weight F32 [10 64]", "classifier.bias F32 [10]",
		}, 9},
		{"resnet", "  arch: resnet\n  depth: 8\n  width: 2\n", []int{1, 8, 8}, []string{
			"stem.conv.weight F32 [2 1 3 3]", "stem.bn.weight F32 [2]", "...", "stem.bn.num_batches_tracked I64 []",
			"stage1.block1.conv1.weight F32 [2 2 3 3]", "...",
			"stage2.block1.conv1.weight F32 [4 2 3 3]", "...", "stage2.block1.bn2.num_batches_tracked I64 []",
			"stage2.block1.shortcut.conv.weight F32 [4 2 1 1]", "stage2.block1.shortcut.bn.weight F32 [4]", "...",
			"stage3.block1.shortcut.bn.num_batches_tracked I64 []", "classifier.weight F32 [10 8]", "classifier.bias F32 [10]",
		}, 6 + 12 + 2*(12+6) + 2}, // stem, 3 blocks (2 with a projection), classifier
		{"layers", "  arch: layers\n  layers:\n    - {type: flatten}\n    - {type: linear, out: 5, bias: false, name: proj}\n    - {type: batchnorm, name: norm}\n    - {type: linear, out: 10}\n", []int{1, 2, 2}, []string{
			"proj.weight F32 [5 4]", "norm.weight F32 [5]", "norm.bias F32 [5]", "norm.running_mean F32 [5]", "norm.running_var F32 [5]",
			"norm.num_batches_tracked I64 []", "linear3.weight F32 [10 5]", "linear3.bias F32 [10]",
		}, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := buildModel(t, tc.model, tc.in)
			root, err := plan(m)
			if err != nil {
				t.Fatal(err)
			}
			sd := stateDict(root, 9)
			checkNames(m, sd) // panics on a mismatch
			var got []string
			for _, x := range sd {
				got = append(got, fmt.Sprintf("%s %s %v", x.Name, x.DType(), x.Shape))
				if x.I64 != nil && (len(x.I64) != 1 || x.I64[0] != 9) {
					t.Errorf("%s = %v, want the scalar 9 (BatchesTracked)", x.Name, x.I64)
				}
			}
			if len(got) != tc.count {
				t.Errorf("%d entries, want %d:\n%s", len(got), tc.count, strings.Join(got, "\n"))
			}
			i := 0
			for _, w := range tc.want {
				if w == "..." {
					continue
				}
				j := slices.Index(got[i:], w)
				if j < 0 {
					t.Fatalf("no entry %q after entry %d; entries:\n%s", w, i, strings.Join(got, "\n"))
				}
				i += j + 1
			}
		})
	}
}

// TestPlanErrors: layers without an evaluation-mode equivalent and names
// PyTorch cannot use are input errors naming the layer.
func TestPlanErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model string
		want  []string
	}{
		{"fractional pooling", "  arch: cnn\n  widths: [4]\n  pool: fractional\n", []string{"layer stage1.pool", "FractionalMaxPool2d", "no PyTorch or ONNX equivalent", "model.pool max or avg"}},
		{"fractional layer", "  arch: layers\n  layers:\n    - {type: fractional_maxpool2d, name: frac}\n    - {type: flatten}\n    - {type: linear, out: 10}\n", []string{"layer frac", "FractionalMaxPool2d"}},
		{"reserved name", "  arch: layers\n  layers:\n    - {type: flatten, name: forward}\n    - {type: linear, out: 10}\n", []string{`layer "forward"`, "torch.nn.Module", "model.layers[].name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := buildModel(t, tc.model, []int{1, 8, 8})
			for _, format := range []func() error{
				func() error { _, err := Safetensors(Source{Model: m}); return err },
				func() error { _, err := PyTorch(Source{Model: m}, "w.safetensors"); return err },
				func() error { _, err := ONNX(Source{Model: m}, false); return err },
			} {
				err := format()
				if err == nil || !engine.IsInputError(err) {
					t.Fatalf("error %v, want an input error", err)
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q is not one line", err)
				}
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Format: "onnx", Out: "m.onnx"}, ""},
		{Options{Format: "onnx", Out: "m.onnx", Preprocess: true}, ""},
		{Options{Format: "pytorch", Out: "m.safetensors"}, ""},
		{Options{Format: "tflite", Out: "m"}, `--format: unknown format "tflite"; allowed: safetensors, pytorch, onnx`},
		{Options{Format: "onnx"}, "--out: required"},
		{Options{Format: "safetensors", Out: "m.safetensors", Preprocess: true}, "--preprocess: applies to --format onnx only"},
		{Options{Format: "pytorch", Out: "m.py"}, "--out m.py: the Python module would overwrite the weights"},
	} {
		err := tc.o.Validate()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: error %v, want %q", tc.o, err, tc.want)
		}
		if err != nil && !engine.IsInputError(err) {
			t.Errorf("%+v: %v is not an input error", tc.o, err)
		}
	}
	if got := ModulePath("out/model.safetensors"); got != "out/model.py" {
		t.Errorf("ModulePath = %q", got)
	}
	if got := ModulePath("model"); got != "model.py" {
		t.Errorf("ModulePath = %q", got)
	}
}
