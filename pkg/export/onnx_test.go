package export

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/nn"
)

// field is one decoded protobuf field: a varint or fixed32 in v, a
// length-delimited value in b.
type field struct {
	num protowire.Number
	v   uint64
	b   []byte
}

// fields decodes the top level of a protobuf message.
func fields(t *testing.T, b []byte) []field {
	t.Helper()
	var fs []field
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		f := field{num: num}
		switch typ {
		case protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.v = uint64(v)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(b)
		default:
			t.Fatalf("field %d: unexpected wire type %d", num, typ)
		}
		if n < 0 {
			t.Fatalf("field %d: %v", num, protowire.ParseError(n))
		}
		b = b[n:]
		fs = append(fs, f)
	}
	return fs
}

// all returns the fields numbered num.
func all(fs []field, num protowire.Number) []field {
	var out []field
	for _, f := range fs {
		if f.num == num {
			out = append(out, f)
		}
	}
	return out
}

// one returns the only field numbered num.
func one(t *testing.T, fs []field, num protowire.Number) field {
	t.Helper()
	got := all(fs, num)
	if len(got) != 1 {
		t.Fatalf("%d fields numbered %d, want 1", len(got), num)
	}
	return got[0]
}

// decoded is the part of a ModelProto the test checks.
type decoded struct {
	irVersion, opset uint64
	producer         string
	metadata         map[string]string
	nodes            []decodedNode
	inits            map[string]decodedTensor
	initOrder        []string
	input, output    string
	inDims, outDims  []string // dim_value as text, dim_param as is
}

type decodedNode struct {
	op, name string
	in, out  []string
	attrs    map[string]field // the value field of each attribute (f, i) or, for ints, the list
	ints     map[string][]int64
}

type decodedTensor struct {
	dims     []int64
	dataType uint64
	raw      []byte
}

func decodeModel(t *testing.T, b []byte) *decoded {
	t.Helper()
	m := fields(t, b)
	d := &decoded{metadata: map[string]string{}, inits: map[string]decodedTensor{}}
	d.irVersion = one(t, m, 1).v
	d.producer = string(one(t, m, 2).b)
	op := fields(t, one(t, m, 8).b)
	if dom := all(op, 1); len(dom) > 0 && len(dom[0].b) > 0 {
		t.Errorf("opset domain %q, want the default", dom[0].b)
	}
	d.opset = one(t, op, 2).v
	for _, e := range all(m, 14) {
		kv := fields(t, e.b)
		d.metadata[string(one(t, kv, 1).b)] = string(one(t, kv, 2).b)
	}
	g := fields(t, one(t, m, 7).b)
	for _, nf := range all(g, 1) {
		nfs := fields(t, nf.b)
		n := decodedNode{op: string(one(t, nfs, 4).b), name: string(one(t, nfs, 3).b), attrs: map[string]field{}, ints: map[string][]int64{}}
		for _, f := range all(nfs, 1) {
			n.in = append(n.in, string(f.b))
		}
		for _, f := range all(nfs, 2) {
			n.out = append(n.out, string(f.b))
		}
		for _, af := range all(nfs, 5) {
			afs := fields(t, af.b)
			name := string(one(t, afs, 1).b)
			switch one(t, afs, 20).v {
			case attrFloat:
				n.attrs[name] = one(t, afs, 2)
			case attrInt:
				n.attrs[name] = one(t, afs, 3)
			case attrInts:
				for _, f := range all(afs, 8) {
					n.ints[name] = append(n.ints[name], int64(f.v))
				}
			default:
				t.Errorf("node %s: attribute %s of an unexpected type", n.name, name)
			}
		}
		d.nodes = append(d.nodes, n)
	}
	for _, tf := range all(g, 5) {
		tfs := fields(t, tf.b)
		var dt decodedTensor
		for _, f := range all(tfs, 1) {
			dt.dims = append(dt.dims, int64(f.v))
		}
		dt.dataType = one(t, tfs, 2).v
		dt.raw = one(t, tfs, 9).b
		name := string(one(t, tfs, 8).b)
		d.inits[name] = dt
		d.initOrder = append(d.initOrder, name)
	}
	vi := func(f field) (string, []string) {
		fs := fields(t, f.b)
		tt := fields(t, one(t, fields(t, one(t, fs, 2).b), 1).b)
		if et := one(t, tt, 1).v; et != onnxFloat {
			t.Errorf("elem_type %d, want FLOAT", et)
		}
		var dims []string
		for _, df := range all(fields(t, one(t, tt, 2).b), 1) {
			dfs := fields(t, df.b)
			if p := all(dfs, 2); len(p) > 0 {
				dims = append(dims, string(p[0].b))
			} else {
				dims = append(dims, strconv.FormatUint(one(t, dfs, 1).v, 10))
			}
		}
		return string(one(t, fs, 1).b), dims
	}
	d.input, d.inDims = vi(one(t, g, 11))
	d.output, d.outDims = vi(one(t, g, 12))
	return d
}

