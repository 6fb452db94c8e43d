package tboard

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"reflect"
	"testing"
)

const python = "/usr/bin/python3"

// needPythonProtobuf skips the test when python3-protobuf is missing, except
// under CI=true, where the test must run.
func needPythonProtobuf(t *testing.T) {
	t.Helper()
	out, err := exec.Command(python, "-c", "import google.protobuf").CombinedOutput()
	if err == nil {
		return
	}
	msg := "needs " + python + " with google.protobuf (apt-get install python3-protobuf): " + err.Error() + " " + string(bytes.TrimSpace(out))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// The JSON that testdata/tboard/read_events.py prints.
type (
	pyEvent struct {
		WallTime    float64   `json:"wall_time"`
		Step        int64     `json:"step"`
		FileVersion string    `json:"file_version"`
		Values      []pyValue `json:"values"`
	}
	pyValue struct {
		Tag        string     `json:"tag"`
		Simple     *float64   `json:"simple_value"`
		Histo      *pyHisto   `json:"histo"`
		Tensor     *pyTensor  `json:"tensor"`
		PluginName string     `json:"plugin_name"`
		HParams    *pyHParams `json:"hparams"`
	}
	pyHisto struct {
		Min         float64   `json:"min"`
		Max         float64   `json:"max"`
		Num         float64   `json:"num"`
		Sum         float64   `json:"sum"`
		SumSquares  float64   `json:"sum_squares"`
		BucketLimit []float64 `json:"bucket_limit"`
		Bucket      []float64 `json:"bucket"`
	}
	pyTensor struct {
		DType     int     `json:"dtype"`
		Shape     []int64 `json:"shape"`
		StringVal int     `json:"string_val"`
	}
	pyHParams struct {
		Version    int            `json:"version"`
		Data       string         `json:"data"`
		Experiment *pyExperiment  `json:"experiment"`
		HParams    map[string]any `json:"hparams"`
		Group      string         `json:"group_name"`
		StartTime  float64        `json:"start_time_secs"`
		Status     int            `json:"status"`
		EndTime    float64        `json:"end_time_secs"`
	}
	pyExperiment struct {
		Name        string  `json:"name"`
		Description string  `json:"description"`
		User        string  `json:"user"`
		TimeCreated float64 `json:"time_created_secs"`
		HParamInfos []struct {
			Name        string    `json:"name"`
			DisplayName string    `json:"display_name"`
			Description string    `json:"description"`
			Type        int       `json:"type"`
			Discrete    []any     `json:"discrete"`
			Interval    []float64 `json:"interval"`
		} `json:"hparam_infos"`
		MetricInfos []struct {
			Group       string `json:"group"`
			Tag         string `json:"tag"`
			DisplayName string `json:"display_name"`
			Description string `json:"description"`
			DatasetType int    `json:"dataset_type"`
		} `json:"metric_infos"`
	}
)

// readWithPython decodes path with testdata/tboard/read_events.py.
func readWithPython(t *testing.T, path string) []pyEvent {
	t.Helper()
	cmd := exec.Command(python, "../../testdata/tboard/read_events.py", path)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("read_events.py: %v\n%s", err, stderr.Bytes())
	}
	var events []pyEvent
	if err := json.Unmarshal(out, &events); err != nil {
		t.Fatalf("read_events.py output: %v", err)
	}
	return events
}

