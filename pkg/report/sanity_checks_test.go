package report

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// halfGrad wraps a layer and returns half its input gradient: a backward
// pass that disagrees with the forward one.
type halfGrad struct{ nn.Layer }

func (h halfGrad) Backward(c *nn.Context, dy *tensor.Tensor) *tensor.Tensor {
	dx := h.Layer.Backward(c, dy).Clone()
	for i := range dx.Data {
		dx.Data[i] *= 0.5
	}
	return dx
}

// testModel builds the small experiment's model (with overrides) and its
// preprocessed training split.
func testModel(t *testing.T, overrides ...string) (*model.Model, *engine.Splits) {
	t.Helper()
	cfg := testfix.Config(t, overrides...)
	s, err := engine.LoadTrainSplits(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := engine.BuildModel(cfg, "", s.InShape(), s.Train.Classes)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

func TestGradCheck(t *testing.T) {
	for _, tc := range []struct {
		name      string
		overrides []string
		break_    string // the layer whose input gradient is halved
		pass      bool
	}{
		{"mlp", nil, "", true},
		{"cnn with batch norm and dropout", []string{"model.arch=cnn", "model.widths=[4,8]", "model.convs_per_stage=1", "model.batch_norm=true", "model.hidden=[16]", "model.dropout=0.3"}, "", true},
		{"resnet", []string{"model.arch=resnet", "model.depth=8", "model.width=4", "model.hidden=[]"}, "", true},
		{"mlp, relu1's backward halved", nil, "relu1", false},
		{"cnn, the classifier's input gradient halved", []string{"model.arch=cnn", "model.widths=[4,8]", "model.convs_per_stage=1", "model.batch_norm=true", "model.hidden=[16]"}, "fc1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, s := testModel(t, tc.overrides...)
			if tc.break_ != "" {
				i := slices.IndexFunc(m.Net.Layers, func(l nn.Named) bool { return l.Name == tc.break_ })
				if i < 0 {
					t.Fatalf("no layer %s", tc.break_)
				}
				m.Net.Layers[i].Layer = halfGrad{m.Net.Layers[i].Layer}
				nn.Fuse(m.Net)
			}
			gc := gradCheck(m, s.Train, 1, nil)
			t.Logf("%d of %d agree, worst %s %.3g, worst tensor %s %.2f", gc.Agree, gc.Entries, gc.WorstParam, gc.Worst, gc.WorstTensor, gc.WorstTensorAgree)
			if gc.Passed != tc.pass || gc.Entries == 0 {
				t.Fatalf("passed %v (%d of %d agree, worst %s %.3g), want %v", gc.Passed, gc.Agree, gc.Entries, gc.WorstParam, gc.Worst, tc.pass)
			}
			if !tc.pass && !strings.Contains(gc.Diagnosis, "gradient is wrong") {
				t.Errorf("diagnosis %q", gc.Diagnosis)
			}
		})
	}
}

func TestDataCheck(t *testing.T) {
	_, std := testModel(t)
	_, raw := testModel(t, "preprocess.method=none")
	withNaN := std.Train.Subset(nil)
	*withNaN = *std.Train
	withNaN.X, withNaN.Pixels = std.Train.Range(nil, 0, std.Train.N), nil
	withNaN.X[5] = float32(math.NaN())
	noClass3 := std.Train.Subset(slices.DeleteFunc(seq(std.Train.N), func(i int) bool { return std.Train.Y[i] == 3 }))
	for _, tc := range []struct {
		name   string
		d      *data.Dataset
		method string
		pass   bool
		want   string
	}{
		{"standardized", std.Train, "global", true, ""},
		{"raw pixels", raw.Train, "none", false, "preprocess.method: global"},
		{"a NaN", withNaN, "global", false, "1 input values are NaN"},
		{"class 3 missing", noClass3, "global", false, "class 3 has no training example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dc := dataCheck(tc.d, tc.method)
			if dc.Passed != tc.pass || !strings.Contains(dc.Diagnosis, tc.want) {
				t.Fatalf("passed %v, diagnosis %q; want %v and %q", dc.Passed, dc.Diagnosis, tc.pass, tc.want)
			}
			total := 0
			for _, n := range dc.Counts {
				total += n
			}
			if total != tc.d.N || len(dc.Counts) != tc.d.Classes {
				t.Errorf("label counts %v for %d examples of %d classes", dc.Counts, tc.d.N, tc.d.Classes)
			}
		})
	}
}

// seq returns 0, 1, …, n−1.
func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// TestVerdicts checks the summary of a report: one row per check, in the
// order they run, each failing one with its hint.
func TestVerdicts(t *testing.T) {
	r := &SanityReport{Classes: 10}
	r.Data = DataCheck{Passed: true, Mean: 0, Std: 1, Counts: make([]int, 10)}
	r.InitialLoss = InitialLossCheck{Passed: false, Loss: 9, Expected: math.Log(10), Diagnosis: "the logits start too large"}
	r.Gradients = GradCheck{Passed: true, Agree: 40, Entries: 40}
	r.Overfit = OverfitCheck{Passed: true, TrainAcc: 1, Steps: 60}
	var got []string
	for _, v := range r.Verdicts() {
		got = append(got, v.Check)
		if v.Passed == (v.Hint != "") {
			t.Errorf("%s: passed %v with hint %q", v.Check, v.Passed, v.Hint)
		}
	}
	if want := []string{"data", "initial loss", "gradients", "overfit"}; !slices.Equal(got, want) {
		t.Errorf("checks %v, want %v", got, want)
	}
}
