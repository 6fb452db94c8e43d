package tboard

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// The append helpers write one field. Those for singular proto3 scalars leave
// out the default (0, "", empty bytes), as protobuf serializers do; a oneof
// member has presence and is written with the protowire calls directly.

// appendString appends a string field unless s is empty.
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// appendBytes appends a bytes field unless v is empty.
func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// appendDouble appends a double field unless v is +0 (the C++ library writes
// -0, whose bits are not zero).
func appendDouble(b []byte, num protowire.Number, v float64) []byte {
	if math.Float64bits(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, math.Float64bits(v))
}

// appendVarint appends a varint field (int32, int64, enum) unless v is 0.
// Negative int32 and int64 values are sign-extended to 64 bits, as protobuf
// does.
func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// appendMessage appends an embedded message field; a set message field is
// written even when empty.
func appendMessage(b []byte, num protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

// appendPackedDoubles appends a packed repeated double field unless v is
// empty.
func appendPackedDoubles(b []byte, num protowire.Number, v []float64) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(8*len(v)))
	for _, x := range v {
		b = protowire.AppendFixed64(b, math.Float64bits(x))
	}
	return b
}

// field is one decoded field of a message: its number, wire type and either
// its integer value (varint, fixed32, fixed64) or its bytes (length-delimited).
type field struct {
	num protowire.Number
	typ protowire.Type
	x   uint64
	b   []byte
}

// maxDepth bounds the nesting of decoded messages (list values can nest).
const maxDepth = 64

// walk calls fn for every field of the serialized message m, in order.
func walk(m []byte, fn func(f field) error) error {
	for len(m) > 0 {
		num, typ, n := protowire.ConsumeTag(m)
		if n < 0 {
			return fmt.Errorf("bad field tag: %w", protowire.ParseError(n))
		}
		m = m[n:]
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.x, n = protowire.ConsumeVarint(m)
		case protowire.Fixed32Type:
			var x uint32
			x, n = protowire.ConsumeFixed32(m)
			f.x = uint64(x)
		case protowire.Fixed64Type:
			f.x, n = protowire.ConsumeFixed64(m)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(m)
		default:
			n = protowire.ConsumeFieldValue(num, typ, m)
		}
		if n < 0 {
			return fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
		}
		m = m[n:]
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// want returns an error unless f has wire type t.
func (f field) want(t protowire.Type) error {
	if f.typ != t {
		return fmt.Errorf("field %d: wire type %d, want %d", f.num, f.typ, t)
	}
	return nil
}

// double stores a double field in p.
func (f field) double(p *float64) error {
	if err := f.want(protowire.Fixed64Type); err != nil {
		return err
	}
	*p = math.Float64frombits(f.x)
	return nil
}

// varint stores a varint field in p.
func (f field) varint(p *uint64) error {
	if err := f.want(protowire.VarintType); err != nil {
		return err
	}
	*p = f.x
	return nil
}

// str stores a string field in p.
func (f field) str(p *string) error {
	if err := f.want(protowire.BytesType); err != nil {
		return err
	}
	*p = string(f.b)
	return nil
}

// bytes stores a copy of a bytes field in p; empty stays nil.
func (f field) bytes(p *[]byte) error {
	if err := f.want(protowire.BytesType); err != nil {
		return err
	}
	*p = nil
	if len(f.b) > 0 {
		*p = append([]byte(nil), f.b...)
	}
	return nil
}

// doubles appends a repeated double field, packed or not, to p.
func (f field) doubles(p *[]float64) error {
	if f.typ == protowire.Fixed64Type {
		*p = append(*p, math.Float64frombits(f.x))
		return nil
	}
	if err := f.want(protowire.BytesType); err != nil {
		return err
	}
	if len(f.b)%8 != 0 {
		return fmt.Errorf("field %d: packed doubles of %d bytes", f.num, len(f.b))
	}
	for b := f.b; len(b) > 0; b = b[8:] {
		x, _ := protowire.ConsumeFixed64(b)
		*p = append(*p, math.Float64frombits(x))
	}
	return nil
}

// message checks that f is length-delimited and returns its bytes.
func (f field) message() ([]byte, error) {
	return f.b, f.want(protowire.BytesType)
}
