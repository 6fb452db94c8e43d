package export

import (
	"fmt"
	"math"
	"slices"

	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/nn"
)

// ONNX versions written: operator set 13 of the default domain, in the IR
// version that introduced it.
const (
	onnxOpset     = 13
	onnxIRVersion = 7
)

// Names of the graph's input and output.
const (
	ONNXInput  = "input"
	ONNXOutput = "logits"
)

// ONNX returns the model of s as an ONNX model (opset 13): input "input",
// (N, C, H, W) float32 with a dynamic batch N, output "logits", (N,
// classes). With preprocess the stored preprocessing runs first in the
// graph (standardization as Sub and Div, PCA and ZCA as a MatMul), so the
// input is raw, as the data loaders give it (pixels in [0, 1]); otherwise
// the graph takes preprocessed inputs, as the network does. An unsupported
// layer is an input error.
func ONNX(s Source, preprocess bool) ([]byte, error) {
	root, err := plan(s.Model)
	if err != nil {
		return nil, err
	}
	md, err := s.metadata()
	if err != nil {
		return nil, err
	}
	delete(md, MetaFormat)
	md["preprocess_in_graph"] = fmt.Sprint(preprocess)
	g := &onnxGraph{values: map[string]bool{ONNXInput: true}}
	in := s.Model.InShape
	x := ONNXInput
	if preprocess {
		st := s.prep().State()
		if in, x, err = g.preprocess(st, s.Model.InShape); err != nil {
			return nil, err
		}
	}
	y := g.sequence(root.children, x)
	if y == ONNXInput || g.producer(y) == nil {
		y = g.add("Identity", "output", []string{y})
	}
	g.producer(y).out[0] = ONNXOutput
	m := onnxModel{
		graph:    g,
		name:     "nettrain_" + s.Model.Arch,
		doc:      fmt.Sprintf("nettrain %s network: %s (N,%d,%d,%d) float32 -> %s (N,%d)", s.Model.Arch, ONNXInput, in[0], in[1], in[2], ONNXOutput, s.Model.Classes),
		input:    valueInfo{name: ONNXInput, dims: append([]int64{-1}, toInt64(in)...)},
		output:   valueInfo{name: ONNXOutput, dims: []int64{-1, int64(s.Model.Classes)}},
		metadata: md,
	}
	return m.marshal(), nil
}

func toInt64(v []int) []int64 {
	out := make([]int64, len(v))
	for i, d := range v {
		out[i] = int64(d)
	}
	return out
}

// onnxGraph collects nodes and initializers; every value name is unique.
type onnxGraph struct {
	nodes  []*onnxNode
	inits  []onnxTensor
	values map[string]bool // value and initializer names in use
}

// onnxNode is one NodeProto.
type onnxNode struct {
	op, name string
	in, out  []string
	attrs    []onnxAttr
}

// onnxAttr is one AttributeProto of type FLOAT, INT or INTS.
type onnxAttr struct {
	name string
	typ  int // attrFloat, attrInt, attrInts
	f    float32
	i    int64
	ints []int64
}

// onnxTensor is one initializer: FLOAT or INT64 data.
type onnxTensor struct {
	name string
	dims []int64
	f32  []float32
	i64  []int64
}

func fAttr(name string, v float64) onnxAttr {
	return onnxAttr{name: name, typ: attrFloat, f: float32(v)}
}
func iAttr(name string, v int64) onnxAttr { return onnxAttr{name: name, typ: attrInt, i: v} }
func isAttr(name string, v ...int) onnxAttr {
	return onnxAttr{name: name, typ: attrInts, ints: toInt64(v)}
}

// claim marks name as used; names are unique by construction, so a
// repeat is a programmer error.
func (g *onnxGraph) claim(name string) string {
	if g.values[name] {
		panic(fmt.Sprintf("export: ONNX value name %q used twice", name))
	}
	g.values[name] = true
	return name
}

// add appends a node named name computing op of in, with one output also
// called name, and returns the output.
func (g *onnxGraph) add(op, name string, in []string, attrs ...onnxAttr) string {
	g.nodes = append(g.nodes, &onnxNode{op: op, name: name, in: in, out: []string{g.claim(name)}, attrs: attrs})
	return name
}

// producer returns the node whose output is the value v, or nil.
func (g *onnxGraph) producer(v string) *onnxNode {
	for _, n := range g.nodes {
		if slices.Contains(n.out, v) {
			return n
		}
	}
	return nil
}

// init adds a float32 initializer and returns its name.
func (g *onnxGraph) init(name string, dims []int, v []float32) string {
	if numel(dims) != len(v) {
		panic(fmt.Sprintf("export: initializer %s: dims %v for %d values", name, dims, len(v)))
	}
	g.inits = append(g.inits, onnxTensor{name: g.claim(name), dims: toInt64(dims), f32: v})
	return name
}

