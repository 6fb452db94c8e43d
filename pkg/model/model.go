package model

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/rng"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// Spec describes an architecture. It mirrors the config file's model section.
type Spec struct {
	Arch       string  // registry name: "mlp" or "layers"
	Hidden     []int   // mlp: hidden layer sizes
	Activation string  // mlp: nonlinearity after each hidden layer
	Init       string  // weight initializer for every layer without its own
	InitStd    float64 // standard deviation of the "normal" initializer
	// HeadInitScale multiplies the initial weights of the last linear layer.
	HeadInitScale float64
	Layers        []LayerSpec // layers: the explicit list
}

// LayerSpec is one entry of an explicit layer list.
type LayerSpec struct {
	Type string // "linear", "flatten" or an activation name
	Name string // optional; default "<type><index>"
	Out  int    // linear: output features
	Bias *bool  // linear: with bias (default true)
	Init string // linear: initializer overriding Spec.Init
}

// Model is a built network with the shapes it was built for.
type Model struct {
	Net     *nn.Sequential
	InShape []int // per-example input shape (C, H, W)
	Classes int
	Arch    string
}

// Params returns the model's named trainable tensors.
func (m *Model) Params() []*nn.Param { return m.Net.Params() }

// builder makes the layer list of one architecture for inputs of the given
// per-example shape. Layers' shapes are checked while building.
type builder func(s Spec, in []int, classes int) ([]planned, error)

// planned is a layer before initialization, with the gain of the
// nonlinearity that follows it (for Kaiming inits) and its init name.
type planned struct {
	named nn.Named
	init  string
	gain  float64
	key   string // config key path for error messages
}

// architectures is the registry of model builders.
var architectures = map[string]builder{
	"mlp":    buildMLP,
	"layers": buildLayers,
}

// Architectures lists the registered architecture names, sorted.
func Architectures() []string { return slices.Sorted(maps.Keys(architectures)) }

// Build creates the network described by s for inputs of per-example shape
// in (C,H,W) and the given number of classes, with weights drawn from the
// init stream of seed.
func Build(s Spec, in []int, classes int, seed uint64) (*Model, error) {
	b, ok := architectures[s.Arch]
	if !ok {
		return nil, fmt.Errorf("model.arch: unknown architecture %q; known: %s", s.Arch, strings.Join(Architectures(), ", "))
	}
	plan, err := b(s, in, classes)
	if err != nil {
		return nil, err
	}
	named := make([]nn.Named, len(plan))
	r := rng.New(seed, rng.Init)
	var head *nn.Linear
	for i, p := range plan {
		named[i] = p.named
		if lin, ok := p.named.Layer.(*nn.Linear); ok {
			opts := nn.InitOptions{FanIn: lin.In, FanOut: lin.Out, Gain: p.gain, Std: s.InitStd}
			if err := nn.Init(p.init, lin.Weight.Value.Data, opts, r); err != nil {
				return nil, fmt.Errorf("%s: %w", p.key, err)
			}
			head = lin
		}
	}
	if head != nil && s.HeadInitScale != 1 {
		for i := range head.Weight.Value.Data {
			head.Weight.Value.Data[i] *= float32(s.HeadInitScale)
		}
	}
	m := &Model{Net: nn.NewSequential(named...), InShape: slices.Clone(in), Classes: classes, Arch: s.Arch}
	if err := m.dryRun(); err != nil {
		return nil, err
	}
	return m, nil
}

// dryRun pushes a batch of two zero examples forward and backward, turning
// any shape panic into an error.
func (m *Model) dryRun() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("model: dry run failed: %v", r)
		}
	}()
	x := tensor.New(append([]int{2}, m.InShape...)...)
	c := &nn.Context{Train: true}
	y := m.Net.Forward(c, x)
	if !slices.Equal(y.Shape, []int{2, m.Classes}) {
		return fmt.Errorf("model: output shape %v, want (N, %d)", y.Shape[1:], m.Classes)
	}
	m.Net.Backward(c, tensor.New(y.Shape...))
	nn.ZeroGrad(m.Params())
	return nil
}

// checkShapes runs shape inference over a plan and checks the output is
// (classes).
func checkShapes(plan []planned, in []int, classes int, key string) error {
	shape := in
	for _, p := range plan {
		out, err := p.named.Layer.OutShape(shape)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", p.key, p.named.Layer.Describe(), err)
		}
		shape = out
	}
	if !slices.Equal(shape, []int{classes}) {
		return fmt.Errorf("%s: the network outputs shape %v but the data has %d classes: end with a linear layer with out: %d", key, shape, classes, classes)
	}
	return nil
}