// ops returns the op types of the nodes, in order.
func (d *decoded) ops() []string {
	var ops []string
	for _, n := range d.nodes {
		ops = append(ops, n.op)
	}
	return ops
}

// checkWellFormed checks what ONNX requires of any graph: nodes in
// topological order, every input defined before use, every output named
// once, the graph output produced, and initializers whose raw data fills
// their dims.
func (d *decoded) checkWellFormed(t *testing.T) {
	t.Helper()
	defined := map[string]bool{d.input: true}
	for name, it := range d.inits {
		size := map[uint64]int{onnxFloat: 4, onnxInt64: 8}[it.dataType]
		n := 1
		for _, v := range it.dims {
			n *= int(v)
		}
		if size == 0 || len(it.raw) != n*size {
			t.Errorf("initializer %s: %d raw bytes for dims %v of type %d", name, len(it.raw), it.dims, it.dataType)
		}
		defined[name] = true
	}
	for _, n := range d.nodes {
		for _, in := range n.in {
			if !defined[in] {
				t.Errorf("node %s (%s): input %q is not defined before it", n.name, n.op, in)
			}
		}
		for _, out := range n.out {
			if defined[out] {
				t.Errorf("node %s: output %q is defined twice", n.name, out)
			}
			defined[out] = true
		}
	}
	if !defined[d.output] {
		t.Errorf("graph output %q is not produced", d.output)
	}
}

// node returns the node called name.
func (d *decoded) node(t *testing.T, name string) decodedNode {
	t.Helper()
	for _, n := range d.nodes {
		if n.name == name {
			return n
		}
	}
	t.Fatalf("no node %q among %v", name, d.ops())
	return decodedNode{}
}

// floats decodes an initializer's float32 raw data.
func (it decodedTensor) floats() []float32 {
	v := make([]float32, len(it.raw)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(it.raw[4*i:]))
	}
	return v
}

