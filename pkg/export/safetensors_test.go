package export

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// safetensorsSets are tensor sets for the round trip and the fuzz seeds.
var safetensorsSets = []struct {
	name     string
	tensors  []Tensor
	metadata map[string]string
}{
	{"empty", nil, nil},
	{"metadata only", nil, map[string]string{"format": "pt", "class_names": `["a","b"]`}},
	{"matrix and vector", []Tensor{
		{Name: "fc.weight", Shape: []int{2, 3}, F32: []float32{1, -2, 3.5, float32(math.Inf(1)), 0, -0.25}},
		{Name: "fc.bias", Shape: []int{2}, F32: []float32{0.125, 7}},
	}, map[string]string{"format": "pt"}},
	{"int64 scalar and empty tensor", []Tensor{
		{Name: "bn.num_batches_tracked", Shape: []int{}, I64: []int64{-3}},
		{Name: "empty", Shape: []int{0, 4}, F32: []float32{}},
		{Name: "x", Shape: []int{1, 1, 1}, F32: []float32{math.MaxFloat32}},
	}, nil},
	{"unicode names", []Tensor{{Name: "größe.\"quoted\"", Shape: []int{1}, F32: []float32{2}}}, map[string]string{"ü": "\n"}},
}

func TestSafetensorsRoundTrip(t *testing.T) {
	for _, tc := range safetensorsSets {
		t.Run(tc.name, func(t *testing.T) {
			b, err := EncodeSafetensors(tc.tensors, tc.metadata)
			if err != nil {
				t.Fatal(err)
			}
			n := binary.LittleEndian.Uint64(b)
			if n%8 != 0 || b[8] != '{' {
				t.Errorf("header of %d bytes starting %q: want a multiple of 8 starting with {", n, b[8])
			}
			var header map[string]json.RawMessage
			if err := json.Unmarshal(b[8:8+n], &header); err != nil {
				t.Fatalf("header is not JSON: %v", err)
			}
			if want := len(tc.tensors) + min(len(tc.metadata), 1); len(header) != want {
				t.Errorf("header has %d entries, want %d", len(header), want)
			}
			f, err := ParseSafetensors(b)
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.metadata) > 0 && !reflect.DeepEqual(f.Metadata, tc.metadata) {
				t.Errorf("metadata %v, want %v", f.Metadata, tc.metadata)
			}
			if len(f.Tensors) != len(tc.tensors) {
				t.Fatalf("%d tensors, want %d", len(f.Tensors), len(tc.tensors))
			}
			for i, want := range tc.tensors {
				if got := f.Tensors[i]; !reflect.DeepEqual(got, want) {
					t.Errorf("tensor %d: %+v, want %+v", i, got, want)
				}
			}
		})
	}
}

