package checkpoint

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Format is the value of the reserved metadata key "format" that marks a
// file as a nettrain checkpoint.
const Format = "nettrain-checkpoint"

// Version is the on-disk format version written by this build (the value of
// the reserved metadata key "format_version") and the only version it reads.
const Version = 1

// Reserved metadata keys. Save and Encode set them; callers must not.
const (
	// KeyFormat is the reserved metadata key holding Format.
	KeyFormat = "format"
	// KeyFormatVersion is the reserved metadata key holding Version in decimal.
	KeyFormatVersion = "format_version"
	// KeyChecksum is the reserved metadata key holding "sha256:<hex>".
	KeyChecksum = "checksum"
)

// MaxHeaderLen is the largest JSON header accepted (the same limit as the
// safetensors reference implementation).
const MaxHeaderLen = 100_000_000

const (
	dtypeF32    = "F32"
	metadataKey = "__metadata__"
	checksumPfx = "sha256:"
	chunkFloats = 8192
)

// Tensor is one named float32 array. Shape is row-major (e.g. (out,in) for a
// linear weight); an empty Shape denotes a scalar with exactly one element.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// File is the content of a checkpoint: tensors in a fixed order and string
// metadata. After Load/Decode, Metadata holds only the caller's own keys (the
// reserved keys "format", "format_version" and "checksum" are verified and
// removed) and is never nil.
type File struct {
	Tensors  []Tensor
	Metadata map[string]string
}

// Tensor returns a pointer to the tensor called name (so it can be modified
// in place) and whether it exists.
func (f *File) Tensor(name string) (*Tensor, bool) {
	if f == nil {
		return nil, false
	}
	for i := range f.Tensors {
		if f.Tensors[i].Name == name {
			return &f.Tensors[i], true
		}
	}
	return nil, false
}

// entry is one row of the tensor table as stored in the header.
type entry struct {
	name       string
	dtype      string
	shape      []int
	begin, end uint64
}

// plan is a validated File ready to be written.
type plan struct {
	f       *File
	entries []entry
	meta    map[string]string // caller keys + format + format_version (no checksum)
	dataLen uint64
}

// prepare validates f and computes the tensor table.
func prepare(f *File) (*plan, error) {
	if f == nil {
		return nil, errors.New("nil *File")
	}
	p := &plan{f: f, entries: make([]entry, len(f.Tensors)), meta: make(map[string]string, len(f.Metadata)+3)}
	seen := make(map[string]bool, len(f.Tensors))
	var off uint64
	for i := range f.Tensors {
		t := &f.Tensors[i]
		switch {
		case t.Name == "":
			return nil, fmt.Errorf("tensor #%d has an empty name", i)
		case t.Name == metadataKey:
			return nil, fmt.Errorf("tensor #%d: the name %q is reserved", i, metadataKey)
		case !utf8.ValidString(t.Name):
			return nil, fmt.Errorf("tensor #%d: name %q is not valid UTF-8", i, t.Name)
		case seen[t.Name]:
			return nil, fmt.Errorf("duplicate tensor name %q", t.Name)
		}
		seen[t.Name] = true
		n, ok := numElements(t.Shape)
		if !ok {
			return nil, fmt.Errorf("tensor %q: invalid shape %v (negative dimension or too many elements)", t.Name, t.Shape)
		}
		if n != len(t.Data) {
			return nil, fmt.Errorf("tensor %q: shape %v has %d elements but len(Data) is %d", t.Name, t.Shape, n, len(t.Data))
		}
		size := uint64(n) * 4
		p.entries[i] = entry{name: t.Name, dtype: dtypeF32, shape: t.Shape, begin: off, end: off + size}
		off += size
	}
	p.dataLen = off
	for k, v := range f.Metadata {
		switch k {
		case KeyFormat, KeyFormatVersion, KeyChecksum:
			return nil, fmt.Errorf("metadata key %q is reserved", k)
		}
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, fmt.Errorf("metadata %q=%q is not valid UTF-8", k, v)
		}
		p.meta[k] = v
	}
	p.meta[KeyFormat] = Format
	p.meta[KeyFormatVersion] = strconv.Itoa(Version)
	return p, nil
}

