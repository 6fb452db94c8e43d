package tboard

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// goldenPath is the event file written by testdata/tboard/make_golden.py with
// python3-protobuf. Regenerate it from the repository root with
//
//	/usr/bin/python3 testdata/tboard/make_golden.py
//
// after changing goldenEvents and the script's events() together.
const goldenPath = "../../testdata/tboard/golden.tfevents"

// clock returns a Now function that yields the given Unix times in seconds,
// one per call, and fails the test when they run out.
func clock(t testing.TB, secs ...float64) func() time.Time {
	i := 0
	return func() time.Time {
		if i == len(secs) {
			t.Fatalf("clock called %d times, only %d times given", i+1, len(secs))
		}
		whole, frac := math.Modf(secs[i])
		i++
		return time.Unix(int64(whole), int64(math.Round(frac*1e9)))
	}
}

// goldenTimes are the wall times of make_golden.py's events, in order; the
// first is the file's creation time.
var goldenTimes = []float64{
	1700000000.0, 1700000001.5, 1700000001.75, 1700000002.0, 1700000002.25,
	1700000002.5, 1700000003.0, 1700000003.5, 1700000003.75, 1700000004.0,
	1700000004.5, 1700000005.0,
}

// goldenHistoValues are make_golden.py's HISTO_VALUES.
var goldenHistoValues = []float32{
	-1.5, -0.25, 0, 0.125, 0.5, 0.5, 1, 2.75, 3,
	float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0.3,
}

// goldenExperiment is make_golden.py's experiment().
var goldenExperiment = Experiment{
	Name:        "golden",
	Description: "tboard golden file",
	TimeCreated: 1700000000.25,
	HParams: []HParamInfo{
		{Name: "lr", DisplayName: "learning rate", Type: TypeFloat64, Interval: &Interval{Min: 1e-4, Max: 1}},
		{Name: "optimizer", Type: TypeString, Discrete: []any{"adam", "sgd"}},
		{Name: "nesterov", Type: TypeBool, Discrete: []any{false, true}},
		{Name: "batch", Type: TypeFloat64, Discrete: []any{64.0, 128.0}},
		{Name: "note", Description: "free text"},
	},
	Metrics: []MetricInfo{
		{Tag: "test/accuracy", DisplayName: "test accuracy", Dataset: DatasetValidation},
		{Tag: "train/loss", Description: "mean training loss", Dataset: DatasetTraining},
		{Group: "eval", Tag: "loss"},
	},
}

// goldenHParams are make_golden.py's session_start() values, deliberately
// not in name order.
var goldenHParams = []HParam{
	{"lr", 0.01}, {"optimizer", "sgd"}, {"nesterov", false}, {"batch", 128},
	{"zero", 0.0}, {"empty", ""}, {"missing", nil},
}

// goldenEvents writes make_golden.py's events() after the file_version event.
func goldenEvents(w *Writer) error {
	steps := []func() error{
		func() error { return w.HParamsExperiment(goldenExperiment) },
		func() error { return w.HParams(goldenHParams, "g1", 1700000000.5) },
		func() error {
			return w.Scalars(1, []TagValue{{"train/loss", 2.302585}, {"train/accuracy", 0.1}})
		},
		func() error { return w.Scalar("train/loss", 2, 0) },
		func() error { return w.Scalar("lr", 3, -1e-3) },
		func() error { return w.Histogram("layer1/weight", 1<<40, NewHisto(goldenHistoValues, 4)) },
		func() error { return w.Histogram("const", 5, NewHisto([]float32{0.5, 0.5, 0.5, 0.5}, 30)) },
		func() error { return w.Histogram("empty", 6, NewHisto(nil, 30)) },
		func() error {
			return w.Scalars(7, []TagValue{{"test/accuracy", 0.9253}, {"loss", 0.25}})
		},
		func() error { return w.HParamsEnd(StatusSuccess, 1700000100) },
		func() error { return w.Restart(4) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("golden event %d: %w", i+1, err)
		}
	}
	return nil
}

// writeGolden writes the golden sequence into a new file in dir.
func writeGolden(t testing.TB, dir string) string {
	t.Helper()
	w, err := Create(dir, Options{Now: clock(t, goldenTimes...), Hostname: "golden"})
	if err != nil {
		t.Fatal(err)
	}
	if err := goldenEvents(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.Path()
}

// TestGolden checks the writer byte for byte against the file python3-protobuf
// made from the same events: field order, defaults, oneofs, the map order,
// packed doubles, the framing and both masked CRCs.
func TestGolden(t *testing.T) {
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (regenerate with /usr/bin/python3 testdata/tboard/make_golden.py)", err)
	}
	path := writeGolden(t, t.TempDir())
	if got, want := filepath.Base(path), "events.out.tfevents.1700000000.golden"; got != want {
		t.Errorf("file name %q, want %q", got, want)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	t.Errorf("written file (%d bytes) differs from %s (%d bytes) first at byte %d", len(got), goldenPath, len(want), i)
	g, gerr := Decode(got)
	w, werr := Decode(want)
	for k := 0; gerr == nil && werr == nil && k < min(len(g), len(w)); k++ {
		if fmt.Sprintf("%+v", g[k]) != fmt.Sprintf("%+v", w[k]) {
			t.Errorf("event %d:\n got %+v\nwant %+v", k, g[k], w[k])
		}
	}
}

// TestGoldenDecode reads the Python-made file and checks what the reader gets.
func TestGoldenDecode(t *testing.T) {
	events, err := ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(goldenTimes) {
		t.Fatalf("%d events, want %d", len(events), len(goldenTimes))
	}
	for i, e := range events {
		if e.WallTime != goldenTimes[i] {
			t.Errorf("event %d: wall time %v, want %v", i, e.WallTime, goldenTimes[i])
		}
	}
	if events[0].FileVersion != FileVersion || len(events[0].Values) != 0 {
		t.Errorf("first event %+v, want only file_version %q", events[0], FileVersion)
	}
	sc := events[3]
	if sc.Step != 1 || len(sc.Values) != 2 || sc.Values[0].Tag != "train/loss" || *sc.Values[0].Simple != float32(2.302585) ||
		sc.Values[1].Tag != "train/accuracy" || *sc.Values[1].Simple != float32(0.1) {
		t.Errorf("scalar event %+v", sc)
	}
	if v := events[4].Values[0]; v.Simple == nil || *v.Simple != 0 {
		t.Errorf("zero scalar: %+v, want simple_value 0 present", v)
	}
	h := events[6]
	want := Histo{Min: -1.5, Max: 3, Num: 10, Sum: 6.425000011920929, SumSquares: 20.480625007152558,
		BucketLimits: []float64{-0.375, 0.75, 1.875, 3}, Buckets: []float64{1, 6, 1, 2}}
	if h.Step != 1<<40 || h.Values[0].Tag != "layer1/weight" || fmt.Sprint(*h.Values[0].Histo) != fmt.Sprint(want) {
		t.Errorf("histogram event step %d %+v, want %+v", h.Step, *h.Values[0].Histo, want)
	}
	d, err := DecodeHParams(events[2].Values[0].PluginContent)
	if err != nil {
		t.Fatal(err)
	}
	wantStart := map[string]any{"lr": 0.01, "optimizer": "sgd", "nesterov": false, "batch": 128.0, "zero": 0.0, "empty": "", "missing": nil}
	if d.Start == nil || fmt.Sprint(d.Start.HParams) != fmt.Sprint(wantStart) || d.Start.Group != "g1" || d.Start.StartTime != 1700000000.5 {
		t.Errorf("session start %+v, want hparams %v", d.Start, wantStart)
	}
}
