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
