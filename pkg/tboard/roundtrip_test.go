package tboard

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func f32p(x float64) *float32 {
	v := float32(x)
	return &v
}

// TestRoundTrip writes scalars, histograms and hparams and reads back exactly
// the events written.
func TestRoundTrip(t *testing.T) {
	times := []float64{100, 101, 102.5, 103, 104, 105, 106, 107}
	w, err := Create(t.TempDir()+"/a/b", Options{Now: clock(t, times...), Hostname: "h"})
	if err != nil {
		t.Fatal(err)
	}
	h := NewHisto([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 3)
	exp := Experiment{
		Name: "x", User: "me", TimeCreated: 99.5,
		HParams: []HParamInfo{{Name: "lr", Type: TypeFloat64, Interval: &Interval{0, 1}}, {Name: "d", Discrete: []any{}}},
		Metrics: []MetricInfo{{Tag: "loss"}},
	}
	start := []HParam{{"lr", float32(0.5)}, {"b", int64(7)}, {"name", "run1"}, {"flag", true}, {"n", 3}}
	for _, err := range []error{
		w.Scalar("loss", 0, 1.25),
		w.Scalars(-3, []TagValue{{"a", 0}, {"b", -7.5}, {"c", 1e300}}),
		w.Scalars(9, nil), // writes nothing
		w.Histogram("w", math.MaxInt64, h),
		w.HParamsExperiment(exp),
		w.HParams(start, "", 98),
		w.HParamsEnd(StatusFailure, 0),
		w.Flush(),
		w.Scalar("late", 4, 2),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.Scalar("closed", 0, 0); err == nil || !strings.Contains(err.Error(), w.Path()) {
		t.Errorf("write after Close: %v, want an error naming the file", err)
	}

	events, err := ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	hp := func(i int) HParamsData {
		t.Helper()
		v := events[i].Values[0]
		if v.PluginName != HParamsPlugin || !bytes.Equal(v.Tensor, nullTensor) {
			t.Errorf("event %d: plugin %q tensor %x, want %q and %x", i, v.PluginName, v.Tensor, HParamsPlugin, nullTensor)
		}
		d, err := DecodeHParams(v.PluginContent)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if len(events) != 8 {
		t.Fatalf("%d events, want 8", len(events))
	}
	want := []Event{
		{WallTime: 100, FileVersion: FileVersion},
		{WallTime: 101, Values: []Value{{Tag: "loss", Simple: f32p(1.25)}}},
		{WallTime: 102.5, Step: -3, Values: []Value{{Tag: "a", Simple: f32p(0)}, {Tag: "b", Simple: f32p(-7.5)}, {Tag: "c", Simple: f32p(math.Inf(1))}}},
		{WallTime: 103, Step: math.MaxInt64, Values: []Value{{Tag: "w", Histo: &h}}},
		{WallTime: 104, Values: events[4].Values},
		{WallTime: 105, Values: events[5].Values},
		{WallTime: 106, Values: events[6].Values},
		{WallTime: 107, Step: 4, Values: []Value{{Tag: "late", Simple: f32p(2)}}},
	}
	for i := range want {
		if !reflect.DeepEqual(events[i], want[i]) {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, events[i], want[i])
		}
	}
	if d := hp(4); !reflect.DeepEqual(d, HParamsData{Experiment: &exp}) {
		t.Errorf("experiment %+v, want %+v", d.Experiment, exp)
	}
	wantStart := &SessionStart{HParams: map[string]any{"lr": 0.5, "b": 7.0, "name": "run1", "flag": true, "n": 3.0}, StartTime: 98}
	if d := hp(5); !reflect.DeepEqual(d, HParamsData{Start: wantStart}) {
		t.Errorf("session start %+v, want %+v", d.Start, wantStart)
	}
	if d := hp(6); !reflect.DeepEqual(d, HParamsData{End: &SessionEnd{Status: StatusFailure}}) {
		t.Errorf("session end %+v", d.End)
	}
	if tags := []string{events[4].Values[0].Tag, events[5].Values[0].Tag, events[6].Values[0].Tag}; !reflect.DeepEqual(tags, []string{ExperimentTag, SessionStartTag, SessionEndTag}) {
		t.Errorf("hparams tags %q", tags)
	}
}

// TestScalarFloat32 checks that scalars are stored as float32, NaN included.
func TestScalarFloat32(t *testing.T) {
	cases := []struct {
		name string
		in   float64
		want uint32 // float32 bits
	}{
		{"zero", 0, 0},
		{"negative zero", math.Copysign(0, -1), 0x80000000},
		{"one", 1, 0x3f800000},
		{"rounded", 0.1, math.Float32bits(0.1)},
		{"overflow", 1e39, 0x7f800000},
		{"subnormal", 1e-45, 1},
		{"nan", math.NaN(), math.Float32bits(float32(math.NaN()))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, err := Create(t.TempDir(), Options{Now: clock(t, 1, 2), Hostname: "h"})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Scalar("s", 1, c.in); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			events, err := ReadFile(w.Path())
			if err != nil {
				t.Fatal(err)
			}
			if got := math.Float32bits(*events[1].Values[0].Simple); got != c.want {
				t.Errorf("stored bits %#08x, want %#08x", got, c.want)
			}
		})
	}
}

// TestMaskedCRC checks the CRC32C against the standard check value of
// "123456789" (0xE3069283) and the mask against the value make_golden.py's
// pure-Python implementation gives for it.
func TestMaskedCRC(t *testing.T) {
	if got := crc32.Checksum([]byte("123456789"), castagnoli); got != 0xe3069283 {
		t.Errorf("CRC32C check value %#08x, want 0xe3069283", got)
	}
	cases := []struct {
		in   string
		want uint32
	}{
		{"123456789", 0xc78ab0e5}, // rotr(0xe3069283, 15) = 0x2507c60d, + 0xa282ead8
		{"", 0xa282ead8},
	}
	for _, c := range cases {
		if got := MaskedCRC([]byte(c.in)); got != c.want {
			t.Errorf("MaskedCRC(%q) = %#08x, want %#08x", c.in, got, c.want)
		}
	}
}

// TestCorrupt flips a byte in each part of a record, or cuts the file, and
// expects an error naming the file, the record and its offset.
func TestCorrupt(t *testing.T) {
	good, err := os.ReadFile(writeGolden(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	// Offsets of the records.
	var offs []int
	for off := 0; off < len(good); off += recordOverhead + int(binary.LittleEndian.Uint64(good[off:])) {
		offs = append(offs, off)
	}
	rec := 3
	start, end := offs[rec], offs[rec+1]
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x40
		return b
	}
	cases := []struct {
		name    string
		data    []byte
		record  int
		offset  int
		message string
	}{
		{"length", flip(start + 1), rec, start, "length CRC mismatch"},
		{"length crc", flip(start + 9), rec, start, "length CRC mismatch"},
		{"data", flip(start + 14), rec, start, "data CRC mismatch"},
		{"data crc", flip(end - 1), rec, start, "data CRC mismatch"},
		{"cut in header", good[:start+5], rec, start, "truncated header"},
		{"cut in data", good[:start+20], rec, start, "truncated record"},
		{"cut in data crc", good[:end-1], rec, start, "truncated record"},
		{"cut last byte", good[:len(good)-1], len(offs) - 1, offs[len(offs)-1], "truncated record"},
		{"bad event", appendRecord(bytes.Clone(good[:start]), []byte{0x0d}), rec, start, "event: field 1"},
		{"wrong wire type", appendRecord(bytes.Clone(good[:start]), []byte{0x08, 0x01}), rec, start, "event: field 1: wire type 0, want 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := t.TempDir() + "/events.out.tfevents.1.x"
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			events, err := ReadFile(path)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("ReadFile = %d events, %v; want a *FormatError", len(events), err)
			}
			if fe.Record != c.record || fe.Offset != int64(c.offset) || !strings.Contains(fe.Msg, c.message) {
				t.Errorf("error %q: want record %d at byte %d, %q", err, c.record, c.offset, c.message)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	// A file cut at a record boundary is valid and holds the records before it.
	events, err := Decode(good[:start])
	if err != nil || len(events) != rec {
		t.Errorf("file cut after record %d: %d events, %v", rec-1, len(events), err)
	}
}

// TestCreateNames checks the file name and the suffix for a taken name.
func TestCreateNames(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for range 3 {
		w, err := Create(dir, Options{Now: clock(t, 1700000000.9), Hostname: "box"})
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, w.Path())
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	base := dir + "/events.out.tfevents.1700000000.box"
	if want := []string{base, base + ".1", base + ".2"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("paths %q, want %q", paths, want)
	}
	if _, err := Create(base+"/sub", Options{Hostname: "box"}); err == nil || !strings.Contains(err.Error(), base) {
		t.Errorf("Create under a file: %v, want an error naming it", err)
	}
}

// TestWriterErrors checks the input errors of the HParams and histogram calls.
func TestWriterErrors(t *testing.T) {
	w, err := Create(t.TempDir(), Options{Hostname: "h"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"bad hparam type", w.HParams([]HParam{{"x", []int{1}}}, "", 0), `hparam "x": value [1] of type []int`},
		{"duplicate hparam", w.HParams([]HParam{{"x", 1}, {"x", 2}}, "", 0), `hparam "x" given twice`},
		{"bad domain value", w.HParamsExperiment(Experiment{HParams: []HParamInfo{{Name: "x", Discrete: []any{uint8(1)}}}}), `hparam "x" domain`},
		{"two domains", w.HParamsExperiment(Experiment{HParams: []HParamInfo{{Name: "x", Discrete: []any{}, Interval: &Interval{}}}}), "both"},
		{"histogram slices", w.Histogram("h", 0, Histo{Buckets: []float64{1}}), "0 bucket limits but 1 buckets"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, c.err, c.want)
		}
	}
}

// TestConcurrentWrites writes from several goroutines; every event arrives
// whole.
func TestConcurrentWrites(t *testing.T) {
	w, err := Create(t.TempDir(), Options{Hostname: "h"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				if err := w.Scalar("g", int64(100*g+i), float64(g)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	events, err := ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, e := range events[1:] {
		seen[e.Step] = true
	}
	if len(events) != 401 || len(seen) != 400 {
		t.Errorf("%d events with %d distinct steps, want 401 and 400", len(events), len(seen))
	}
}
