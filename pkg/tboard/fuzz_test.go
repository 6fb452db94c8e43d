package tboard

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"testing"
	"time"
)

// encodeFile re-encodes decoded events as an event file.
func encodeFile(events []Event) []byte {
	var out []byte
	for i := range events {
		out = appendRecord(out, appendEvent(nil, &events[i]))
	}
	return out
}

// FuzzDecode feeds arbitrary bytes to the reader, which must not panic and
// whose result must be a fixed point of re-encoding, and writes the fuzzed
// scalar and histogram with the Writer, which must read back exactly.
func FuzzDecode(f *testing.F) {
	golden, err := os.ReadFile(goldenPath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden, "loss", int64(1), 0.5, []byte{1, 2, 3, 4})
	f.Add(golden[:len(golden)-3], "", int64(-1), math.Inf(-1), []byte{})
	f.Add([]byte{}, "a/b", int64(math.MaxInt64), math.NaN(), []byte{0, 0, 0xc0, 0x7f})
	f.Add(appendRecord(nil, []byte{0x2a, 0x03, 0x0a, 0x01, 0x15}), "x", int64(0), 1e300, bytes.Repeat([]byte{0x11}, 64))
	f.Add(appendRecord(nil, []byte{0x2a, 0x06, 0x0a, 0x04, 0x4a, 0x02, 0x0a, 0x00}), "\xff", int64(7), -0.0, []byte{0xff, 0xff, 0x7f, 0x7f})
	f.Fuzz(func(t *testing.T, data []byte, tag string, step int64, value float64, raw []byte) {
		events, err := Decode(data)
		if err == nil {
			for _, e := range events {
				for _, v := range e.Values {
					DecodeHParams(v.PluginContent) // must not panic
				}
			}
			once := encodeFile(events)
			again, err := Decode(once)
			if err != nil {
				t.Fatalf("re-encoded events do not decode: %v", err)
			}
			if twice := encodeFile(again); !bytes.Equal(once, twice) {
				t.Fatalf("re-encoding is not a fixed point:\n%x\n%x", once, twice)
			}
		}
		DecodeHParams(data) // must not panic

		// The writer's files round-trip.
		values := make([]float32, len(raw)/4)
		for i := range values {
			values[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		h := NewHisto(values, 1+len(raw)%7)
		var file bytes.Buffer // the Writer on memory: fuzzing with files is too slow
		w := newWriter(&file, "fuzz", clock(t, 2, 3, 4), time.Unix(1, 0))
		if err := w.Scalar(tag, step, value); err != nil {
			t.Fatal(err)
		}
		if err := w.Histogram(tag, step, h); err != nil {
			t.Fatal(err)
		}
		if err := w.HParams([]HParam{{tag, value}}, tag, value); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		b := file.Bytes()
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("reading the writer's file: %v", err)
		}
		if !bytes.Equal(encodeFile(got), b) {
			t.Fatal("the writer's file does not re-encode to itself")
		}
		s, hv := got[1].Values[0], got[2].Values[0]
		if len(got) != 4 || s.Tag != tag || got[1].Step != step || math.Float32bits(*s.Simple) != math.Float32bits(float32(value)) {
			t.Fatalf("scalar read back as %+v in %d events", got[1], len(got))
		}
		if hv.Histo == nil || !bytes.Equal(hv.Histo.appendProto(nil), h.appendProto(nil)) {
			t.Fatalf("histogram read back as %+v, wrote %+v", hv.Histo, h)
		}
		d, err := DecodeHParams(got[3].Values[0].PluginContent)
		if err != nil {
			t.Fatal(err)
		}
		if x, ok := d.Start.HParams[tag].(float64); !ok || math.Float64bits(x) != math.Float64bits(value) || d.Start.Group != tag {
			t.Fatalf("hparams read back as %+v", d.Start)
		}
	})
}