// TestPythonReader writes a file with the Go writer and decodes it with
// python3-protobuf (CRCs checked in Python), comparing every value with what
// was written.
func TestPythonReader(t *testing.T) {
	needPythonProtobuf(t)
	r := rand.New(rand.NewPCG(3, 4))
	weights := make([]float32, 1000)
	for i := range weights {
		weights[i] = float32(r.NormFloat64() * 0.1)
	}
	histo := NewHisto(weights, 30)
	type scalar struct {
		step int64
		tv   []TagValue
	}
	var scalars []scalar
	for step := int64(0); step < 50; step += 7 {
		scalars = append(scalars, scalar{step, []TagValue{{"train/loss", r.ExpFloat64()}, {"train/accuracy", r.Float64()}}})
	}
	times := []float64{1800000000}
	for i := range len(scalars) + 4 {
		times = append(times, 1800000000+float64(i)*0.125+1)
	}
	w, err := Create(t.TempDir(), Options{Now: clock(t, times...), Hostname: "py"})
	if err != nil {
		t.Fatal(err)
	}
	exp := Experiment{
		TimeCreated: 1799999999.5,
		HParams: []HParamInfo{
			{Name: "lr", Type: TypeFloat64, Interval: &Interval{Min: 1e-5, Max: 1}},
			{Name: "model", Type: TypeString, Discrete: []any{"cnn", "mlp"}},
		},
		Metrics: []MetricInfo{{Tag: "test/accuracy", DisplayName: "accuracy"}},
	}
	steps := []error{w.HParamsExperiment(exp), w.HParams([]HParam{{"model", "mlp"}, {"lr", 0.003}, {"bn", true}}, "", 1799999999.75)}
	for _, s := range scalars {
		steps = append(steps, w.Scalars(s.step, s.tv))
	}
	steps = append(steps, w.Histogram("fc1/weight", 49, histo), w.HParamsEnd(StatusSuccess, 1800000100.25))
	for _, err := range steps {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	got := readWithPython(t, w.Path())
	hparams := func(data string) *pyHParams {
		return &pyHParams{Data: data}
	}
	null := &pyTensor{DType: 1, Shape: []int64{0}}
	want := []pyEvent{{WallTime: times[0], FileVersion: FileVersion, Values: []pyValue{}}}
	ex := hparams("experiment")
	want = append(want, pyEvent{WallTime: times[1], Values: []pyValue{{Tag: ExperimentTag, Tensor: null, PluginName: HParamsPlugin, HParams: ex}}})
	start := hparams("session_start_info")
	start.HParams = map[string]any{"model": "mlp", "lr": 0.003, "bn": true}
	start.StartTime = 1799999999.75
	want = append(want, pyEvent{WallTime: times[2], Values: []pyValue{{Tag: SessionStartTag, Tensor: null, PluginName: HParamsPlugin, HParams: start}}})
	for i, s := range scalars {
		e := pyEvent{WallTime: times[3+i], Step: s.step}
		for _, tv := range s.tv {
			x := float64(float32(tv.Value))
			e.Values = append(e.Values, pyValue{Tag: tv.Tag, Simple: &x})
		}
		want = append(want, e)
	}
	n := len(want)
	want = append(want, pyEvent{WallTime: times[n], Step: 49, Values: []pyValue{{Tag: "fc1/weight", Histo: &pyHisto{
		Min: histo.Min, Max: histo.Max, Num: histo.Num, Sum: histo.Sum, SumSquares: histo.SumSquares,
		BucketLimit: histo.BucketLimits, Bucket: histo.Buckets,
	}}}})
	end := hparams("session_end_info")
	end.Status, end.EndTime = int(StatusSuccess), 1800000100.25
	want = append(want, pyEvent{WallTime: times[n+1], Values: []pyValue{{Tag: SessionEndTag, Tensor: null, PluginName: HParamsPlugin, HParams: end}}})

	// The experiment is compared field by field below.
	if len(got) == len(want) && got[1].Values[0].HParams != nil {
		gex := got[1].Values[0].HParams.Experiment
		got[1].Values[0].HParams.Experiment = nil
		if gex == nil || len(gex.HParamInfos) != 2 || len(gex.MetricInfos) != 1 ||
			gex.HParamInfos[0].Name != "lr" || gex.HParamInfos[0].Type != 3 || !reflect.DeepEqual(gex.HParamInfos[0].Interval, []float64{1e-5, 1}) ||
			gex.HParamInfos[1].Name != "model" || !reflect.DeepEqual(gex.HParamInfos[1].Discrete, []any{"cnn", "mlp"}) || gex.HParamInfos[1].Interval != nil ||
			gex.TimeCreated != 1799999999.5 || gex.MetricInfos[0].Tag != "test/accuracy" || gex.MetricInfos[0].DisplayName != "accuracy" {
			t.Errorf("experiment as Python reads it: %+v", gex)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("Python read %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			gj, _ := json.Marshal(got[i])
			wj, _ := json.Marshal(want[i])
			t.Errorf("event %d as Python reads it:\n got %s\nwant %s", i, gj, wj)
		}
	}
}

// TestPythonReaderRejects checks that the Python reader, too, catches a
// corrupted data CRC, so that TestPythonReader's CRC check means something.
func TestPythonReaderRejects(t *testing.T) {
	needPythonProtobuf(t)
	b, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1
	path := t.TempDir() + "/events.out.tfevents.1.bad"
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, "../../testdata/tboard/read_events.py", path).CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte("data CRC mismatch")) {
		t.Errorf("read_events.py on a corrupted file: %v, %s", err, out)
	}
}
