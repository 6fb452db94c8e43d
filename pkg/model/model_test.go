package model

import (
	"bytes"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
)

func TestBuild(t *testing.T) {
	no := false
	cases := []struct {
		name       string
		spec       Spec
		wantParams int
		wantNames  []string
		wantErr    string
	}{
		{name: "mlp", spec: Spec{Arch: "mlp", Hidden: []int{8, 4}, Activation: "relu", Init: "kaiming_normal"},
			wantParams: (12*8 + 8) + (8*4 + 4) + (4*3 + 3),
			wantNames:  []string{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "classifier.weight", "classifier.bias"}},
		{name: "linear_classifier", spec: Spec{Arch: "mlp", Hidden: []int{}, Activation: "tanh", Init: "xavier_normal"},
			wantParams: 12*3 + 3},
		{name: "layers", spec: Spec{Arch: "layers", Init: "xavier_uniform", Layers: []LayerSpec{
			{Type: "flatten"}, {Type: "linear", Out: 5, Name: "hidden"}, {Type: "tanh"}, {Type: "linear", Out: 3, Bias: &no}}},
			wantParams: 12*5 + 5 + 5*3, wantNames: []string{"hidden.weight", "hidden.bias", "linear3.weight"}},
		{name: "unknown_arch", spec: Spec{Arch: "transformer"}, wantErr: `model.arch: unknown architecture "transformer"; known: cnn, layers, lenet5, mlp, resnet`},
		{name: "unknown_activation", spec: Spec{Arch: "mlp", Hidden: []int{4}, Activation: "relux", Init: "zeros"}, wantErr: `model.activation: unknown activation "relux"`},
		{name: "unknown_init", spec: Spec{Arch: "mlp", Hidden: []int{4}, Activation: "relu", Init: "he"}, wantErr: `model.init: unknown init "he"`},
		{name: "missing_flatten", spec: Spec{Arch: "layers", Init: "zeros", Layers: []LayerSpec{{Type: "linear", Out: 3}}},
			wantErr: "model.layers[0]: linear expects flat features, got shape [1 2 6]: add {type: flatten} before it"},
		{name: "wrong_classes", spec: Spec{Arch: "layers", Init: "zeros", Layers: []LayerSpec{{Type: "flatten"}, {Type: "linear", Out: 4}}},
			wantErr: "model.layers: the network outputs shape [4] but the data has 3 classes"},
		{name: "unknown_layer", spec: Spec{Arch: "layers", Layers: []LayerSpec{{Type: "conv9d"}}},
			wantErr: `model.layers[0].type: unknown layer type "conv9d"; known: avgpool2d, basic_block, batchnorm, conv2d, dropout, elu, flatten, fractional_maxpool2d, gelu, global_avgpool, leaky_relu, linear, maxpool2d, prelu, relu, selu, sigmoid, tanh`},
		{name: "duplicate_name", spec: Spec{Arch: "layers", Layers: []LayerSpec{{Type: "flatten", Name: "a"}, {Type: "relu", Name: "a"}}},
			wantErr: `model.layers[1].name: "a" is already the name of model.layers[0]`},
		{name: "empty_layers", spec: Spec{Arch: "layers"}, wantErr: `model.layers: required when model.arch is "layers"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := build(tc.spec, []int{1, 2, 6}, 3, 1)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			var names []string
			for _, p := range m.Params() {
				total += p.Value.Len()
				names = append(names, p.Name)
			}
			if total != tc.wantParams {
				t.Errorf("params %d, want %d", total, tc.wantParams)
			}
			if tc.wantNames != nil && strings.Join(names, ",") != strings.Join(tc.wantNames, ",") {
				t.Errorf("names %v, want %v", names, tc.wantNames)
			}
			var buf bytes.Buffer
			if err := m.Summary(&buf); err != nil || !strings.Contains(buf.String(), "total") {
				t.Errorf("summary: %v\n%s", err, buf.String())
			}
		})
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	spec := Spec{Arch: "mlp", Hidden: []int{16}, Activation: "relu", Init: "kaiming_uniform"}
	a, _ := build(spec, []int{1, 4, 4}, 10, 7)
	b, _ := build(spec, []int{1, 4, 4}, 10, 7)
	c, _ := build(spec, []int{1, 4, 4}, 10, 8)
	same := func(x, y *Model) bool {
		for i, p := range x.Params() {
			for j, v := range p.Value.Data {
				if y.Params()[i].Value.Data[j] != v {
					return false
				}
			}
		}
		return true
	}
	if !same(a, b) || same(a, c) {
		t.Fatal("same seed must give the same weights and another seed other weights")
	}
}

// TestArchitectures builds each registered architecture on Fashion-MNIST's
// shape and checks parameter counts computed by hand, dotted names, and
// that building leaves batch-norm statistics at their initial values.
func TestArchitectures(t *testing.T) {
	cases := []struct {
		name       string
		spec       Spec
		wantParams int
		wantNames  []string
	}{
		// conv1 6·25+6, conv2 16·6·25+16, fc 400·120+120, 120·84+84, 84·10+10.
		{"lenet5", Spec{Arch: "lenet5", Activation: "tanh", Init: "xavier_normal", HeadInitScale: 1}, 156 + 2416 + 48120 + 10164 + 850,
			[]string{"conv1.weight", "conv2.bias", "fc1.weight", "fc2.weight", "classifier.bias"}},
		// Stage 1: 1→32 and 32→32 3x3 convs without bias + two BNs; stage 2: 32→64, 64→64; classifier 64·7·7→10.
		{"cnn", Spec{Arch: "cnn", Widths: []int{32, 64}, ConvsPerStage: 2, BatchNorm: true, Pool: "max", Activation: "relu", Init: "kaiming_normal", HeadInitScale: 1},
			288 + 64 + 9216 + 64 + 18432 + 128 + 36864 + 128 + 31370,
			[]string{"stage1.conv1.weight", "stage1.bn1.weight", "stage2.conv2.weight", "classifier.weight"}},
		// Stem 16·9 + BN; one block per stage; projections in stages 2 and 3.
		{"resnet8", Spec{Arch: "resnet", Depth: 8, Width: 16, Activation: "relu", Init: "kaiming_normal", HeadInitScale: 1},
			(144 + 32) + (2304 + 32 + 2304 + 32) + (4608 + 64 + 9216 + 64 + 512 + 64) + (18432 + 128 + 36864 + 128 + 2048 + 128) + 650,
			[]string{"stem.conv.weight", "stage1.block1.conv1.weight", "stage2.block1.shortcut.conv.weight", "stage3.block1.bn2.bias", "classifier.weight"}},
		{"layers_cnn", Spec{Arch: "layers", Init: "kaiming_normal", HeadInitScale: 1, Activation: "relu", Layers: []LayerSpec{
			{Type: "conv2d", Name: "c1", Out: 4, Kernel: 3, Padding: 1}, {Type: "batchnorm", Name: "bn"}, {Type: "prelu", PerChannel: true},
			{Type: "maxpool2d", Kernel: 2, Stride: 2}, {Type: "basic_block", Name: "blk", Out: 8, Stride: 2}, {Type: "global_avgpool"},
			{Type: "dropout", P: 0.5}, {Type: "linear", Out: 10}}},
			(4*9 + 4) + 8 + 4 + (4*8*9 + 16 + 8*8*9 + 16 + 4*8 + 16) + 90,
			[]string{"c1.weight", "bn.weight", "prelu2.weight", "blk.conv1.weight", "linear7.weight"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := build(tc.spec, []int{1, 28, 28}, 10, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got := nn.CountParams(m.Params()); got != tc.wantParams {
				t.Errorf("params %d, want %d", got, tc.wantParams)
			}
			names := map[string]bool{}
			for _, p := range m.Params() {
				names[p.Name] = true
			}
			for _, n := range tc.wantNames {
				if !names[n] {
					t.Errorf("no parameter %q", n)
				}
			}
			for _, b := range m.Buffers() {
				want := float32(0)
				if strings.HasSuffix(b.Name, "running_var") {
					want = 1
				}
				for _, v := range b.Value.Data {
					if v != want {
						t.Fatalf("buffer %s holds %v after Build, want %v (the dry run must not change it)", b.Name, v, want)
					}
				}
			}
			// Only the first weight layer skips its input gradient.
			first := true
			walk(m.Net, func(l nn.Layer) {
				skip, weighted := false, false
				switch l := l.(type) {
				case *nn.Linear:
					skip, weighted = l.NoInputGrad, true
				case *nn.Conv2d:
					skip, weighted = l.NoInputGrad, true
				}
				if weighted {
					if skip != first {
						t.Errorf("%s: NoInputGrad %v, want %v (first weight layer only)", l.Describe(), skip, first)
					}
					first = false
				}
			})
			var buf bytes.Buffer
			if err := m.Summary(&buf); err != nil || !strings.Contains(buf.String(), "total") || m.FLOPs() <= 0 {
				t.Errorf("summary: %v, FLOPs %d\n%s", err, m.FLOPs(), buf.String())
			}
		})
	}
}

func TestZeroInitResidualAndHeadScale(t *testing.T) {
	spec := Spec{Arch: "resnet", Depth: 8, Width: 4, Activation: "relu", Init: "kaiming_normal", HeadInitScale: 0, ZeroInitResidual: true}
	m, err := build(spec, []int{1, 8, 8}, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params() {
		zero := strings.HasSuffix(p.Name, "bn2.weight") || p.Name == "classifier.weight"
		allZero := true
		for _, v := range p.Value.Data {
			allZero = allZero && v == 0
		}
		if zero && !allZero {
			t.Errorf("%s should start at 0", p.Name)
		}
		if strings.HasSuffix(p.Name, "conv1.weight") && allZero {
			t.Errorf("%s was not initialized", p.Name)
		}
	}
}

func TestMLPFLOPs(t *testing.T) {
	m, err := build(Spec{Arch: "mlp", Hidden: []int{8, 4}, Activation: "relu", Init: "kaiming_normal", HeadInitScale: 1}, []int{1, 2, 6}, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	// fc1 2·12·8+8, relu 8, fc2 2·8·4+4, relu 4, classifier 2·4·3+3.
	if got, want := m.FLOPs(), int64(200+8+68+4+27); got != want {
		t.Fatalf("FLOPs %d, want %d", got, want)
	}
}

func TestBuildErrorsForImages(t *testing.T) {
	cases := []struct {
		name    string
		spec    Spec
		in      []int
		wantErr string
	}{
		{"cnn too many stages", Spec{Arch: "cnn", Widths: []int{4, 4, 4, 4, 4, 4}, ConvsPerStage: 1, Pool: "max", Activation: "relu", Init: "zeros"}, []int{1, 28, 28}, "model.widths[4]: the image is [4 1 1] at this stage, too small for another 2x2 pooling"},
		{"resnet bad depth", Spec{Arch: "resnet", Depth: 9, Width: 4, Activation: "relu", Init: "zeros"}, []int{1, 8, 8}, "model.depth"},
		{"conv on flat input", Spec{Arch: "layers", Init: "zeros", Layers: []LayerSpec{{Type: "flatten"}, {Type: "conv2d", Out: 2, Kernel: 3}}}, []int{1, 8, 8}, "model.layers[1]: conv2d needs image input"},
		{"kernel larger than image", Spec{Arch: "layers", Init: "zeros", Layers: []LayerSpec{{Type: "conv2d", Out: 2, Kernel: 9}}}, []int{1, 8, 8}, "model.layers[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := build(tc.spec, tc.in, 3, 1)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

// TestSummaryShowsFusion checks the summary's rows for networks with and
// without fused steps: a batch norm fused with its relu is one row, a block
// names its fused steps, and every other row is as before (a batch norm
// before leaky_relu keeps its own row).
func TestSummaryShowsFusion(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec Spec
		want string
	}{
		{"cnn", Spec{Arch: "cnn", Widths: []int{4}, ConvsPerStage: 2, BatchNorm: true, Pool: "max", Hidden: []int{8}, Activation: "relu", Init: "kaiming_normal", HeadInitScale: 1}, `
layer            type                                        output   params  FLOPs
input                                                        (1,6,6)
stage1.conv1     Conv2d(1→4, 3x3, stride 1, pad 1, no bias)  (4,6,6)  36      2.6k
stage1.bn1+act1  BatchNorm(4)+relu (fused in training)       (4,6,6)  8       720
stage1.conv2     Conv2d(4→4, 3x3, stride 1, pad 1, no bias)  (4,6,6)  144     10.4k
stage1.bn2+act2  BatchNorm(4)+relu (fused in training)       (4,6,6)  8       720
stage1.pool      MaxPool2d(2x2, stride 2, pad 0)             (4,3,3)  0       144
flatten          Flatten                                     (36)     0       0
fc1              Linear(36→8)                                (8)      296     584
relu1            relu                                        (8)      0       8
classifier       Linear(8→3)                                 (3)      27      51
total                                                                 519     15.2k`},
		{"layers", Spec{Arch: "layers", Activation: "relu", Init: "kaiming_normal", HeadInitScale: 1, Layers: []LayerSpec{
			{Type: "conv2d", Out: 4, Kernel: 3, Padding: 1}, {Type: "batchnorm"}, {Type: "relu"}, {Type: "batchnorm"}, {Type: "leaky_relu"},
			{Type: "basic_block", Out: 4}, {Type: "flatten"}, {Type: "linear", Out: 3}}}, `
layer             type                                                 output   params  FLOPs
input                                                                  (1,6,6)
conv2d0           Conv2d(1→4, 3x3, stride 1, pad 1)                    (4,6,6)  40      2.7k
batchnorm1+relu2  BatchNorm(4)+relu (fused in training)                (4,6,6)  8       720
batchnorm3        BatchNorm(4)                                         (4,6,6)  8       576
leaky_relu4       leaky_relu(slope=0.01)                               (4,6,6)  0       144
basic_block5      BasicBlock(4→4, stride 1), fused bn1+act1, add+act2  (4,6,6)  304     22.3k
flatten6          Flatten                                              (144)    0       0
linear7           Linear(144→3)                                        (3)      435     867
total                                                                           795     27.4k`},
		{"resnet_prelu", Spec{Arch: "resnet", Depth: 8, Width: 2, Activation: "prelu", Init: "kaiming_normal", HeadInitScale: 1}, `
layer          type                                        output   params  FLOPs
input                                                      (1,6,6)
stem.conv      Conv2d(1→2, 3x3, stride 1, pad 1, no bias)  (2,6,6)  18      1.3k
stem.bn        BatchNorm(2)                                (2,6,6)  4       288
stem.act       prelu(shared)                               (2,6,6)  1       72
stage1.block1  BasicBlock(2→2, stride 1)                   (2,6,6)  82      6.0k
stage2.block1  BasicBlock(2→4, stride 2)                   (4,3,3)  250     4.6k
stage3.block1  BasicBlock(4→8, stride 2)                   (8,2,2)  946     7.6k
pool           GlobalAvgPool                               (8)      0       32
classifier     Linear(8→3)                                 (3)      27      51
total                                                               1328    19.9k`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Build(resolved(tc.spec), []int{1, 6, 6}, 3, 1)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := m.Summary(&buf); err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, l := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
				lines = append(lines, strings.TrimRight(l, " "))
			}
			if got, want := strings.Join(lines, "\n"), strings.TrimPrefix(tc.want, "\n"); got != want {
				t.Errorf("summary\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestBuildPlansFusion checks that Build plans the fused passes (nn.Fuse)
// while the layer structure that names the tensors and that diagnostics
// walk stays as built.
func TestBuildPlansFusion(t *testing.T) {
	m, err := Build(resolved(Spec{Arch: "resnet", Depth: 8, Width: 2, Activation: "relu", Init: "kaiming_normal", HeadInitScale: 1}), []int{1, 6, 6}, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	var top []string
	for _, l := range m.Net.Layers {
		top = append(top, l.Name)
	}
	if got := strings.Join(top, " "); got != "stem stage1 stage2 stage3 pool classifier" {
		t.Errorf("top-level layers %q", got)
	}
	stem := m.Net.Layers[0].Layer.(*nn.Sequential)
	if got := strings.Join(stem.Fusions(), ","); got != "bn+act" || len(stem.Layers) != 3 {
		t.Errorf("stem: fusions %q, %d layers", got, len(stem.Layers))
	}
	blk := m.Net.Layers[1].Layer.(*nn.Sequential).Layers[0].Layer.(*nn.BasicBlock)
	if got := strings.Join(blk.Fusions(), ","); got != "bn1+act1,add+act2" {
		t.Errorf("block fusions %q", got)
	}
	if got := m.Params()[1].Name; got != "stem.bn.weight" {
		t.Errorf("param 1 is %s", got)
	}
}

// TestTrainingFLOPs: the matrix multiplies of one training step, counted by
// hand — 3× the forward product (forward, weight gradient, input
// gradient), 2× for the first layer, whose input gradient is skipped — and
// of one forward pass (InferenceFLOPs: each product once).
func TestTrainingFLOPs(t *testing.T) {
	conv := func(in, out, plane int) int64 { return 2 * int64(in*9*out*plane*plane) }
	cases := []struct {
		name         string
		spec         Spec
		train, infer int64
	}{
		// 784-512-256-10: 2.41 MFLOP.
		{"mlp", Spec{Arch: "mlp", Hidden: []int{512, 256}, Activation: "relu", Init: "kaiming_normal", HeadInitScale: 1},
			2*2*784*512 + 3*2*512*256 + 3*2*256*10, 2*784*512 + 2*512*256 + 2*256*10},
		// configs/bench/cnn.yaml: convs 1→32, 32→32 at 28×28, 32→64, 64→64 at 14×14, classifier 64·7·7→10: 109.5 MFLOP.
		{"cnn", Spec{Arch: "cnn", Widths: []int{32, 64}, ConvsPerStage: 2, BatchNorm: true, Pool: "max", Activation: "relu", Init: "kaiming_normal", HeadInitScale: 1},
			2*conv(1, 32, 28) + 3*conv(32, 32, 28) + 3*conv(32, 64, 14) + 3*conv(64, 64, 14) + 3*2*64*49*10,
			conv(1, 32, 28) + conv(32, 32, 28) + conv(32, 64, 14) + conv(64, 64, 14) + 2*64*49*10},
		// ResNet-8: stem 1→16 at 28×28, block 16→16 at 28, block 16→32 at 14 with a 1x1 projection (stride 2), 32→64 at 7, classifier 64→10.
		{"resnet8", Spec{Arch: "resnet", Depth: 8, Width: 16, Activation: "relu", Init: "kaiming_normal", HeadInitScale: 1},
			2*conv(1, 16, 28) + 3*(2*conv(16, 16, 28)) + 3*(conv(16, 32, 14)+conv(32, 32, 14)+2*16*32*196) +
				3*(conv(32, 64, 7)+conv(64, 64, 7)+2*32*64*49) + 3*2*64*10,
			conv(1, 16, 28) + 2*conv(16, 16, 28) + conv(16, 32, 14) + conv(32, 32, 14) + 2*16*32*196 +
				conv(32, 64, 7) + conv(64, 64, 7) + 2*32*64*49 + 2*64*10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := build(tc.spec, []int{1, 28, 28}, 10, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.TrainingFLOPs(); got != tc.train {
				t.Errorf("TrainingFLOPs %d, want %d", got, tc.train)
			}
			if got := m.InferenceFLOPs(); got != tc.infer {
				t.Errorf("InferenceFLOPs %d, want %d", got, tc.infer)
			}
		})
	}
}
