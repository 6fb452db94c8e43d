package export

import (
	"path/filepath"
	"testing"

	"github.com/nettrain/nettrain/internal/exporttest"
	"github.com/nettrain/nettrain/pkg/data"
)

// interopModels are the models the interop test exports: every
// architecture, every activation and layer type the exporters write, and
// every preprocessing method, on freshly built models with random biases,
// batch-norm statistics and prelu slopes.
var interopModels = []struct {
	name  string
	model string // the config's model section
	in    []int  // raw per-example input shape
	prep  data.PreprocessConfig
	raw   bool // feed raw inputs: Python's Preprocess, ONNX with the preprocessing
}{
	{"mlp_relu_global", "  arch: mlp\n  hidden: [32, 16]\n  dropout: 0.3\n", []int{1, 28, 28}, data.PreprocessConfig{Method: "global"}, true},
	{"mlp_gelu_feature", "  arch: mlp\n  hidden: [24]\n  activation: gelu\n", []int{1, 28, 28}, data.PreprocessConfig{Method: "feature", Epsilon: 0.01}, true},
	{"mlp_gelu_tanh", "  arch: mlp\n  hidden: [24]\n  activation: gelu\n  gelu_approximate: tanh\n", []int{1, 28, 28}, data.PreprocessConfig{}, false},
	{"lenet5_leaky_relu_channel", "  arch: lenet5\n  activation: leaky_relu\n  activation_slope: 0.2\n", []int{1, 28, 28}, data.PreprocessConfig{Method: "channel"}, true},
	{"lenet5_tanh_not_in_graph", "  arch: lenet5\n  activation: tanh\n", []int{1, 28, 28}, data.PreprocessConfig{Method: "global"}, false},
	{"cnn_bn_relu_max", "  arch: cnn\n  widths: [4, 8]\n  hidden: [16]\n  dropout: 0.2\n  dropconnect: 0.1\n", []int{1, 28, 28}, data.PreprocessConfig{Method: "global"}, true},
	{"cnn_elu_avg", "  arch: cnn\n  widths: [4]\n  convs_per_stage: 1\n  batch_norm: false\n  pool: avg\n  activation: elu\n  activation_alpha: 0.7\n", []int{1, 28, 28}, data.PreprocessConfig{}, false},
	{"resnet8_relu", "  arch: resnet\n  depth: 8\n  width: 8\n  stochastic_depth: 0.2\n", []int{1, 28, 28}, data.PreprocessConfig{Method: "global"}, true},
	{"resnet8_prelu_channel", "  arch: resnet\n  depth: 8\n  width: 8\n  activation: prelu\n  prelu_per_channel: true\n", []int{1, 28, 28}, data.PreprocessConfig{}, false},
	{"resnet8_gelu", "  arch: resnet\n  depth: 8\n  width: 8\n  activation: gelu\n", []int{1, 16, 16}, data.PreprocessConfig{}, false},
	{"layers_pools_zca", `  arch: layers
  layers:
    - {type: conv2d, out: 6, kernel: 3, stride: 2, padding: 1}
    - {type: prelu}
    - {type: maxpool2d, kernel: 3, stride: 2, padding: 1}
    - {type: avgpool2d, kernel: 3, stride: 1, padding: 1}
    - {type: conv2d, out: 8, kernel: 1, bias: false}
    - {type: batchnorm}
    - {type: sigmoid}
    - {type: basic_block, out: 8}
    - {type: global_avgpool}
    - {type: linear, out: 10}
`, []int{2, 8, 8}, data.PreprocessConfig{Method: "zca", Epsilon: 0.01}, true},
	{"layers_bn1d_selu_pca", `  arch: layers
  layers:
    - {type: flatten}
    - {type: linear, out: 16, name: hidden}
    - {type: batchnorm, name: norm}
    - {type: selu}
    - {type: dropout, p: 0.5}
    - {type: linear, out: 12}
    - {type: prelu, per_channel: true}
    - {type: elu, alpha: 1.5}
    - {type: linear, out: 10, name: head}
`, []int{1, 8, 8}, data.PreprocessConfig{Method: "pca_whiten", Components: 20, Epsilon: 0.01}, true},
	{"layers_pca_not_in_graph", `  arch: layers
  layers:
    - {type: flatten}
    - {type: linear, out: 16}
    - {type: leaky_relu, slope: 0.1}
    - {type: linear, out: 10}
`, []int{1, 8, 8}, data.PreprocessConfig{Method: "pca", Components: 12}, false},
}

// TestInterop exports each model as pytorch and onnx, runs them in
// PyTorch (load_state_dict(strict=True)) and ONNX Runtime on random
// images and compares the logits with nettrain's, and checks the ONNX
// files with onnx.checker (full_check).
func TestInterop(t *testing.T) {
	dir := t.TempDir()
	var cases []exporttest.Case
	for i, tc := range interopModels {
		prep := fitPrep(t, tc.prep, tc.in)
		oc, oh, ow := prep.OutShape(tc.in[0], tc.in[1], tc.in[2])
		m := buildModel(t, tc.model, []int{oc, oh, ow})
		randomize(m, uint64(i))
		src := Source{Model: m, Prep: prep, BatchesTracked: 17, Metadata: map[string]string{MetaVersion: "test"}}
		c := exporttest.Case{Name: tc.name, Weights: filepath.Join(dir, tc.name+".safetensors"), ONNX: filepath.Join(dir, tc.name+".onnx"), Raw: tc.raw}
		c.Module = ModulePath(c.Weights)
		if _, err := Write(src, Options{Format: "pytorch", Out: c.Weights}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if _, err := Write(src, Options{Format: "onnx", Out: c.ONNX, Preprocess: tc.raw}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		images := randomImages(6, tc.in, uint64(100+i))
		c.Want = logits(t, m, prep, images)
		x, shape := images.X, append([]int{images.N}, tc.in...)
		if !tc.raw { // feed what the network takes
			x = nil
			for j := range images.N {
				e, err := prep.ApplyExample(append([]float32(nil), images.Example(j)...))
				if err != nil {
					t.Fatal(err)
				}
				x = append(x, e...)
			}
			shape = append([]int{images.N}, m.InShape...)
		}
		c.WriteInput(t, dir, x, shape)
		cases = append(cases, c)
	}
	t.Run("torch", func(t *testing.T) { exporttest.Torch(t, cases) })
	t.Run("onnxruntime", func(t *testing.T) { exporttest.ONNXRuntime(t, cases) })
	t.Run("onnx_checker", func(t *testing.T) { exporttest.ONNXChecker(t, cases) })
}