// scalar returns the name of a shared float32 constant initializer.
func (g *onnxGraph) scalar(name string, v float64) string {
	name = "const/" + name
	if !g.values[name] {
		g.init(name, []int{}, []float32{float32(v)})
	}
	return name
}

// sequence emits the nodes in order from input x and returns the last
// output.
func (g *onnxGraph) sequence(nodes []*node, x string) string {
	for _, n := range nodes {
		x = g.layer(n, x)
	}
	return x
}

// layer emits the nodes of one layer applied to x and returns its output.
func (g *onnxGraph) layer(n *node, x string) string {
	p := n.path
	switch l := n.layer.(type) {
	case *nn.Linear:
		in := []string{x, g.init(p+".weight", l.Weight.Value.Shape, l.Weight.Value.Data)}
		if l.Bias != nil {
			in = append(in, g.init(p+".bias", l.Bias.Value.Shape, l.Bias.Value.Data))
		}
		return g.add("Gemm", p, in, iAttr("transB", 1))
	case *nn.Conv2d:
		in := []string{x, g.init(p+".weight", l.Weight.Value.Shape, l.Weight.Value.Data)}
		if l.Bias != nil {
			in = append(in, g.init(p+".bias", l.Bias.Value.Shape, l.Bias.Value.Data))
		}
		return g.add("Conv", p, in, isAttr("kernel_shape", l.KH, l.KW), isAttr("strides", l.StrideH, l.StrideW),
			isAttr("pads", l.PadH, l.PadW, l.PadH, l.PadW), isAttr("dilations", 1, 1), iAttr("group", 1))
	case *nn.BatchNorm:
		c := []int{l.Channels}
		in := []string{x, g.init(p+".weight", c, l.Weight.Value.Data), g.init(p+".bias", c, l.Bias.Value.Data),
			g.init(p+".running_mean", c, l.RunningMean.Value.Data), g.init(p+".running_var", c, l.RunningVar.Value.Data)}
		return g.add("BatchNormalization", p, in, fAttr("epsilon", l.Eps), fAttr("momentum", 1-l.Momentum))
	case *nn.Activation:
		return g.activation(l, p, x, n.in)
	case *nn.MaxPool2d:
		return g.add("MaxPool", p, []string{x}, isAttr("kernel_shape", l.Kernel, l.Kernel), isAttr("strides", l.Stride, l.Stride),
			isAttr("pads", l.Padding, l.Padding, l.Padding, l.Padding), iAttr("ceil_mode", 0))
	case *nn.AvgPool2d:
		// nettrain divides every window by kernel², padding included.
		return g.add("AveragePool", p, []string{x}, isAttr("kernel_shape", l.Kernel, l.Kernel), isAttr("strides", l.Stride, l.Stride),
			isAttr("pads", l.Padding, l.Padding, l.Padding, l.Padding), iAttr("ceil_mode", 0), iAttr("count_include_pad", 1))
	case *nn.GlobalAvgPool:
		y := g.add("GlobalAveragePool", p+"/mean", []string{x})
		return g.add("Flatten", p, []string{y}, iAttr("axis", 1))
	case *nn.Flatten:
		return g.add("Flatten", p, []string{x}, iAttr("axis", 1))
	case *nn.Dropout:
		return x // the identity in evaluation
	case *nn.Sequential:
		return g.sequence(n.children, x)
	case *nn.BasicBlock:
		var main []*node
		for _, c := range n.children {
			if c.name != "shortcut" && c.name != "act2" {
				main = append(main, c)
			}
		}
		h := g.sequence(main, x)
		s := x
		if sc := n.child("shortcut"); sc != nil {
			s = g.layer(sc, x)
		}
		sum := g.add("Add", p+"/add", []string{h, s})
		return g.layer(n.child("act2"), sum)
	}
	panic(fmt.Sprintf("export: no ONNX nodes for %T", n.layer)) // plan rejected it
}

