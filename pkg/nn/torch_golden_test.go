package nn_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// goldenPath is the file written by testdata/torch/make_golden.py.
const goldenPath = "../../testdata/torch/golden.json"

// Tolerance of the PyTorch comparison: |got − want| ≤ max(rel·|want|, abs).
const (
	goldenRel = 1e-4
	goldenAbs = 1e-5
)

type goldenArray struct {
	Shape []int     `json:"shape"`
	Data  []float32 `json:"data"`
}

func (a *goldenArray) tensor() *tensor.Tensor {
	return tensor.FromData(slices.Clone(a.Data), a.Shape...)
}

type goldenCase struct {
	Name     string                  `json:"name"`
	Type     string                  `json:"type"`
	Settings map[string]any          `json:"settings"`
	Train    bool                    `json:"train"`
	Arrays   map[string]*goldenArray `json:"arrays"`
	Labels   []int32                 `json:"labels"`
	Loss     float64                 `json:"loss"`
	Correct  int                     `json:"correct"`
}

type goldenFile struct {
	GeneratedBy string       `json:"generated_by"`
	Cases       []goldenCase `json:"cases"`
}

func (c *goldenCase) array(t *testing.T, name string) *goldenArray {
	t.Helper()
	a, ok := c.Arrays[name]
	if !ok {
		t.Fatalf("golden case %s has no array %q", c.Name, name)
	}
	if tensor.Numel(a.Shape) != len(a.Data) {
		t.Fatalf("golden case %s: array %q has shape %v but %d values", c.Name, name, a.Shape, len(a.Data))
	}
	return a
}

func (c *goldenCase) num(t *testing.T, key string) float64 {
	t.Helper()
	v, ok := c.Settings[key].(float64)
	if !ok {
		t.Fatalf("golden case %s: setting %q missing or not a number: %v", c.Name, key, c.Settings[key])
	}
	return v
}

func (c *goldenCase) int(t *testing.T, key string) int { t.Helper(); return int(c.num(t, key)) }

func (c *goldenCase) pair(t *testing.T, key string) (int, int) {
	t.Helper()
	v, ok := c.Settings[key].([]any)
	if !ok || len(v) != 2 {
		t.Fatalf("golden case %s: setting %q is not a pair: %v", c.Name, key, c.Settings[key])
	}
	a, ok1 := v[0].(float64)
	b, ok2 := v[1].(float64)
	if !ok1 || !ok2 {
		t.Fatalf("golden case %s: setting %q is not a pair of numbers: %v", c.Name, key, v)
	}
	return int(a), int(b)
}

func (c *goldenCase) flag(t *testing.T, key string) bool {
	t.Helper()
	v, ok := c.Settings[key].(bool)
	if !ok {
		t.Fatalf("golden case %s: setting %q missing or not a boolean: %v", c.Name, key, c.Settings[key])
	}
	return v
}

func (c *goldenCase) str(key string) string {
	s, _ := c.Settings[key].(string)
	return s
}

// buildGoldenLayer returns the nettrain layer matching a golden case, or an
// error for a layer type the test does not know.
func buildGoldenLayer(t *testing.T, c *goldenCase) (nn.Layer, error) {
	switch c.Type {
	case "linear":
		return nn.NewLinear(c.int(t, "in"), c.int(t, "out"), c.flag(t, "bias")), nil
	case "activation":
		opt := nn.ActivationOptions{Approximate: c.str("approximate")}
		if _, ok := c.Settings["slope"]; ok {
			opt.Slope = c.num(t, "slope")
		}
		if _, ok := c.Settings["alpha"]; ok {
			opt.Alpha = c.num(t, "alpha")
		}
		if _, ok := c.Settings["channels"]; ok {
			opt.Channels = c.int(t, "channels")
		}
		return nn.NewActivation(c.str("activation"), opt)
	case "conv2d":
		kh, kw := c.pair(t, "kernel")
		sh, sw := c.pair(t, "stride")
		ph, pw := c.pair(t, "padding")
		conv := nn.NewConv2d(c.int(t, "in"), c.int(t, "out"), kh, kw, 1, 0, c.flag(t, "bias"))
		conv.StrideH, conv.StrideW, conv.PadH, conv.PadW = sh, sw, ph, pw
		return conv, nil
	case "maxpool2d":
		return nn.NewMaxPool2d(c.int(t, "kernel"), c.int(t, "stride"), c.int(t, "padding")), nil
	case "avgpool2d":
		if v, ok := c.Settings["count_include_pad"]; ok && v != true {
			return nil, fmt.Errorf("avgpool2d with count_include_pad=%v is not supported", v)
		}
		return nn.NewAvgPool2d(c.int(t, "kernel"), c.int(t, "stride"), c.int(t, "padding")), nil
	case "global_avgpool":
		if c.int(t, "output_size") != 1 || !c.flag(t, "flatten") {
			return nil, fmt.Errorf("global_avgpool must be output_size 1, flattened: %v", c.Settings)
		}
		return &nn.GlobalAvgPool{}, nil
	case "batchnorm":
		return nn.NewBatchNorm(c.int(t, "channels"), c.num(t, "momentum"), c.num(t, "eps")), nil
	case "basic_block":
		act := c.str("activation")
		return nn.NewBasicBlock(c.int(t, "in"), c.int(t, "out"), c.int(t, "stride"), func() (nn.Layer, error) {
			return nn.NewActivation(act, nn.ActivationOptions{})
		})
	}
	return nil, fmt.Errorf("unknown golden layer type %q", c.Type)
}

