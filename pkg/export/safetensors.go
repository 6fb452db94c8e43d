package export

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// The safetensors format (https://github.com/huggingface/safetensors):
//
//	8 bytes   N, the header's length, unsigned little-endian
//	N bytes   a JSON object: "__metadata__" (string → string, optional) and,
//	          per tensor, {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}
//	the rest  the tensors' bytes, little-endian, row-major; offsets are
//	          relative to the end of the header and cover it without gaps
//
// The header is padded with spaces to a multiple of 8 bytes, as the
// reference implementation does, so the data starts aligned.

// MetadataKey is the header entry that holds the string metadata.
const MetadataKey = "__metadata__"

// maxHeader bounds the header length a reader accepts (100 MB, the
// reference implementation's limit).
const maxHeader = 100 << 20

// dtypeSize is the byte size of the dtypes this package reads and writes.
var dtypeSize = map[string]int{"F32": 4, "I64": 8}

// EncodeSafetensors returns tensors and metadata as a safetensors file, the
// tensors' bytes in the given order. Names must be unique and not
// MetadataKey; each tensor's values must fill its shape.
func EncodeSafetensors(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	var h bytes.Buffer
	h.WriteByte('{')
	if len(metadata) > 0 {
		m, err := json.Marshal(metadata)
		if err != nil {
			return nil, fmt.Errorf("safetensors metadata: %w", err)
		}
		h.WriteString(strconv.Quote(MetadataKey) + ":")
		h.Write(m)
	}
	seen := map[string]bool{}
	var data []byte
	for i, t := range tensors {
		if t.Name == MetadataKey || seen[t.Name] {
			return nil, fmt.Errorf("safetensors: tensor name %q is repeated or reserved", t.Name)
		}
		seen[t.Name] = true
		n := numel(t.Shape)
		if (t.F32 == nil) == (t.I64 == nil) || len(t.F32)+len(t.I64) != n {
			return nil, fmt.Errorf("safetensors: tensor %q: shape %v needs %d values of one dtype, got %d float32 and %d int64", t.Name, t.Shape, n, len(t.F32), len(t.I64))
		}
		begin := len(data)
		for _, v := range t.F32 {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
		}
		for _, v := range t.I64 {
			data = binary.LittleEndian.AppendUint64(data, uint64(v))
		}
		name, _ := json.Marshal(t.Name)
		shape, _ := json.Marshal(append([]int{}, t.Shape...))
		if i > 0 || len(metadata) > 0 {
			h.WriteByte(',')
		}
		fmt.Fprintf(&h, `%s:{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`, name, t.DType(), shape, begin, len(data))
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	out := binary.LittleEndian.AppendUint64(make([]byte, 0, 8+h.Len()+len(data)), uint64(h.Len()))
	out = append(out, h.Bytes()...)
	return append(out, data...), nil
}

// SafetensorsFile is a decoded safetensors file.
type SafetensorsFile struct {
	// Metadata is the "__metadata__" entry (nil if absent).
	Metadata map[string]string
	// Tensors are in the order of their bytes in the file.
	Tensors []Tensor
}

// Tensor returns the tensor called name and whether it exists.
func (s *SafetensorsFile) Tensor(name string) (Tensor, bool) {
	for _, t := range s.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return Tensor{}, false
}

// headerEntry is one tensor's entry in the JSON header.
type headerEntry struct {
	DType       string `json:"dtype"`
	Shape       []int  `json:"shape"`
	DataOffsets []int  `json:"data_offsets"`
}

// ParseSafetensors decodes a safetensors file of F32 and I64 tensors,
// checking the header the way the reference implementation does: a
// header length within the file, a JSON object of string metadata and
// tensor entries, known dtypes, non-negative shapes whose byte size is the
// entry's offset range, and ranges that cover the data exactly, without
// gaps or overlaps.
func ParseSafetensors(b []byte) (*SafetensorsFile, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("safetensors: %d bytes, shorter than the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > maxHeader || n > uint64(len(b)-8) {
		return nil, fmt.Errorf("safetensors: header length %d does not fit the %d-byte file (limit %d)", n, len(b), maxHeader)
	}
	header, data := b[8:8+n], b[8+n:]
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("safetensors: the header is not a JSON object: %v", err)
	}
	s := &SafetensorsFile{}
	if m, ok := raw[MetadataKey]; ok {
		if err := json.Unmarshal(m, &s.Metadata); err != nil {
			return nil, fmt.Errorf("safetensors: %s is not an object of strings: %v", MetadataKey, err)
		}
		delete(raw, MetadataKey)
	}
	type span struct {
		begin, end int
		t          Tensor
	}
	spans := make([]span, 0, len(raw))
	for name, r := range raw {
		var e headerEntry
		if err := json.Unmarshal(r, &e); err != nil {
			return nil, fmt.Errorf("safetensors: tensor %q: %v", name, err)
		}
		size, ok := dtypeSize[e.DType]
		if !ok {
			return nil, fmt.Errorf("safetensors: tensor %q: dtype %q; this reader takes F32 and I64", name, e.DType)
		}
		if len(e.DataOffsets) != 2 || e.DataOffsets[0] < 0 || e.DataOffsets[1] < e.DataOffsets[0] || e.DataOffsets[1] > len(data) {
			return nil, fmt.Errorf("safetensors: tensor %q: data_offsets %v outside the %d data bytes", name, e.DataOffsets, len(data))
		}
		count := 1
		for _, d := range e.Shape {
			if d < 0 || (d > 0 && count > len(data)/d) {
				return nil, fmt.Errorf("safetensors: tensor %q: shape %v is negative or larger than the file", name, e.Shape)
			}
			count *= d
		}
		begin, end := e.DataOffsets[0], e.DataOffsets[1]
		if end-begin != count*size {
			return nil, fmt.Errorf("safetensors: tensor %q: shape %v of %s needs %d bytes, data_offsets give %d", name, e.Shape, e.DType, count*size, end-begin)
		}
		t := Tensor{Name: name, Shape: append([]int{}, e.Shape...)}
		buf := data[begin:end]
		if e.DType == "F32" {
			t.F32 = make([]float32, count)
			for i := range t.F32 {
				t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
			}
		} else {
			t.I64 = make([]int64, count)
			for i := range t.I64 {
				t.I64[i] = int64(binary.LittleEndian.Uint64(buf[8*i:]))
			}
		}
		spans = append(spans, span{begin, end, t})
	}
	slices.SortFunc(spans, func(a, b span) int {
		if a.begin != b.begin {
			return a.begin - b.begin
		}
		return a.end - b.end
	})
	pos := 0
	for _, sp := range spans {
		if sp.begin != pos {
			return nil, fmt.Errorf("safetensors: tensor %q starts at byte %d, want %d: the data has a gap or an overlap", sp.t.Name, sp.begin, pos)
		}
		pos = sp.end
		s.Tensors = append(s.Tensors, sp.t)
	}
	if pos != len(data) {
		return nil, fmt.Errorf("safetensors: the tensors cover %d of the %d data bytes", pos, len(data))
	}
	return s, nil
}
