package optim

import (
	"math"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/nn/nntest"
)

func TestElasticNetGradient(t *testing.T) {
	w := param("fc.weight", true, 0.5, -1.5, 0, 2)
	b := param("fc.bias", false, 3)
	params := []*nn.Param{w, b}
	pen := Penalty{L1: 0.2, L2: 0.3}
	got := AddPenalty(params, pen)
	want := 0.2*(0.5+1.5+0+2) + 0.3*(0.25+2.25+0+4)
	if math.Abs(got-want) > 1e-9 {
		t.Fatalf("penalty %v, want %v", got, want)
	}
	if v := PenaltyValue(params, pen); v != got {
		t.Fatalf("PenaltyValue %v, AddPenalty %v", v, got)
	}
	for j, v := range w.Value.Data {
		s := 0.0
		if v > 0 {
			s = 1
		} else if v < 0 {
			s = -1
		}
		if want := 0.2*s + 2*0.3*float64(v); math.Abs(float64(w.Grad.Data[j])-want) > 1e-6 {
			t.Errorf("grad[%d] = %v, want l1·sign(w)+2·l2·w = %v", j, w.Grad.Data[j], want)
		}
	}
	if w.Grad.Data[2] != 0 {
		t.Errorf("sign(0) must be 0, grad %v", w.Grad.Data[2])
	}
	if b.Grad.Data[0] != 0 {
		t.Fatal("biases are not penalized by default")
	}
	// Away from 0 the penalty is differentiable: check by finite differences
	// (entry 2, at the kink, is moved off it first).
	w.Value.Data[2] = 0.7
	w.Grad.Zero()
	AddPenalty(params, pen)
	nntest.CheckFunc(t, "weight", w.Value.Data, w.Grad.Data, func() float64 { return PenaltyValue(params, pen) }, nntest.Options{})
}

func TestPenaltyMatchesL2(t *testing.T) {
	w := param("a.weight", true, 0.5, -1.5, 2)
	b := param("a.bias", false, 3)
	w2 := param("a.weight", true, 0.5, -1.5, 2)
	b2 := param("a.bias", false, 3)
	got := AddPenalty([]*nn.Param{w, b}, Penalty{L2: 0.3})
	want := AddL2([]*nn.Param{w2, b2}, 0.3)
	if got != want {
		t.Fatalf("AddPenalty %v, AddL2 %v", got, want)
	}
	for j := range w.Grad.Data {
		if w.Grad.Data[j] != w2.Grad.Data[j] {
			t.Fatalf("grad %v, AddL2 %v", w.Grad.Data, w2.Grad.Data)
		}
	}
	if AddPenalty([]*nn.Param{w}, Penalty{}) != 0 {
		t.Fatal("zero penalty must return 0")
	}
}

func TestPenaltyIncludeExclude(t *testing.T) {
	mk := func() []*nn.Param {
		return []*nn.Param{
			param("conv1.weight", true, 1),
			param("conv1.bias", false, 1),
			param("stage1.block1.bn1.weight", true, 1),
			param("stage1.block1.bn1.bias", false, 1),
			param("fc.weight", true, 1),
			param("fc.bias", false, 1),
		}
	}
	cases := []struct {
		name string
		pen  Penalty
		want []string
	}{
		{"default_decay", Penalty{L1: 1}, []string{"conv1.weight", "stage1.block1.bn1.weight", "fc.weight"}},
		{"include_biases", Penalty{L1: 1, Include: []string{"*.bias"}}, []string{"conv1.bias", "stage1.block1.bn1.bias", "fc.bias"}},
		{"include_all_exclude_bn", Penalty{L1: 1, Include: []string{"*"}, Exclude: []string{"*.bn?.*"}},
			[]string{"conv1.weight", "conv1.bias", "fc.weight", "fc.bias"}},
		{"default_exclude_fc", Penalty{L2: 1, Exclude: []string{"fc.*"}}, []string{"conv1.weight", "stage1.block1.bn1.weight"}},
		{"include_two", Penalty{L1: 1, Include: []string{"fc.weight", "conv1.*"}}, []string{"conv1.weight", "conv1.bias", "fc.weight"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			params := mk()
			got := AddPenalty(params, tc.pen)
			var names []string
			for _, p := range params {
				if p.Grad.Data[0] != 0 {
					names = append(names, p.Name)
				}
				if tc.pen.Applies(p) != (p.Grad.Data[0] != 0) {
					t.Errorf("%s: Applies disagrees with the gradient", p.Name)
				}
			}
			if len(names) != len(tc.want) || got != float64(len(tc.want)) {
				t.Fatalf("penalized %v (value %v), want %v", names, got, tc.want)
			}
			for i := range names {
				if names[i] != tc.want[i] {
					t.Fatalf("penalized %v, want %v", names, tc.want)
				}
			}
		})
	}
}

func TestPenaltyValidate(t *testing.T) {
	for _, p := range []Penalty{{L1: -1}, {L2: math.NaN()}, {L1: 1, Include: []string{"[a"}}, {Exclude: []string{"fc\\"}}} {
		if p.Validate() == nil {
			t.Errorf("%+v: want error", p)
		}
	}
	if err := (Penalty{L1: 1, L2: 2, Include: []string{"*.weight"}}).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestAddPenaltyDoesNotAllocate(t *testing.T) {
	params := []*nn.Param{param("fc.weight", true, 1, -2, 3), param("fc.bias", false, 1)}
	pen := Penalty{L1: 0.1, L2: 0.2, Include: []string{"fc.*"}, Exclude: []string{"*.bias"}}
	if n := testing.AllocsPerRun(20, func() { AddPenalty(params, pen) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