// TestSafetensorsLayout pins the bytes of a small file: the header length,
// the JSON entries in order and the little-endian data.
func TestSafetensorsLayout(t *testing.T) {
	b, err := EncodeSafetensors([]Tensor{
		{Name: "w", Shape: []int{2}, F32: []float32{1, -2}},
		{Name: "n", Shape: []int{}, I64: []int64{5}},
	}, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	header := `{"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"n":{"dtype":"I64","shape":[],"data_offsets":[8,16]}}`
	for len(header)%8 != 0 {
		header += " "
	}
	want := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	want = append(want, header...)
	want = append(want, 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0) // 1.0f, -2.0f
	want = append(want, 5, 0, 0, 0, 0, 0, 0, 0)
	if !bytes.Equal(b, want) {
		t.Errorf("got\n%q\nwant\n%q", b, want)
	}
}

func TestEncodeSafetensorsErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tensors []Tensor
		want    string
	}{
		{"repeated name", []Tensor{{Name: "a", Shape: []int{1}, F32: []float32{1}}, {Name: "a", Shape: []int{1}, F32: []float32{1}}}, `"a" is repeated`},
		{"reserved name", []Tensor{{Name: MetadataKey, Shape: []int{1}, F32: []float32{1}}}, "reserved"},
		{"too few values", []Tensor{{Name: "a", Shape: []int{2, 2}, F32: []float32{1}}}, "needs 4 values"},
		{"no dtype", []Tensor{{Name: "a", Shape: []int{}}}, "of one dtype"},
		{"two dtypes", []Tensor{{Name: "a", Shape: []int{1}, F32: []float32{1}, I64: []int64{1}}}, "of one dtype"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := EncodeSafetensors(tc.tensors, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// rawSafetensors builds a file from a header text and n data bytes.
func rawSafetensors(header string, n int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), make([]byte, n)...)
}

func TestParseSafetensorsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"short", []byte{1, 2, 3}, "shorter than the 8-byte"},
		{"header past the end", binary.LittleEndian.AppendUint64(nil, 100), "does not fit"},
		{"huge header length", binary.LittleEndian.AppendUint64(nil, math.MaxUint64), "does not fit"},
		{"not JSON", rawSafetensors("{nope", 0), "not a JSON object"},
		{"JSON array", rawSafetensors("[1]", 0), "not a JSON object"},
		{"null", rawSafetensors("null", 0), "not a JSON object"},
		{"metadata not strings", rawSafetensors(`{"__metadata__":{"a":1}}`, 0), "not an object of strings"},
		{"entry not an object", rawSafetensors(`{"a":3}`, 0), `tensor "a"`},
		{"unknown dtype", rawSafetensors(`{"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}`, 2), `dtype "F16"`},
		{"offsets reversed", rawSafetensors(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}`, 4), "outside"},
		{"offsets past the data", rawSafetensors(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}`, 4), "outside"},
		{"one offset", rawSafetensors(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}`, 4), "outside"},
		{"negative dim", rawSafetensors(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4), "negative"},
		{"huge shape", rawSafetensors(`{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}`, 4), "larger than the file"},
		{"size mismatch", rawSafetensors(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4), "needs 8 bytes"},
		{"gap", rawSafetensors(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), "gap or an overlap"},
		{"overlap", rawSafetensors(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4), "gap or an overlap"},
		{"trailing bytes", rawSafetensors(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 8), "cover 4 of the 8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSafetensors(tc.file)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestParseSafetensorsFixture reads testdata/export/tiny.safetensors,
// written by the reference implementation's layout rules (header sorted,
// unpadded), which this reader must accept.
func TestParseSafetensorsFixture(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "export", "tiny.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseSafetensors(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []Tensor{
		{Name: "bn.num_batches_tracked", Shape: []int{}, I64: []int64{42}},
		{Name: "fc.weight", Shape: []int{2, 2}, F32: []float32{1, 2, 3, 4}},
	}
	if !reflect.DeepEqual(f.Tensors, want) || f.Metadata["format"] != "pt" {
		t.Errorf("got %+v %v, want %+v and format pt", f.Tensors, f.Metadata, want)
	}
}

// FuzzParseSafetensors: the reader never panics, and what it accepts
// encodes back to a file it reads the same.
func FuzzParseSafetensors(f *testing.F) {
	for _, tc := range safetensorsSets {
		b, err := EncodeSafetensors(tc.tensors, tc.metadata)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(rawSafetensors(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"I64","shape":[],"data_offsets":[4,12]}}`, 12))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSafetensors(b)
		if err != nil {
			return
		}
		again, err := EncodeSafetensors(s.Tensors, s.Metadata)
		if err != nil {
			t.Fatalf("re-encoding what was read: %v", err)
		}
		s2, err := ParseSafetensors(again)
		if err != nil {
			t.Fatalf("reading the re-encoded file: %v", err)
		}
		if len(s.Metadata) == 0 {
			s.Metadata = nil // an empty metadata object is not written
		}
		if !sameFile(s, s2) {
			t.Fatalf("round trip changed the file: %+v became %+v", s, s2)
		}
	})
}

// sameFile compares two decoded files bit for bit (NaN payloads included).
func sameFile(a, b *SafetensorsFile) bool {
	if !reflect.DeepEqual(a.Metadata, b.Metadata) || len(a.Tensors) != len(b.Tensors) {
		return false
	}
	for i, t := range a.Tensors {
		u := b.Tensors[i]
		if t.Name != u.Name || !reflect.DeepEqual(t.Shape, u.Shape) || !reflect.DeepEqual(t.I64, u.I64) || len(t.F32) != len(u.F32) {
			return false
		}
		for j, v := range t.F32 {
			if math.Float32bits(v) != math.Float32bits(u.F32[j]) {
				return false
			}
		}
	}
	return true
}
