package lrsched

import (
	"math"
	"testing"
)

func TestSchedulesClosedForm(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want map[int]float64
	}{
		{"constant", Config{Type: "constant", BaseLR: 0.1, StepsPerEpoch: 10, TotalSteps: 100},
			map[int]float64{0: 0.1, 57: 0.1, 99: 0.1}},
		{"step", Config{Type: "step", BaseLR: 1, StepsPerEpoch: 10, TotalSteps: 100, StepSize: 3, Gamma: 0.5},
			map[int]float64{0: 1, 29: 1, 30: 0.5, 59: 0.5, 60: 0.25, 99: 0.125}},
		{"cosine", Config{Type: "cosine", BaseLR: 1, MinLR: 0.1, StepsPerEpoch: 10, TotalSteps: 100},
			map[int]float64{0: 1, 50: 0.55, 100: 0.1, 25: 0.1 + 0.9*(1+math.Cos(math.Pi/4))/2}},
		{"cosine_warmup", Config{Type: "cosine", BaseLR: 1, StepsPerEpoch: 10, TotalSteps: 110, WarmupSteps: 10},
			map[int]float64{0: 0.1, 4: 0.5, 9: 1, 10: 1, 60: 0.5, 110: 0}},
		{"constant_warmup", Config{BaseLR: 2, StepsPerEpoch: 1, TotalSteps: 10, WarmupSteps: 4},
			map[int]float64{0: 0.5, 1: 1, 3: 2, 9: 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for step, want := range tc.want {
				if got := s(step); math.Abs(got-want) > 1e-12 {
					t.Errorf("lr(%d) = %v, want %v", step, got, want)
				}
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, c := range []Config{
		{Type: "cosine", BaseLR: 0, StepsPerEpoch: 1, TotalSteps: 1},
		{Type: "bogus", BaseLR: 1, StepsPerEpoch: 1, TotalSteps: 1},
		{Type: "step", BaseLR: 1, StepsPerEpoch: 1, TotalSteps: 1, StepSize: 0, Gamma: 0.1},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("%+v: want error", c)
		}
	}
}