// goldenCompare checks got against the golden array want and returns the
// largest relative error max(|got−want|/max(1,|want|)).
func goldenCompare(t *testing.T, what string, got []float32, gotShape []int, want *goldenArray) float64 {
	t.Helper()
	if !slices.Equal(gotShape, want.Shape) {
		t.Errorf("%s: shape %v, want %v", what, gotShape, want.Shape)
		return math.Inf(1)
	}
	worst := 0.0
	bad := 0
	for i, w := range want.Data {
		g := got[i]
		d := math.Abs(float64(g) - float64(w))
		if e := d / math.Max(1, math.Abs(float64(w))); e > worst || math.IsNaN(d) {
			worst = e
		}
		if !(d <= math.Max(goldenRel*math.Abs(float64(w)), goldenAbs)) {
			if bad < 5 {
				t.Errorf("%s[%d] = %.9g, PyTorch %.9g (diff %.3g)", what, i, g, w, d)
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d of %d values differ", what, bad, len(want.Data))
	}
	return worst
}

func TestTorchGolden(t *testing.T) {
	raw, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	var gf goldenFile
	if err := json.Unmarshal(raw, &gf); err != nil {
		t.Fatalf("%s: %v", goldenPath, err)
	}
	if gf.GeneratedBy == "" || len(gf.Cases) == 0 {
		t.Fatalf("%s: no generated_by or no cases", goldenPath)
	}
	seen := map[string]bool{}
	for i := range gf.Cases {
		c := &gf.Cases[i]
		if seen[c.Name] {
			t.Errorf("golden case name %q repeated", c.Name)
		}
		seen[c.Name] = true
		t.Run(c.Name, func(t *testing.T) {
			var worst float64
			if c.Type == "cross_entropy" {
				worst = checkGoldenCrossEntropy(t, c)
			} else {
				worst = checkGoldenLayer(t, c)
			}
			t.Logf("max relative error %.3g", worst)
		})
	}
}

func checkGoldenCrossEntropy(t *testing.T, c *goldenCase) float64 {
	if c.str("reduction") != "mean" {
		t.Fatalf("cross_entropy reduction %q, want mean", c.str("reduction"))
	}
	x := c.array(t, "x").tensor()
	var l nn.SoftmaxCrossEntropy
	if _, ok := c.Settings["label_smoothing"]; ok {
		l.Smoothing = c.num(t, "label_smoothing")
	}
	var loss float64
	var correct int
	if _, soft := c.Arrays["targets"]; soft {
		// Soft targets: an (N, C) distribution per row instead of labels.
		loss, correct = l.ForwardSoft(x, c.array(t, "targets").tensor())
	} else {
		loss, correct = l.Forward(x, c.Labels)
	}
	d := math.Abs(loss - c.Loss)
	if d > math.Max(goldenRel*math.Abs(c.Loss), goldenAbs) {
		t.Errorf("loss %.9g, PyTorch %.9g", loss, c.Loss)
	}
	if correct != c.Correct {
		t.Errorf("correct %d, PyTorch %d", correct, c.Correct)
	}
	dx := l.Backward()
	return math.Max(d/math.Max(1, math.Abs(c.Loss)), goldenCompare(t, "dx", dx.Data, dx.Shape, c.array(t, "dx")))
}

func checkGoldenLayer(t *testing.T, c *goldenCase) float64 {
	layer, err := buildGoldenLayer(t, c)
	if err != nil {
		t.Fatal(err)
	}
	params := layer.Params()
	for _, p := range params {
		want := c.array(t, p.Name)
		if !p.Value.SameShape(want.Shape) {
			t.Fatalf("param %s has shape %v, PyTorch %v", p.Name, p.Value.Shape, want.Shape)
		}
		copy(p.Value.Data, want.Data)
		p.Grad.Zero()
	}
	// Buffers (running statistics), by name, as they were before the step.
	buffers := nn.CollectBuffers(layer)
	for _, b := range buffers {
		want := c.array(t, b.Name)
		if !b.Value.SameShape(want.Shape) {
			t.Fatalf("buffer %s has shape %v, PyTorch %v", b.Name, b.Value.Shape, want.Shape)
		}
		copy(b.Value.Data, want.Data)
	}
	// Every PyTorch parameter and buffer must be a nettrain one too.
	for name := range c.Arrays {
		if n, ok := strings.CutSuffix(name, ".grad"); ok {
			if !slices.ContainsFunc(params, func(p *nn.Param) bool { return p.Name == n }) {
				t.Fatalf("PyTorch parameter %q has no nettrain counterpart", n)
			}
		}
		if n, ok := strings.CutSuffix(name, ".after"); ok {
			if !slices.ContainsFunc(buffers, func(b *nn.Buffer) bool { return b.Name == n }) {
				t.Fatalf("PyTorch buffer %q has no nettrain counterpart", n)
			}
		}
	}
	ctx := &nn.Context{Train: c.Train}
	y := layer.Forward(ctx, c.array(t, "x").tensor())
	worst := goldenCompare(t, "y", y.Data, y.Shape, c.array(t, "y"))
	for _, b := range buffers {
		worst = math.Max(worst, goldenCompare(t, b.Name, b.Value.Data, b.Value.Shape, c.array(t, b.Name+".after")))
	}
	dx := layer.Backward(ctx, c.array(t, "g").tensor())
	worst = math.Max(worst, goldenCompare(t, "dx", dx.Data, dx.Shape, c.array(t, "dx")))
	for _, p := range params {
		worst = math.Max(worst, goldenCompare(t, p.Name+".grad", p.Grad.Data, p.Grad.Shape, c.array(t, p.Name+".grad")))
	}
	return worst
}
