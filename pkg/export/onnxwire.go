package export

import (
	"encoding/binary"
	"maps"
	"math"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// The ONNX protobuf messages (onnx/onnx.proto), written field by field
// with protowire: the Go bindings of the ONNX protos that exist pull in a
// tensor library and its dependencies (gonnx → gorgonia, arrow,
// flatbuffers), while the few messages an exporter writes are short. Field
// numbers are onnx.proto's.

// AttributeProto.AttributeType values used here.
const (
	attrFloat = 1
	attrInt   = 2
	attrInts  = 7
)

// TensorProto.DataType values used here.
const (
	onnxFloat = 1
	onnxInt64 = 7
)

// valueInfo is a graph input or output: a float32 tensor whose dimensions
// are given, -1 standing for the dynamic batch "N".
type valueInfo struct {
	name string
	dims []int64
}

// onnxModel is a ModelProto.
type onnxModel struct {
	graph         *onnxGraph
	name, doc     string
	input, output valueInfo
	metadata      map[string]string
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendMessage(b []byte, num protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

// marshal returns the serialized ModelProto.
func (m *onnxModel) marshal() []byte {
	var b []byte
	b = appendVarint(b, 1, onnxIRVersion) // ir_version
	b = appendString(b, 2, "nettrain")    // producer_name
	if v := m.metadata[MetaVersion]; v != "" {
		b = appendString(b, 3, v) // producer_version
	}
	b = appendString(b, 6, m.doc)             // doc_string
	b = appendMessage(b, 7, m.marshalGraph()) // graph
	opset := appendString(nil, 1, "")         // domain: the default
	opset = appendVarint(opset, 2, onnxOpset) // version
	b = appendMessage(b, 8, opset)            // opset_import
	for _, k := range slices.Sorted(maps.Keys(m.metadata)) {
		e := appendString(nil, 1, k)
		e = appendString(e, 2, m.metadata[k])
		b = appendMessage(b, 14, e) // metadata_props
	}
	return b
}

// marshalGraph returns the serialized GraphProto.
func (m *onnxModel) marshalGraph() []byte {
	g := m.graph
	var b []byte
	for _, n := range g.nodes {
		b = appendMessage(b, 1, n.marshal()) // node
	}
	b = appendString(b, 2, m.name) // name
	for _, t := range g.inits {
		b = appendMessage(b, 5, t.marshal()) // initializer
	}
	b = appendString(b, 10, m.doc)               // doc_string
	b = appendMessage(b, 11, m.input.marshal())  // input
	b = appendMessage(b, 12, m.output.marshal()) // output
	return b
}

// marshal returns the serialized NodeProto.
func (n *onnxNode) marshal() []byte {
	var b []byte
	for _, s := range n.in {
		b = appendString(b, 1, s) // input
	}
	for _, s := range n.out {
		b = appendString(b, 2, s) // output
	}
	b = appendString(b, 3, n.name) // name
	b = appendString(b, 4, n.op)   // op_type
	for _, a := range n.attrs {
		b = appendMessage(b, 5, a.marshal()) // attribute
	}
	return b
}

// marshal returns the serialized AttributeProto.
func (a onnxAttr) marshal() []byte {
	b := appendString(nil, 1, a.name) // name
	switch a.typ {
	case attrFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type) // f
		b = protowire.AppendFixed32(b, math.Float32bits(a.f))
	case attrInt:
		b = appendVarint(b, 3, uint64(a.i)) // i
	case attrInts:
		for _, v := range a.ints {
			b = appendVarint(b, 8, uint64(v)) // ints
		}
	}
	return appendVarint(b, 20, uint64(a.typ)) // type
}

// marshal returns the serialized TensorProto, its values in raw_data
// (little-endian).
func (t onnxTensor) marshal() []byte {
	var b []byte
	for _, d := range t.dims {
		b = appendVarint(b, 1, uint64(d)) // dims
	}
	var raw []byte
	if t.i64 != nil {
		b = appendVarint(b, 2, onnxInt64) // data_type
		for _, v := range t.i64 {
			raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
		}
	} else {
		b = appendVarint(b, 2, onnxFloat)
		for _, v := range t.f32 {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
	}
	b = appendString(b, 8, t.name) // name
	b = protowire.AppendTag(b, 9, protowire.BytesType)
	return protowire.AppendBytes(b, raw) // raw_data
}

// marshal returns the serialized ValueInfoProto of a float32 tensor.
func (v valueInfo) marshal() []byte {
	var shape []byte
	for _, d := range v.dims {
		var dim []byte
		if d < 0 {
			dim = appendString(nil, 2, "N") // dim_param
		} else {
			dim = appendVarint(nil, 1, uint64(d)) // dim_value
		}
		shape = appendMessage(shape, 1, dim) // dim
	}
	tt := appendVarint(nil, 1, onnxFloat) // elem_type
	tt = appendMessage(tt, 2, shape)      // shape
	typ := appendMessage(nil, 1, tt)      // TypeProto.tensor_type
	b := appendString(nil, 1, v.name)     // name
	return appendMessage(b, 2, typ)       // type
}