// numElements returns the product of shape, or false if a dimension is
// negative or the product overflows.
func numElements(shape []int) (int, bool) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
	}
	if slices.Contains(shape, 0) {
		return 0, true
	}
	for _, d := range shape {
		if n > math.MaxInt/4/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// hashTable writes the canonical serialization of everything except the raw
// data bytes to h (see the package documentation); the caller then writes the
// data section.
func hashTable(h io.Writer, entries []entry, meta map[string]string, dataLen uint64) {
	var buf []byte
	u64 := func(v uint64) { buf = binary.LittleEndian.AppendUint64(buf, v) }
	str := func(s string) { u64(uint64(len(s))); buf = append(buf, s...) }
	u64(uint64(len(entries)))
	for _, e := range entries {
		str(e.name)
		str(e.dtype)
		u64(uint64(len(e.shape)))
		for _, d := range e.shape {
			u64(uint64(d))
		}
		u64(e.begin)
		u64(e.end)
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		if k != KeyChecksum {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	u64(uint64(len(keys)))
	for _, k := range keys {
		str(k)
		str(meta[k])
	}
	u64(dataLen)
	h.Write(buf)
}

// writeData streams the tensors' little-endian bytes to w.
func (p *plan) writeData(w io.Writer) error {
	buf := make([]byte, 4*chunkFloats)
	for _, t := range p.f.Tensors {
		for d := t.Data; len(d) > 0; {
			n := min(len(d), chunkFloats)
			for i, v := range d[:n] {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
			}
			if _, err := w.Write(buf[:4*n]); err != nil {
				return err
			}
			d = d[n:]
		}
	}
	return nil
}

// checksum computes "sha256:<hex>" for the plan.
func (p *plan) checksum() string {
	h := sha256.New()
	hashTable(h, p.entries, p.meta, p.dataLen)
	p.writeData(h) // hash.Hash.Write never fails
	return checksumPfx + hex.EncodeToString(h.Sum(nil))
}

// buildPrefix returns the 8-byte length followed by the padded JSON header.
// meta must contain every key to be written, including the checksum.
func buildPrefix(entries []entry, meta map[string]string) []byte {
	b := make([]byte, 8, 256)
	b = append(b, `{"`+metadataKey+`":{`...)
	keys := slices.Sorted(maps.Keys(meta))
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, meta[k])
	}
	b = append(b, '}')
	for _, e := range entries {
		b = append(b, ',')
		b = appendJSONString(b, e.name)
		b = append(b, `:{"dtype":`...)
		b = appendJSONString(b, e.dtype)
		b = append(b, `,"shape":[`...)
		for i, d := range e.shape {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(d), 10)
		}
		b = append(b, `],"data_offsets":[`...)
		b = strconv.AppendUint(b, e.begin, 10)
		b = append(b, ',')
		b = strconv.AppendUint(b, e.end, 10)
		b = append(b, "]}"...)
	}
	b = append(b, '}')
	for len(b)%8 != 0 {
		b = append(b, ' ')
	}
	binary.LittleEndian.PutUint64(b, uint64(len(b)-8))
	return b
}

// appendJSONString appends s as a JSON string, escaping only what JSON
// requires (quote, backslash, control characters). s must be valid UTF-8.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// encode writes a validated plan to w.
func (p *plan) encode(w io.Writer) error {
	meta := maps.Clone(p.meta)
	meta[KeyChecksum] = p.checksum()
	prefix := buildPrefix(p.entries, meta)
	if len(prefix)-8 > MaxHeaderLen {
		return fmt.Errorf("header is %d bytes, more than the limit of %d", len(prefix)-8, MaxHeaderLen)
	}
	if _, err := w.Write(prefix); err != nil {
		return err
	}
	return p.writeData(w)
}

// Encode validates f and writes its checkpoint encoding to w: exactly the
// bytes Save writes. The reserved metadata keys are added; f is not modified.
// The encoding is deterministic.
func Encode(w io.Writer, f *File) error {
	p, err := prepare(f)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := p.encode(w); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// Save atomically writes f to path, creating parent directories as needed
// (see WriteAtomic): path always holds either the old content or the
// complete new content.
func Save(path string, f *File) error {
	p, err := prepare(f)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if err := WriteAtomic(path, p.encode); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return nil
}

// Load reads and verifies the checkpoint at path (see Decode). Errors are
// prefixed with "checkpoint <path>: ".
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	f, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return f, nil
}

// Decode parses and fully verifies a checkpoint encoding: layout, format and
// version, dtypes, shapes, offsets, checksum, and that the header is exactly
// the canonical one Encode writes (so Encode(Decode(b)) == b). It never
// panics and allocates O(len(b)). The returned tensors do not alias b.
func Decode(b []byte) (*File, error) {
	f, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return f, nil
}

