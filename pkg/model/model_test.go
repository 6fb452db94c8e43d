package model

import (
	"bytes"
	"strings"
	"testing"
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
		{name: "unknown_arch", spec: Spec{Arch: "transformer"}, wantErr: `model.arch: unknown architecture "transformer"; known: layers, mlp`},
		{name: "unknown_activation", spec: Spec{Arch: "mlp", Hidden: []int{4}, Activation: "relux", Init: "zeros"}, wantErr: `model.activation: unknown activation "relux"`},
		{name: "unknown_init", spec: Spec{Arch: "mlp", Hidden: []int{4}, Activation: "relu", Init: "he"}, wantErr: `model.init: unknown init "he"`},
		{name: "missing_flatten", spec: Spec{Arch: "layers", Init: "zeros", Layers: []LayerSpec{{Type: "linear", Out: 3}}},
			wantErr: "model.layers[0]: linear expects flat features, got shape [1 2 6]: add {type: flatten} before it"},
		{name: "wrong_classes", spec: Spec{Arch: "layers", Init: "zeros", Layers: []LayerSpec{{Type: "flatten"}, {Type: "linear", Out: 4}}},
			wantErr: "model.layers: the network outputs shape [4] but the data has 3 classes"},
		{name: "unknown_layer", spec: Spec{Arch: "layers", Layers: []LayerSpec{{Type: "conv9d"}}},
			wantErr: `model.layers[0].type: unknown layer type "conv9d"; known: elu, flatten, gelu, leaky_relu, linear, prelu, relu, selu, sigmoid, tanh`},
		{name: "out_on_relu", spec: Spec{Arch: "layers", Layers: []LayerSpec{{Type: "flatten"}, {Type: "relu", Out: 3}}},
			wantErr: "model.layers[1]: out, bias and init apply only to linear layers"},
		{name: "duplicate_name", spec: Spec{Arch: "layers", Layers: []LayerSpec{{Type: "flatten", Name: "a"}, {Type: "relu", Name: "a"}}},
			wantErr: `model.layers[1].name: "a" is used twice`},
		{name: "empty_layers", spec: Spec{Arch: "layers"}, wantErr: "model.layers: arch layers needs a non-empty list"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Build(tc.spec, []int{1, 2, 6}, 3, 1)
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
	a, _ := Build(spec, []int{1, 4, 4}, 10, 7)
	b, _ := Build(spec, []int{1, 4, 4}, 10, 7)
	c, _ := Build(spec, []int{1, 4, 4}, 10, 8)
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