// activation emits a nettrain activation of x, per-example shape in.
func (g *onnxGraph) activation(a *nn.Activation, p, x string, in []int) string {
	o := a.Settings()
	switch a.Name() {
	case "relu":
		return g.add("Relu", p, []string{x})
	case "leaky_relu":
		return g.add("LeakyRelu", p, []string{x}, fAttr("alpha", o.Slope))
	case "prelu":
		// The slopes broadcast over dimension 1: (C,1,1) for images.
		dims := []int{a.Weight.Value.Len()}
		if dims[0] > 1 && len(in) == 3 {
			dims = append(dims, 1, 1)
		}
		return g.add("PRelu", p, []string{x, g.init(p+".weight", dims, a.Weight.Value.Data)})
	case "elu":
		return g.add("Elu", p, []string{x}, fAttr("alpha", o.Alpha))
	case "selu":
		return g.add("Selu", p, []string{x}, fAttr("alpha", nn.SELUAlpha), fAttr("gamma", nn.SELUScale))
	case "gelu":
		// Opset 13 has no Gelu: 0.5·x·(1 + erf(x/√2)), or with tanh
		// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
		var inner string
		if o.Approximate == "tanh" {
			x3 := g.add("Mul", p+"/x3", []string{g.add("Mul", p+"/x2", []string{x, x}), x})
			k := g.add("Mul", p+"/kx3", []string{x3, g.scalar("gelu_k", 0.044715)})
			s := g.add("Add", p+"/sum", []string{x, k})
			u := g.add("Mul", p+"/scaled", []string{s, g.scalar("sqrt_2_over_pi", math.Sqrt(2/math.Pi))})
			inner = g.add("Tanh", p+"/tanh", []string{u})
		} else {
			d := g.add("Div", p+"/div", []string{x, g.scalar("sqrt2", math.Sqrt2)})
			inner = g.add("Erf", p+"/erf", []string{d})
		}
		one := g.add("Add", p+"/one_plus", []string{inner, g.scalar("one", 1)})
		xm := g.add("Mul", p+"/times_x", []string{x, one})
		return g.add("Mul", p, []string{xm, g.scalar("half", 0.5)})
	case "tanh":
		return g.add("Tanh", p, []string{x})
	case "sigmoid":
		return g.add("Sigmoid", p, []string{x})
	}
	panic("export: no ONNX nodes for activation " + a.Name()) // plan rejected it
}

// preprocess emits the fitted preprocessing st on the graph input and
// returns the raw per-example input shape and the preprocessed value. The
// preprocessing must output the network's input shape net.
func (g *onnxGraph) preprocess(st data.PreprocessState, net []int) ([]int, string, error) {
	h := st.Header
	if h.Method == data.MethodNone {
		return net, ONNXInput, nil
	}
	raw := h.InShape[:]
	if !slices.Equal(h.OutShape[:], net) {
		return nil, "", engine.InputErrorf("the preprocessing %s outputs (%d,%d,%d) but the network takes %v", h.Method, h.OutShape[0], h.OutShape[1], h.OutShape[2], net)
	}
	tensor := func(name string) data.Tensor {
		t, ok := st.Tensor(name)
		if !ok {
			panic("export: preprocessing " + h.Method + " without " + name) // RestorePreprocessor checked it
		}
		return t
	}
	c, hh, w := raw[0], raw[1], raw[2]
	mean, std := tensor(data.TensorMean), data.Tensor{}
	switch h.Method {
	case data.MethodGlobal, data.MethodChannel, data.MethodFeature:
		std = tensor(data.TensorStd)
		dims := map[string][]int{data.MethodGlobal: {1}, data.MethodChannel: {1, c, 1, 1}, data.MethodFeature: {1, c, hh, w}}[h.Method]
		y := g.add("Sub", "preprocess/center", []string{ONNXInput, g.init(mean.Name, dims, mean.Data)})
		return raw, g.add("Div", "preprocess/scale", []string{y, g.init(std.Name, dims, std.Data)}), nil
	case data.MethodPCA, data.MethodPCAWhiten, data.MethodZCA:
		proj := tensor(data.TensorProjection)
		k, f := proj.Shape[0], proj.Shape[1]
		pt := make([]float32, len(proj.Data)) // Pᵀ, (F, k)
		for i := range k {
			for j := range f {
				pt[j*k+i] = proj.Data[i*f+j]
			}
		}
		flat := g.add("Flatten", "preprocess/flatten", []string{ONNXInput}, iAttr("axis", 1))
		y := g.add("Sub", "preprocess/center", []string{flat, g.init(mean.Name, []int{f}, mean.Data)})
		z := g.add("MatMul", "preprocess/project", []string{y, g.init(proj.Name+".T", []int{f, k}, pt)})
		shape := g.claim("preprocess/shape")
		g.inits = append(g.inits, onnxTensor{name: shape, dims: []int64{4}, i64: []int64{-1, int64(net[0]), int64(net[1]), int64(net[2])}})
		return raw, g.add("Reshape", "preprocess", []string{z, shape}), nil
	}
	return nil, "", engine.InputErrorf("preprocessing %q has no ONNX form; allowed: %s, %s, %s, %s, %s, %s, %s", h.Method,
		data.MethodNone, data.MethodGlobal, data.MethodChannel, data.MethodFeature, data.MethodPCA, data.MethodPCAWhiten, data.MethodZCA)
}