type rawEntry struct {
	name string
	raw  json.RawMessage
}

func decode(b []byte) (*File, error) {
	// 1. Length prefix.
	if len(b) < 8 {
		return nil, fmt.Errorf("file is too short (%d bytes): not a checkpoint", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > MaxHeaderLen {
		return nil, fmt.Errorf("header length %d is absurdly large (limit %d): not a checkpoint or corrupt", n, MaxHeaderLen)
	}
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("header length %d exceeds the file size (%d bytes): truncated or corrupt", n, len(b))
	}
	header := b[8 : 8+n]
	data := b[8+n:]

	// 2. JSON syntax: one object, keys in order, then only spaces.
	if !utf8.Valid(header) {
		return nil, errors.New("header is not valid JSON: invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("header is not valid JSON: %v", jsonErr(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("header is not valid JSON: not an object")
	}
	var (
		rawMeta    json.RawMessage
		hasMeta    bool
		rawEntries []rawEntry
		seen       = map[string]bool{}
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("header is not valid JSON: %v", jsonErr(err))
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("header is not valid JSON: expected an object key")
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("header is not valid JSON: %v", jsonErr(err))
		}
		if seen[key] {
			return nil, fmt.Errorf("header is not valid JSON: duplicate key %q", key)
		}
		seen[key] = true
		if key == metadataKey {
			rawMeta, hasMeta = raw, true
		} else {
			rawEntries = append(rawEntries, rawEntry{key, raw})
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, fmt.Errorf("header is not valid JSON: %v", jsonErr(err))
	}
	if rest := header[dec.InputOffset():]; len(bytes.TrimRight(rest, " ")) != 0 {
		return nil, errors.New("header is not valid JSON: trailing data after the JSON object")
	}

	// 3. Format.
	var meta map[string]string
	if !hasMeta {
		return nil, errors.New("not a nettrain checkpoint (no __metadata__ in the header)")
	}
	if err := json.Unmarshal(rawMeta, &meta); err != nil || meta == nil {
		return nil, errors.New("not a nettrain checkpoint (__metadata__ is not a map of strings)")
	}
	if format, ok := meta[KeyFormat]; !ok {
		return nil, errors.New("not a nettrain checkpoint (no \"format\" in __metadata__)")
	} else if format != Format {
		return nil, fmt.Errorf("not a nettrain checkpoint (format is %q, want %q)", format, Format)
	}

	// 4. Version.
	vs, ok := meta[KeyFormatVersion]
	if !ok {
		return nil, errors.New("missing format_version in __metadata__")
	}
	v, err := strconv.ParseInt(vs, 10, 64)
	if err != nil || v < 0 {
		return nil, fmt.Errorf("invalid format_version %q: must be a non-negative integer", vs)
	}
	if v > Version {
		return nil, fmt.Errorf("written by a newer nettrain (format version %d; this build reads version %d): upgrade nettrain", v, Version)
	}
	if v < Version {
		return nil, fmt.Errorf("written in an older checkpoint format (format version %d) that this build cannot read (it reads version %d only)", v, Version)
	}

	// 5. Tensor entries and dtypes.
	entries := make([]entry, len(rawEntries))
	for i, re := range rawEntries {
		e, err := parseEntry(re)
		if err != nil {
			return nil, fmt.Errorf("invalid header: tensor %q: %v", re.name, err)
		}
		if e.dtype != dtypeF32 {
			return nil, fmt.Errorf("tensor %q: unsupported dtype %q (only F32 is supported)", e.name, e.dtype)
		}
		entries[i] = e
	}

	// 6. Shapes.
	for _, e := range entries {
		for _, d := range e.shape {
			if d < 0 {
				return nil, fmt.Errorf("tensor %q: shape %v has a negative dimension", e.name, e.shape)
			}
		}
		if e.end < e.begin {
			continue // reported below
		}
		span := e.end - e.begin
		if span%4 != 0 || !shapeFits(e.shape, span/4) {
			return nil, fmt.Errorf("tensor %q: shape %v does not match data_offsets [%d,%d] (%d bytes)", e.name, e.shape, e.begin, e.end, span)
		}
	}

	// 7. Offsets: contiguous, in order, exactly covering the data section.
	var next uint64
	for _, e := range entries {
		switch {
		case e.end < e.begin:
			return nil, fmt.Errorf("tensor %q: data_offsets [%d,%d] are reversed", e.name, e.begin, e.end)
		case e.begin < next:
			return nil, fmt.Errorf("tensor %q: data_offsets [%d,%d] overlap the previous tensor or are out of order (expected begin %d)", e.name, e.begin, e.end, next)
		case e.begin > next:
			return nil, fmt.Errorf("tensor %q: data_offsets [%d,%d] leave a gap after the previous tensor (expected begin %d)", e.name, e.begin, e.end, next)
		}
		next = e.end
	}
	if next != uint64(len(data)) {
		return nil, fmt.Errorf("data section is %d bytes but the tensors cover %d bytes: truncated or corrupt", len(data), next)
	}

	// 8. Checksum.
	sum, ok := meta[KeyChecksum]
	if !ok {
		return nil, errors.New("missing checksum in __metadata__")
	}
	h := sha256.New()
	hashTable(h, entries, meta, uint64(len(data)))
	h.Write(data)
	if sum != checksumPfx+hex.EncodeToString(h.Sum(nil)) {
		return nil, errors.New("checksum mismatch: the file is corrupt or was modified")
	}

	// 9. Canonical header (catches edits the checksum cannot see, such as
	// changed padding, whitespace, escapes or key order).
	if !bytes.Equal(buildPrefix(entries, meta), b[:8+n]) {
		return nil, errors.New("header is not in canonical form: the file is corrupt or was modified")
	}

	// Decode the data.
	f := &File{Tensors: make([]Tensor, len(entries)), Metadata: make(map[string]string, len(meta))}
	all := make([]float32, len(data)/4)
	for i := range all {
		all[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	for i, e := range entries {
		lo, hi := int(e.begin/4), int(e.end/4)
		f.Tensors[i] = Tensor{Name: e.name, Shape: e.shape, Data: all[lo:hi:hi]}
	}
	for k, v := range meta {
		switch k {
		case KeyFormat, KeyFormatVersion, KeyChecksum:
		default:
			f.Metadata[k] = v
		}
	}
	return f, nil
}

// jsonErr turns io.EOF from a truncated header into a readable error.
func jsonErr(err error) error {
	if errors.Is(err, io.EOF) {
		return errors.New("unexpected end of header")
	}
	return err
}

// shapeFits reports whether the product of shape (all dims >= 0) equals want.
func shapeFits(shape []int, want uint64) bool {
	if slices.Contains(shape, 0) {
		return want == 0
	}
	p := uint64(1)
	for _, d := range shape {
		if p > want/uint64(d) {
			return false
		}
		p *= uint64(d)
	}
	return p == want
}

// parseEntry parses one tensor entry {"dtype":..,"shape":[..],"data_offsets":[b,e]}.
func parseEntry(re rawEntry) (entry, error) {
	var raw struct {
		Dtype       *string        `json:"dtype"`
		Shape       *[]json.Number `json:"shape"`
		DataOffsets *[]json.Number `json:"data_offsets"`
	}
	dec := json.NewDecoder(bytes.NewReader(re.raw))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return entry{}, err
	}
	switch {
	case raw.Dtype == nil:
		return entry{}, errors.New("missing dtype")
	case raw.Shape == nil:
		return entry{}, errors.New("missing shape")
	case raw.DataOffsets == nil:
		return entry{}, errors.New("missing data_offsets")
	case len(*raw.DataOffsets) != 2:
		return entry{}, errors.New("data_offsets must have exactly two elements")
	}
	e := entry{name: re.name, dtype: *raw.Dtype, shape: make([]int, len(*raw.Shape))}
	for i, d := range *raw.Shape {
		v, err := strconv.ParseInt(d.String(), 10, strconv.IntSize)
		if err != nil {
			return entry{}, fmt.Errorf("shape dimension %q is not an integer", d.String())
		}
		e.shape[i] = int(v)
	}
	offs := *raw.DataOffsets
	var err error
	if e.begin, err = strconv.ParseUint(offs[0].String(), 10, 64); err != nil {
		return entry{}, fmt.Errorf("data offset %q is not a non-negative integer", offs[0].String())
	}
	if e.end, err = strconv.ParseUint(offs[1].String(), 10, 64); err != nil {
		return entry{}, fmt.Errorf("data offset %q is not a non-negative integer", offs[1].String())
	}
	return e, nil
}
