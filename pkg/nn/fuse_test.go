package nn_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
)

func stepNames(steps []nn.Named) []string {
	var names []string
	for _, s := range steps {
		names = append(names, s.Name)
	}
	return names
}

// layerOf makes the test layer a short code names: "bn" (batch norm over 3
// channels), "relu", "hidden-relu" (a relu behind another type),
// "leaky_relu", "prelu", "tanh", "linear", "conv", "flatten", or a
// Sequential "[a b ...]" (one level of nesting).
func layerOf(t *testing.T, code string) nn.Layer {
	t.Helper()
	if inner, ok := strings.CutPrefix(code, "["); ok {
		return seqOf(t, strings.Fields(strings.TrimSuffix(inner, "]"))...)
	}
	switch code {
	case "bn":
		return nn.NewBatchNorm(3, 0, 0)
	case "hidden-relu":
		return hidden{newReLU(t)}
	case "linear":
		return nn.NewLinear(3, 3, true)
	case "conv":
		return nn.NewConv2d(3, 3, 3, 3, 1, 1, false)
	case "flatten":
		return &nn.Flatten{}
	}
	opt := nn.ActivationOptions{}
	if code == "prelu" {
		opt.Channels = 3
	}
	a, err := nn.NewActivation(code, opt)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// seqOf returns a Sequential of the coded layers named "l0", "l1", ...;
// a code "[a b]" is a nested Sequential.
func seqOf(t *testing.T, codes ...string) *nn.Sequential {
	t.Helper()
	var layers []nn.Named
	for i, c := range codes {
		layers = append(layers, nn.Named{Name: fmt.Sprintf("l%d", i), Layer: layerOf(t, c)})
	}
	return nn.NewSequential(layers...)
}

// splitCodes splits "conv [bn relu] relu" into "conv", "[bn relu]", "relu".
func splitCodes(s string) []string {
	var out []string
	depth, start := 0, -1
	for i, r := range s + " " {
		switch {
		case r == '[':
			depth++
		case r == ']':
			depth--
		}
		if r == ' ' && depth == 0 {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	return out
}

// TestFusePlan checks which layer lists the planning pass fuses: only a
// batch norm directly followed by a plain relu, inside one Sequential, at
// any depth.
func TestFusePlan(t *testing.T) {
	for _, tc := range []struct {
		layers string
		steps  string // the top-level plan
		inner  string // the plan of the first nested Sequential, if any
	}{
		{"conv bn relu", "l0 l1+l2", ""},
		{"bn relu", "l0+l1", ""},
		{"bn relu bn relu", "l0+l1 l2+l3", ""},
		{"bn bn relu", "l0 l1+l2", ""},
		{"bn relu relu", "l0+l1 l2", ""},
		{"bn leaky_relu", "l0 l1", ""},
		{"bn prelu", "l0 l1", ""},
		{"bn tanh", "l0 l1", ""},
		{"bn hidden-relu", "l0 l1", ""},
		{"conv bn", "l0 l1", ""},            // batch norm last
		{"bn", "l0", ""},                    // alone
		{"relu bn", "l0 l1", ""},            // relu before, not after
		{"linear relu", "l0 l1", ""},        // relu not after a batch norm
		{"bn flatten relu", "l0 l1 l2", ""}, // not directly after
		{"conv [bn relu] flatten", "l0 l1 l2", "l0+l1"},
		{"[conv bn] relu", "l0 l1", "l0 l1"}, // the pair straddles two containers
		{"bn [relu]", "l0 l1", "l0"},
		{"[bn relu bn] relu", "l0 l1", "l0+l1 l2"},
	} {
		t.Run(tc.layers, func(t *testing.T) {
			s := seqOf(t, splitCodes(tc.layers)...)
			before := slices.Clone(s.Layers)
			if got := strings.Join(stepNames(s.Steps()), " "); got != strings.Join(stepNames(before), " ") || s.Fusions() != nil {
				t.Fatalf("before Fuse: plan %q, fusions %v; want the layers and none", got, s.Fusions())
			}
			if nn.Fuse(s) != nn.Layer(s) {
				t.Fatal("Fuse must return its argument")
			}
			if got := strings.Join(stepNames(s.Steps()), " "); got != tc.steps {
				t.Errorf("plan %q, want %q", got, tc.steps)
			}
			var fused []string
			for _, st := range s.Steps() {
				if f, ok := st.Layer.(*nn.BatchNormReLU); ok {
					fused = append(fused, st.Name)
					if d := f.Describe(); d != "BatchNorm(3)+relu (fused in training)" {
						t.Errorf("%s: describe %q", st.Name, d)
					}
				}
			}
			if !slices.Equal(s.Fusions(), fused) {
				t.Errorf("fusions %v, want the BatchNormReLU steps %v", s.Fusions(), fused)
			}
			if !slices.EqualFunc(s.Layers, before, func(a, b nn.Named) bool { return a == b }) {
				t.Error("Fuse changed Layers")
			}
			for _, l := range s.Layers {
				if sub, ok := l.Layer.(*nn.Sequential); ok {
					if got := strings.Join(stepNames(sub.Steps()), " "); got != tc.inner {
						t.Errorf("nested plan %q, want %q", got, tc.inner)
					}
					break
				}
			}
			once := stepNames(s.Steps())
			nn.Fuse(s)
			if !slices.Equal(stepNames(s.Steps()), once) {
				t.Error("planning twice gives another plan")
			}
		})
	}
}

// TestFuseBasicBlockPlan checks which activations let a basic block fuse
// bn1 with act1 and the residual add with act2, and that its projection
// shortcut (conv, bn) is planned without fusion.
func TestFuseBasicBlockPlan(t *testing.T) {
	for _, tc := range []struct {
		act1, act2 string
		want       string
	}{
		{"relu", "relu", "bn1+act1,add+act2"},
		{"prelu", "prelu", ""},
		{"leaky_relu", "leaky_relu", ""},
		{"gelu", "relu", "add+act2"},
		{"relu", "tanh", "bn1+act1"},
		{"hidden-relu", "hidden-relu", ""},
	} {
		for _, stride := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s,%s/stride%d", tc.act1, tc.act2, stride), func(t *testing.T) {
				next := []string{tc.act1, tc.act2}
				b, err := nn.NewBasicBlock(3, 3, stride, func() (nn.Layer, error) {
					code := next[0]
					next = next[1:]
					return layerOf(t, code), nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if b.Fusions() != nil {
					t.Fatalf("unplanned block fuses %v", b.Fusions())
				}
				net := nn.NewSequential(nn.Named{Name: "stage", Layer: nn.NewSequential(nn.Named{Name: "block", Layer: b})})
				nn.Fuse(net) // reaches the block through two containers
				if got := strings.Join(b.Fusions(), ","); got != tc.want {
					t.Errorf("fusions %q, want %q", got, tc.want)
				}
				if b.Shortcut != nil {
					if got := strings.Join(stepNames(b.Shortcut.Steps()), " "); got != "conv bn" || b.Shortcut.Fusions() != nil {
						t.Errorf("shortcut plan %q, fusions %v", got, b.Shortcut.Fusions())
					}
				}
			})
		}
	}
}

// TestFuseKeepsNames checks that planning changes no parameter or buffer
// name, order or tensor: a planned network lists exactly what the same
// network unplanned lists.
func TestFuseKeepsNames(t *testing.T) {
	build := func() *nn.Sequential {
		blk, err := nn.NewBasicBlock(3, 6, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		stem := seqOf(t, "conv", "bn", "relu")
		return nn.NewSequential(nn.Named{Name: "stem", Layer: stem}, nn.Named{Name: "bn", Layer: nn.NewBatchNorm(3, 0, 0)},
			nn.Named{Name: "relu", Layer: newReLU(t)}, nn.Named{Name: "block", Layer: blk})
	}
	names := func(s *nn.Sequential) string {
		var out []string
		for _, p := range s.Params() {
			out = append(out, fmt.Sprintf("%s%v", p.Name, p.Value.Shape))
		}
		for _, b := range nn.CollectBuffers(s) {
			out = append(out, fmt.Sprintf("%s%v", b.Name, b.Value.Shape))
		}
		return strings.Join(out, " ")
	}
	planned, apart := build(), build()
	nn.Fuse(planned)
	if got, want := names(planned), names(apart); got != want {
		t.Errorf("planned names\n %s\nunplanned\n %s", got, want)
	}
	if got := strings.Join(stepNames(planned.Steps()), " "); got != "stem bn+relu block" {
		t.Errorf("plan %q", got)
	}
	stem := planned.Layers[0].Layer.(*nn.Sequential)
	bn := stem.Layers[1].Layer.(*nn.BatchNorm)
	if p := planned.Params()[1]; p.Name != "stem.l1.weight" || p.Value != bn.Weight.Value {
		t.Errorf("param 1 is %s, not the stem batch norm's weight", p.Name)
	}
}