// TestONNXStructure decodes exported models in Go and checks the graph:
// versions, input and output, the nodes each layer becomes, their
// attributes and the initializers' values.
func TestONNXStructure(t *testing.T) {
	for _, tc := range []struct {
		name       string
		model      string
		in         []int
		prep       data.PreprocessConfig
		preprocess bool
		ops        []string
		check      func(t *testing.T, d *decoded, src Source)
	}{
		{"mlp with preprocessing", "  arch: mlp\n  hidden: [8]\n  dropout: 0.5\n", []int{1, 4, 4}, data.PreprocessConfig{Method: "global"}, true,
			[]string{"Sub", "Div", "Flatten", "Gemm", "Relu", "Gemm"},
			func(t *testing.T, d *decoded, src Source) {
				if got := d.inits["fc1.weight"]; !slices.Equal(got.dims, []int64{8, 16}) || !slices.Equal(got.floats(), src.Model.Params()[0].Value.Data) {
					t.Errorf("fc1.weight: dims %v, values differ from the model's: %v", got.dims, !slices.Equal(got.floats(), src.Model.Params()[0].Value.Data))
				}
				if n := d.node(t, "fc1"); n.attrs["transB"].v != 1 || !slices.Equal(n.in, []string{"flatten", "fc1.weight", "fc1.bias"}) {
					t.Errorf("fc1: %+v", n)
				}
				st := src.Prep.State()
				mean, _ := st.Tensor(data.TensorMean)
				if got := d.inits["preprocess.mean"].floats(); !slices.Equal(got, mean.Data) {
					t.Errorf("preprocess.mean %v, want %v", got, mean.Data)
				}
				if d.metadata["preprocess_in_graph"] != "true" || !strings.Contains(d.metadata[MetaPreprocess], `"method":"global"`) {
					t.Errorf("metadata %v", d.metadata)
				}
			}},
		{"mlp without preprocessing in the graph", "  arch: mlp\n  hidden: [8]\n  activation: gelu\n", []int{1, 4, 4}, data.PreprocessConfig{Method: "global"}, false,
			[]string{"Flatten", "Gemm", "Div", "Erf", "Add", "Mul", "Mul", "Gemm"}, nil},
		{"gelu tanh, elu, leaky relu, sigmoid", "  arch: layers\n  layers:\n    - {type: flatten}\n    - {type: gelu, approximate: tanh}\n    - {type: elu, alpha: 0.5}\n    - {type: leaky_relu, slope: 0.3}\n    - {type: sigmoid}\n    - {type: linear, out: 10, bias: false}\n", []int{1, 2, 2}, data.PreprocessConfig{}, false,
			[]string{"Flatten", "Mul", "Mul", "Mul", "Add", "Mul", "Tanh", "Add", "Mul", "Mul", "Elu", "LeakyRelu", "Sigmoid", "Gemm"},
			func(t *testing.T, d *decoded, _ Source) {
				if a := math.Float32frombits(uint32(d.node(t, "elu2").attrs["alpha"].v)); a != 0.5 {
					t.Errorf("elu alpha %v", a)
				}
				if a := math.Float32frombits(uint32(d.node(t, "leaky_relu3").attrs["alpha"].v)); a != 0.3 {
					t.Errorf("leaky_relu alpha %v", a)
				}
				if n := d.node(t, "linear5"); len(n.in) != 2 {
					t.Errorf("Gemm without bias has inputs %v", n.in)
				}
			}},
		{"resnet", "  arch: resnet\n  depth: 8\n  width: 2\n  activation: prelu\n  prelu_per_channel: true\n", []int{1, 8, 8}, data.PreprocessConfig{}, false,
			nil,
			func(t *testing.T, d *decoded, _ Source) {
				ops := d.ops()
				for op, want := range map[string]int{"Conv": 1 + 2*3 + 2, "BatchNormalization": 1 + 2*3 + 2, "PRelu": 1 + 2*3, "Add": 3, "GlobalAveragePool": 1, "Flatten": 1, "Gemm": 1} {
					if got := countOf(ops, op); got != want {
						t.Errorf("%d %s nodes, want %d", got, op, want)
					}
				}
				bn := d.node(t, "stage2.block1.bn1")
				if eps, mom := math.Float32frombits(uint32(bn.attrs["epsilon"].v)), math.Float32frombits(uint32(bn.attrs["momentum"].v)); eps != float32(nn.DefaultBatchNormEps) || mom != 0.9 {
					t.Errorf("batch norm epsilon %v momentum %v, want 1e-5 and 0.9 (ONNX's 1 − PyTorch's)", eps, mom)
				}
				sum := d.node(t, "stage2.block1/add")
				if !slices.Equal(sum.in, []string{"stage2.block1.bn2", "stage2.block1.shortcut.bn"}) {
					t.Errorf("residual add of %v", sum.in)
				}
				if id := d.node(t, "stage1.block1/add"); !slices.Equal(id.in, []string{"stage1.block1.bn2", "stem.act"}) {
					t.Errorf("identity residual add of %v", id.in)
				}
				if got := d.inits["stage1.block1.act1.weight"].dims; !slices.Equal(got, []int64{2, 1, 1}) {
					t.Errorf("per-channel PRelu slope dims %v, want [2 1 1]", got)
				}
				conv := d.node(t, "stage2.block1.conv1")
				if !slices.Equal(conv.ints["strides"], []int64{2, 2}) || !slices.Equal(conv.ints["pads"], []int64{1, 1, 1, 1}) || !slices.Equal(conv.ints["kernel_shape"], []int64{3, 3}) {
					t.Errorf("conv attributes %v", conv.ints)
				}
			}},
		{"pools and zca", "  arch: layers\n  layers:\n    - {type: maxpool2d, kernel: 3, stride: 2, padding: 1}\n    - {type: avgpool2d, kernel: 2, padding: 1}\n    - {type: flatten}\n    - {type: linear, out: 10}\n", []int{1, 6, 6}, data.PreprocessConfig{Method: "zca", Epsilon: 0.1}, true,
			[]string{"Flatten", "Sub", "MatMul", "Reshape", "MaxPool", "AveragePool", "Flatten", "Gemm"},
			func(t *testing.T, d *decoded, src Source) {
				avg := d.node(t, "avgpool2d1")
				if avg.attrs["count_include_pad"].v != 1 || avg.attrs["ceil_mode"].v != 0 || !slices.Equal(avg.ints["pads"], []int64{1, 1, 1, 1}) || !slices.Equal(avg.ints["strides"], []int64{2, 2}) {
					t.Errorf("AveragePool %+v %v", avg.attrs, avg.ints)
				}
				proj, _ := src.Prep.State().Tensor(data.TensorProjection)
				pt := d.inits["preprocess.projection.T"]
				f := proj.Shape[1]
				if !slices.Equal(pt.dims, []int64{int64(f), int64(proj.Shape[0])}) || pt.floats()[1] != proj.Data[f] {
					t.Errorf("projection initializer dims %v: not Pᵀ", pt.dims)
				}
				if got := d.inits["preprocess/shape"]; got.dataType != onnxInt64 || int64(binary.LittleEndian.Uint64(got.raw)) != -1 {
					t.Errorf("reshape target %+v", got)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prep := fitPrep(t, tc.prep, tc.in)
			oc, oh, ow := prep.OutShape(tc.in[0], tc.in[1], tc.in[2])
			m := buildModel(t, tc.model, []int{oc, oh, ow})
			randomize(m, 1)
			src := Source{Model: m, Prep: prep, ClassNames: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}, Metadata: map[string]string{MetaVersion: "9.9"}}
			b, err := ONNX(src, tc.preprocess)
			if err != nil {
				t.Fatal(err)
			}
			d := decodeModel(t, b)
			if d.irVersion != 7 || d.opset != 13 || d.producer != "nettrain" {
				t.Errorf("ir_version %d, opset %d, producer %q", d.irVersion, d.opset, d.producer)
			}
			wantIn := m.InShape
			if tc.preprocess {
				wantIn = tc.in
			}
			if d.input != "input" || d.output != "logits" || !slices.Equal(d.inDims, append([]string{"N"}, intStrings(wantIn)...)) || !slices.Equal(d.outDims, []string{"N", "10"}) {
				t.Errorf("graph %s %v → %s %v", d.input, d.inDims, d.output, d.outDims)
			}
			if d.metadata[MetaClassNames] != `["a","b","c","d","e","f","g","h","i","j"]` || d.metadata[MetaVersion] != "9.9" {
				t.Errorf("metadata %v", d.metadata)
			}
			d.checkWellFormed(t)
			if tc.ops != nil && !slices.Equal(d.ops(), tc.ops) {
				t.Errorf("ops %v, want %v", d.ops(), tc.ops)
			}
			if tc.check != nil {
				tc.check(t, d, src)
			}
		})
	}
}

func countOf(v []string, s string) int {
	n := 0
	for _, x := range v {
		if x == s {
			n++
		}
	}
	return n
}

func intStrings(v []int) []string {
	out := make([]string, len(v))
	for i, d := range v {
		out[i] = strconv.Itoa(d)
	}
	return out
}