func buildMLP(s Spec, in []int, classes int) ([]planned, error) {
	if len(s.Layers) > 0 {
		return nil, errors.New("model.layers: only used with arch: layers")
	}
	act := s.Activation
	// prelu gets one shared slope per layer (Channels: 0).
	actOpt := nn.ActivationOptions{}
	if _, err := nn.NewActivation(act, actOpt); err != nil {
		return nil, fmt.Errorf("model.activation: %w", err)
	}
	if err := nn.CheckInit(s.Init); err != nil {
		return nil, fmt.Errorf("model.init: %w", err)
	}
	plan := []planned{{named: nn.Named{Name: "flatten", Layer: &nn.Flatten{}}, key: "model"}}
	features := 1
	for _, d := range in {
		features *= d
	}
	for i, h := range s.Hidden {
		if h < 1 {
			return nil, fmt.Errorf("model.hidden[%d]: must be >= 1, got %d", i, h)
		}
		a, _ := nn.NewActivation(act, actOpt)
		plan = append(plan,
			planned{named: nn.Named{Name: fmt.Sprintf("fc%d", i+1), Layer: nn.NewLinear(features, h, true)}, init: s.Init, gain: a.(*nn.Activation).Gain(), key: fmt.Sprintf("model.hidden[%d]", i)},
			planned{named: nn.Named{Name: fmt.Sprintf("%s%d", act, i+1), Layer: a}, key: "model.activation"})
		features = h
	}
	plan = append(plan, planned{named: nn.Named{Name: "classifier", Layer: nn.NewLinear(features, classes, true)}, init: s.Init, gain: 1, key: "model"})
	return plan, checkShapes(plan, in, classes, "model")
}

// layerTypes lists the non-activation layer types of an explicit list.
var layerTypes = []string{"flatten", "linear"}

func buildLayers(s Spec, in []int, classes int) ([]planned, error) {
	if len(s.Layers) == 0 {
		return nil, errors.New("model.layers: arch layers needs a non-empty list")
	}
	var plan []planned
	shape := in
	seen := map[string]bool{}
	for i, ls := range s.Layers {
		key := fmt.Sprintf("model.layers[%d]", i)
		name := ls.Name
		if name == "" {
			name = fmt.Sprintf("%s%d", ls.Type, i)
		}
		if seen[name] {
			return nil, fmt.Errorf("%s.name: %q is used twice", key, name)
		}
		seen[name] = true
		var layer nn.Layer
		init := ""
		switch {
		case ls.Type == "linear":
			if ls.Out < 1 {
				return nil, fmt.Errorf("%s.out: linear needs out >= 1, got %d", key, ls.Out)
			}
			if len(shape) != 1 {
				return nil, fmt.Errorf("%s: linear expects flat features, got shape %v: add {type: flatten} before it", key, shape)
			}
			bias := ls.Bias == nil || *ls.Bias
			layer = nn.NewLinear(shape[0], ls.Out, bias)
			init = s.Init
			if ls.Init != "" {
				init = ls.Init
			}
			if err := nn.CheckInit(init); err != nil {
				return nil, fmt.Errorf("%s.init: %w", key, err)
			}
		case ls.Type == "flatten":
			layer = &nn.Flatten{}
		case nn.IsActivation(ls.Type):
			var err error
			if layer, err = nn.NewActivation(ls.Type, nn.ActivationOptions{}); err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
		default:
			known := append(slices.Clone(layerTypes), nn.ActivationNames()...)
			slices.Sort(known)
			return nil, fmt.Errorf("%s.type: unknown layer type %q; known: %s", key, ls.Type, strings.Join(known, ", "))
		}
		if ls.Type != "linear" && (ls.Out != 0 || ls.Bias != nil || ls.Init != "") {
			return nil, fmt.Errorf("%s: out, bias and init apply only to linear layers", key)
		}
		out, err := layer.OutShape(shape)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", key, layer.Describe(), err)
		}
		shape = out
		plan = append(plan, planned{named: nn.Named{Name: name, Layer: layer}, init: init, gain: 1, key: key})
	}
	// A Kaiming init takes the gain of the nonlinearity that follows.
	for i := range plan[:len(plan)-1] {
		if a, ok := plan[i+1].named.Layer.(*nn.Activation); ok {
			plan[i].gain = a.Gain()
		}
	}
	return plan, checkShapes(plan, in, classes, "model.layers")
}

// Summary writes one row per layer (name, kind, output shape, parameters)
// and the total parameter count.
func (m *Model) Summary(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "layer\ttype\toutput\tparams\n")
	shape := m.InShape
	fmt.Fprintf(tw, "input\t\t%s\t\n", shapeString(shape))
	for _, l := range m.Net.Layers {
		shape, _ = l.Layer.OutShape(shape)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", l.Name, l.Layer.Describe(), shapeString(shape), nn.CountParams(l.Layer.Params()))
	}
	fmt.Fprintf(tw, "total\t\t\t%d\n", nn.CountParams(m.Params()))
	return tw.Flush()
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "(" + strings.Join(parts, ",") + ")"
}
