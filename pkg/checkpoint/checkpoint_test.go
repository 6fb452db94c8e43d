package checkpoint

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func nanPayload(bits uint32) float32 { return math.Float32frombits(bits) }

func sampleFile() *File {
	return &File{
		Tensors: []Tensor{
			{Name: "fc1.weight", Shape: []int{2, 3}, Data: []float32{1, -2, 3.5, 0, 1e-30, -1e30}},
			{Name: "fc1.bias", Shape: []int{2}, Data: []float32{0.25, -0.5}},
			{Name: "step", Shape: []int{}, Data: []float32{42}},
		},
		Metadata: map[string]string{"epoch": "3", "model": "mlp"},
	}
}

func encode(t testing.TB, f *File) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, f); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return buf.Bytes()
}

func equalFiles(t *testing.T, want, got *File) {
	t.Helper()
	if len(want.Tensors) != len(got.Tensors) {
		t.Fatalf("got %d tensors, want %d", len(got.Tensors), len(want.Tensors))
	}
	for i, w := range want.Tensors {
		g := got.Tensors[i]
		if g.Name != w.Name || !slices.Equal(g.Shape, w.Shape) || len(g.Data) != len(w.Data) {
			t.Fatalf("tensor %d: got %q %v len %d, want %q %v len %d", i, g.Name, g.Shape, len(g.Data), w.Name, w.Shape, len(w.Data))
		}
		for j := range w.Data {
			if math.Float32bits(g.Data[j]) != math.Float32bits(w.Data[j]) {
				t.Fatalf("tensor %q[%d]: got bits %#x, want %#x", w.Name, j, math.Float32bits(g.Data[j]), math.Float32bits(w.Data[j]))
			}
		}
	}
	if len(got.Metadata) != len(want.Metadata) {
		t.Fatalf("metadata: got %v, want %v", got.Metadata, want.Metadata)
	}
	for k, v := range want.Metadata {
		if got.Metadata[k] != v {
			t.Fatalf("metadata %q: got %q, want %q", k, got.Metadata[k], v)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	tests := []struct {
		name string
		f    *File
	}{
		{"sample", sampleFile()},
		{"empty file", &File{}},
		{"scalar only", &File{Tensors: []Tensor{{Name: "x", Shape: []int{}, Data: []float32{-1}}}}},
		{"empty tensors", &File{Tensors: []Tensor{
			{Name: "e0", Shape: []int{0}},
			{Name: "a", Shape: []int{1}, Data: []float32{7}},
			{Name: "e1", Shape: []int{2, 0, 3}, Data: []float32{}},
			{Name: "e2", Shape: []int{0}},
		}}},
		{"special floats", &File{Tensors: []Tensor{{Name: "s", Shape: []int{2, 4}, Data: []float32{
			float32(math.NaN()), nanPayload(0x7fc00001), nanPayload(0xffbfffff), nanPayload(0x7f800001),
			float32(math.Inf(1)), float32(math.Inf(-1)), negZero, math.SmallestNonzeroFloat32,
		}}}}},
		{"odd names and metadata", &File{
			Tensors: []Tensor{
				{Name: `we"ird\name`, Shape: []int{1}, Data: []float32{1}},
				{Name: "ünï<cø>de&\u2028", Shape: []int{1, 1, 1}, Data: []float32{2}},
				{Name: "ctl\x00\x01\n\t", Shape: []int{1}, Data: []float32{3}},
			},
			Metadata: map[string]string{"": "empty key", "json": `{"a":[1,2]}`, "nl": "a\nb\r\t\x7f", "uni": "日本"},
		}},
		{"large", &File{Tensors: []Tensor{{Name: "big", Shape: []int{100, 300}, Data: make([]float32, 30000)}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := encode(t, tc.f)
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			equalFiles(t, tc.f, got)
			if again := encode(t, got); !bytes.Equal(again, b) {
				t.Fatal("re-encoding the decoded file gives different bytes")
			}
			path := filepath.Join(t.TempDir(), "sub", "dir", "x.ckpt")
			if err := Save(path, tc.f); err != nil {
				t.Fatalf("Save: %v", err)
			}
			if disk, _ := os.ReadFile(path); !bytes.Equal(disk, b) {
				t.Fatal("Save wrote different bytes than Encode")
			}
			loaded, err := Load(path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			equalFiles(t, tc.f, loaded)
		})
	}
}

func TestEncodeDoesNotModifyInput(t *testing.T) {
	f := sampleFile()
	encode(t, f)
	if len(f.Metadata) != 2 {
		t.Fatalf("Encode modified the caller's metadata: %v", f.Metadata)
	}
}

func TestTensorLookup(t *testing.T) {
	f := sampleFile()
	tt, ok := f.Tensor("fc1.bias")
	if !ok || tt.Name != "fc1.bias" || tt.Data[1] != -0.5 {
		t.Fatalf("Tensor(fc1.bias) = %v, %v", tt, ok)
	}
	tt.Data[0] = 9 // pointer into the file
	if f.Tensors[1].Data[0] != 9 {
		t.Fatal("Tensor does not return a pointer into File.Tensors")
	}
	if _, ok := f.Tensor("nope"); ok {
		t.Fatal("Tensor(nope) found something")
	}
	if _, ok := (*File)(nil).Tensor("x"); ok {
		t.Fatal("nil File found something")
	}
}

func TestEncodeValidation(t *testing.T) {
	one := []float32{1}
	tests := []struct {
		name string
		f    *File
		want string
	}{
		{"nil", nil, "nil *File"},
		{"empty name", &File{Tensors: []Tensor{{Name: "", Shape: []int{1}, Data: one}}}, "empty name"},
		{"reserved name", &File{Tensors: []Tensor{{Name: "__metadata__", Shape: []int{1}, Data: one}}}, "reserved"},
		{"duplicate", &File{Tensors: []Tensor{{Name: "a", Shape: []int{1}, Data: one}, {Name: "a", Shape: []int{1}, Data: one}}}, `duplicate tensor name "a"`},
		{"bad utf8 name", &File{Tensors: []Tensor{{Name: "a\xff", Shape: []int{1}, Data: one}}}, "UTF-8"},
		{"len mismatch", &File{Tensors: []Tensor{{Name: "a", Shape: []int{2, 3}, Data: one}}}, "shape [2 3] has 6 elements but len(Data) is 1"},
		{"scalar without data", &File{Tensors: []Tensor{{Name: "a", Shape: []int{}}}}, "has 1 elements but len(Data) is 0"},
		{"negative dim", &File{Tensors: []Tensor{{Name: "a", Shape: []int{-1, -1}, Data: one}}}, "invalid shape"},
		{"overflow", &File{Tensors: []Tensor{{Name: "a", Shape: []int{1 << 40, 1 << 40}, Data: one}}}, "invalid shape"},
		{"reserved format", &File{Metadata: map[string]string{"format": "x"}}, `metadata key "format" is reserved`},
		{"reserved version", &File{Metadata: map[string]string{"format_version": "1"}}, `"format_version" is reserved`},
		{"reserved checksum", &File{Metadata: map[string]string{"checksum": "x"}}, `"checksum" is reserved`},
		{"bad utf8 metadata", &File{Metadata: map[string]string{"k": "\xc3"}}, "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Encode(&bytes.Buffer{}, tc.f)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Encode error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestSaveAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "best.ckpt")
	first := sampleFile()
	if err := Save(path, first); err != nil {
		t.Fatal(err)
	}
	second := sampleFile()
	second.Metadata["epoch"] = "4"
	second.Tensors[0].Data[0] = 100
	if err := Save(path, second); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	equalFiles(t, second, got)
	old, _ := os.ReadFile(path)

	bad := sampleFile()
	bad.Tensors[1].Data = bad.Tensors[1].Data[:1]
	err = Save(path, bad)
	if err == nil || !strings.HasPrefix(err.Error(), "checkpoint "+path+": ") {
		t.Fatalf("Save of an invalid File: err = %v", err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, old) {
		t.Fatal("a failed Save changed the existing file")
	}
	if names := listDir(t, dir); !slices.Equal(names, []string{"best.ckpt"}) {
		t.Fatalf("directory after failed Save: %v", names)
	}

	// A failure after the temp file was written (the target is a non-empty
	// directory, so the rename fails) must not leave the temp file behind.
	target := filepath.Join(dir, "blocked")
	if err := os.MkdirAll(filepath.Join(target, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Save(target, first); err == nil {
		t.Fatal("Save over a directory succeeded")
	}
	if names := listDir(t, dir); !slices.Equal(names, []string{"best.ckpt", "blocked"}) {
		t.Fatalf("directory after failed rename: %v", names)
	}
}

func TestLoadErrorsNamePath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x", "best.ckpt")
	if _, err := Load(path); err == nil || !strings.HasPrefix(err.Error(), "checkpoint "+path+": ") {
		t.Fatalf("Load of a missing file: %v", err)
	}
	if err := Save(path, sampleFile()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	b[len(b)-1] ^= 1
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	want := "checkpoint " + path + ": checksum mismatch: the file is corrupt or was modified"
	if err == nil || err.Error() != want {
		t.Fatalf("Load of a corrupt file: %v, want %q", err, want)
	}
}

func TestEveryByteFlipIsDetected(t *testing.T) {
	f := sampleFile()
	f.Tensors = append(f.Tensors, Tensor{Name: "empty", Shape: []int{0, 2}})
	b := encode(t, f)
	for _, mut := range []struct {
		name string
		fn   func(byte) byte
	}{{"xor ff", func(c byte) byte { return c ^ 0xff }}, {"+1", func(c byte) byte { return c + 1 }}, {"xor 20", func(c byte) byte { return c ^ 0x20 }}} {
		for i := range b {
			c := bytes.Clone(b)
			c[i] = mut.fn(c[i])
			if got, err := Decode(c); err == nil {
				t.Fatalf("%s at byte %d of %d: Decode succeeded: %+v", mut.name, i, len(b), got)
			}
		}
	}
}

func TestTruncationIsDetected(t *testing.T) {
	b := encode(t, sampleFile())
	for n := 0; n < len(b); n++ {
		if _, err := Decode(b[:n]); err == nil {
			t.Fatalf("Decode of the first %d of %d bytes succeeded", n, len(b))
		}
	}
	if _, err := Decode(append(bytes.Clone(b), 0)); err == nil {
		t.Fatal("Decode with an extra trailing byte succeeded")
	}
}

// rawFile builds a file from a header (padded to alignment) and data.
func rawFile(header string, data []byte) []byte {
	for (8+len(header))%8 != 0 {
		header += " "
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

// withChecksum computes the checksum a hand-built file needs.
func withChecksum(entries []entry, meta map[string]string, data []byte) string {
	h := sha256.New()
	hashTable(h, entries, meta, uint64(len(data)))
	h.Write(data)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func TestDecodeErrors(t *testing.T) {
	valid := encode(t, sampleFile())
	data8 := make([]byte, 8)
	meta := func(extra string) string {
		return `{"__metadata__":{"format":"nettrain-checkpoint","format_version":"1"` + extra + `}`
	}
	hdr := func(entries string) string { return meta("") + entries + "}" }
	tensor := func(name, dtype, shape string, b, e int) string {
		return `,"` + name + `":{"dtype":"` + dtype + `","shape":` + shape + `,"data_offsets":[` + itoa(b) + `,` + itoa(e) + `]}`
	}
	// A correctly checksummed but non-canonical file (extra padding).
	ents := []entry{{name: "a", dtype: "F32", shape: []int{2}, begin: 0, end: 8}}
	m := map[string]string{"format": Format, "format_version": "1"}
	sum := withChecksum(ents, m, data8)
	canon := `{"__metadata__":{"checksum":"` + sum + `","format":"nettrain-checkpoint","format_version":"1"}` + tensor("a", "F32", "[2]", 0, 8) + "}"
	if _, err := Decode(rawFile(canon, data8)); err != nil {
		t.Fatalf("hand-built canonical file: %v", err)
	}
	reordered := meta(`,"checksum":"`+sum+`"`) + tensor("a", "F32", "[2]", 0, 8) + "}"

	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "file is too short (0 bytes): not a checkpoint"},
		{"7 bytes", valid[:7], "file is too short (7 bytes)"},
		{"absurd header", binary.LittleEndian.AppendUint64(nil, 1<<62), "header length 4611686018427387904 is absurdly large"},
		{"header past end", append(binary.LittleEndian.AppendUint64(nil, 100), "{}"...), "header length 100 exceeds the file size (10 bytes)"},
		{"not json", rawFile("hello", nil), "header is not valid JSON"},
		{"not object", rawFile("[1,2]", nil), "header is not valid JSON: not an object"},
		{"truncated json", rawFile(`{"__metadata__":{`, nil), "header is not valid JSON"},
		{"trailing garbage", rawFile(hdr("")+"x", nil), "header is not valid JSON: trailing data after the JSON object"},
		{"trailing newline", rawFile(hdr("")+"\n", nil), "header is not valid JSON: trailing data"},
		{"second object", rawFile(hdr("")+"{}", nil), "trailing data"},
		{"invalid utf8", rawFile("{\"\xff\":1}", nil), "header is not valid JSON: invalid UTF-8"},
		{"duplicate key", rawFile(meta("")+tensor("a", "F32", "[]", 0, 4)+tensor("a", "F32", "[]", 4, 8)+"}", data8), `duplicate key "a"`},
		{"no metadata", rawFile(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, data8[:4]), "not a nettrain checkpoint (no __metadata__ in the header)"},
		{"metadata not strings", rawFile(`{"__metadata__":{"format":1}}`, nil), "not a nettrain checkpoint (__metadata__ is not a map of strings)"},
		{"no format", rawFile(`{"__metadata__":{"x":"y"}}`, nil), `not a nettrain checkpoint (no "format" in __metadata__)`},
		{"wrong format", rawFile(`{"__metadata__":{"format":"pt"}}`, nil), `not a nettrain checkpoint (format is "pt", want "nettrain-checkpoint")`},
		{"no version", rawFile(`{"__metadata__":{"format":"nettrain-checkpoint"}}`, nil), "missing format_version"},
		{"bad version", rawFile(`{"__metadata__":{"format":"nettrain-checkpoint","format_version":"1.0"}}`, nil), `invalid format_version "1.0"`},
		{"newer version", rawFile(`{"__metadata__":{"format":"nettrain-checkpoint","format_version":"2"}}`, nil),
			"written by a newer nettrain (format version 2; this build reads version 1): upgrade nettrain"},
		{"older version", rawFile(`{"__metadata__":{"format":"nettrain-checkpoint","format_version":"0"}}`, nil),
			"written in an older checkpoint format (format version 0) that this build cannot read"},
		{"entry not object", rawFile(hdr(`,"a":[1]`), nil), `invalid header: tensor "a"`},
		{"entry unknown field", rawFile(hdr(`,"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"x":1}`), data8[:4]), `invalid header: tensor "a"`},
		{"entry missing offsets", rawFile(hdr(`,"a":{"dtype":"F32","shape":[]}`), nil), "missing data_offsets"},
		{"fractional dim", rawFile(hdr(tensor("a", "F32", "[1.5]", 0, 4)), data8[:4]), `shape dimension "1.5" is not an integer`},
		{"negative offset", rawFile(hdr(`,"a":{"dtype":"F32","shape":[],"data_offsets":[-4,0]}`), nil), `data offset "-4"`},
		{"wrong dtype", rawFile(hdr(tensor("a", "F16", "[2]", 0, 4)), data8[:4]), `tensor "a": unsupported dtype "F16" (only F32 is supported)`},
		{"negative dim", rawFile(hdr(tensor("a", "F32", "[-2]", 0, 8)), data8), `tensor "a": shape [-2] has a negative dimension`},
		{"count mismatch", rawFile(hdr(tensor("a", "F32", "[3]", 0, 8)), data8), `tensor "a": shape [3] does not match data_offsets [0,8] (8 bytes)`},
		{"huge shape", rawFile(hdr(tensor("a", "F32", "[4294967296,4294967296]", 0, 8)), data8), "does not match data_offsets"},
		{"gap", rawFile(hdr(tensor("a", "F32", "[]", 4, 8)), data8), `tensor "a": data_offsets [4,8] leave a gap after the previous tensor (expected begin 0)`},
		{"overlap", rawFile(hdr(tensor("a", "F32", "[2]", 0, 8)+tensor("b", "F32", "[]", 4, 8)), data8), `tensor "b": data_offsets [4,8] overlap the previous tensor or are out of order`},
		{"out of order", rawFile(hdr(tensor("a", "F32", "[]", 4, 8)+tensor("b", "F32", "[]", 0, 4)), data8), `tensor "a": data_offsets [4,8] leave a gap`},
		{"reversed", rawFile(hdr(tensor("a", "F32", "[]", 8, 4)), data8), `tensor "a": data_offsets [8,4] are reversed`},
		{"data too long", rawFile(hdr(tensor("a", "F32", "[]", 0, 4)), data8), "data section is 8 bytes but the tensors cover 4 bytes"},
		{"data too short", rawFile(hdr(tensor("a", "F32", "[2]", 0, 8)), data8[:4]), "data section is 4 bytes but the tensors cover 8 bytes"},
		{"no checksum", rawFile(hdr(tensor("a", "F32", "[2]", 0, 8)), data8), "missing checksum"},
		{"wrong checksum", rawFile(meta(`,"checksum":"sha256:00"`)+tensor("a", "F32", "[2]", 0, 8)+"}", data8), "checksum mismatch: the file is corrupt or was modified"},
		{"data modified", rawFile(canon, []byte{0, 0, 0, 0, 0, 0, 0, 1}), "checksum mismatch"},
		{"extra padding", rawFile(canon+"        ", data8), "header is not in canonical form"},
		{"key order", rawFile(reordered, data8), "header is not in canonical form"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Decode(tc.b)
			if err == nil {
				t.Fatalf("Decode succeeded: %+v", f)
			}
			if !strings.HasPrefix(err.Error(), "checkpoint: ") || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Decode error = %q, want a one-line error containing %q", err, tc.want)
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestSafetensorsLayout checks the encoding against the safetensors spec
// with an independent parser.
func TestSafetensorsLayout(t *testing.T) {
	f := sampleFile()
	f.Tensors = append(f.Tensors, Tensor{Name: "z", Shape: []int{0}})
	b := encode(t, f)
	n := binary.LittleEndian.Uint64(b)
	if (8+n)%8 != 0 {
		t.Fatalf("data section starts at %d, not 8-byte aligned", 8+n)
	}
	header := b[8 : 8+n]
	if header[0] != '{' {
		t.Fatal("header does not start with '{'")
	}
	if trimmed := bytes.TrimRight(header, " "); trimmed[len(trimmed)-1] != '}' {
		t.Fatal("header is not a JSON object padded with spaces")
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(header, &h); err != nil {
		t.Fatal(err)
	}
	var meta map[string]string
	if err := json.Unmarshal(h["__metadata__"], &meta); err != nil {
		t.Fatal(err)
	}
	if meta["format"] != Format || meta["format_version"] != "1" || !strings.HasPrefix(meta["checksum"], "sha256:") || len(meta["checksum"]) != 7+64 || meta["epoch"] != "3" {
		t.Fatalf("metadata = %v", meta)
	}
	if len(h) != len(f.Tensors)+1 {
		t.Fatalf("header has %d keys, want %d", len(h), len(f.Tensors)+1)
	}
	data := b[8+n:]
	var end uint64
	for _, want := range f.Tensors {
		var e struct {
			Dtype       string   `json:"dtype"`
			Shape       []int    `json:"shape"`
			DataOffsets []uint64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(h[want.Name], &e); err != nil {
			t.Fatal(err)
		}
		if e.Dtype != "F32" || !slices.Equal(e.Shape, want.Shape) || e.Shape == nil || len(e.DataOffsets) != 2 {
			t.Fatalf("%s: entry %+v", want.Name, e)
		}
		if e.DataOffsets[0] != end || e.DataOffsets[1]-e.DataOffsets[0] != uint64(4*len(want.Data)) {
			t.Fatalf("%s: data_offsets %v, want [%d,%d]", want.Name, e.DataOffsets, end, end+uint64(4*len(want.Data)))
		}
		for i, v := range want.Data {
			if got := binary.LittleEndian.Uint32(data[e.DataOffsets[0]+uint64(4*i):]); got != math.Float32bits(v) {
				t.Fatalf("%s[%d]: bytes %#x, want %#x", want.Name, i, got, math.Float32bits(v))
			}
		}
		end = e.DataOffsets[1]
	}
	if end != uint64(len(data)) {
		t.Fatalf("data section is %d bytes, tensors cover %d", len(data), end)
	}
	// Tensor order in the header is the File's order.
	var order []string
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.Token()
	for dec.More() {
		tok, _ := dec.Token()
		order = append(order, tok.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	if !slices.Equal(order, []string{"__metadata__", "fc1.weight", "fc1.bias", "step", "z"}) {
		t.Fatalf("header key order %v", order)
	}
}
