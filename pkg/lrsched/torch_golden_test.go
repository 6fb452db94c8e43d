package lrsched

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// goldenFile is written by testdata/torch/make_sched_golden.py (PyTorch
// 1.13); this test needs only Go.
const goldenFile = "../../testdata/torch/sched_golden.json"

type schedGolden struct {
	GeneratedBy   string `json:"generated_by"`
	Note          string `json:"note"`
	Epochs        int    `json:"epochs"`
	StepsPerEpoch int    `json:"steps_per_epoch"`
	Cases         []struct {
		Name    string          `json:"name"`
		Torch   string          `json:"torch"`
		Stepped string          `json:"stepped"`
		Config  json.RawMessage `json:"config"`
		LR      []float64       `json:"lr"`
	} `json:"cases"`
	Plateau []struct {
		Name            string          `json:"name"`
		Torch           string          `json:"torch"`
		Config          json.RawMessage `json:"config"`
		Metrics         []*float64      `json:"metrics"` // nil is NaN
		LR              []float64       `json:"lr"`
		Best            []*float64      `json:"best"` // nil while infinite
		NumBadEpochs    []int           `json:"num_bad_epochs"`
		CooldownCounter []int           `json:"cooldown_counter"`
	} `json:"plateau"`
}

func loadGolden(t *testing.T) *schedGolden {
	t.Helper()
	raw, err := os.ReadFile(filepath.FromSlash(goldenFile))
	if err != nil {
		t.Fatalf("%v (regenerate with /usr/bin/python3 testdata/torch/make_sched_golden.py)", err)
	}
	var g schedGolden
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) == 0 || len(g.Plateau) == 0 {
		t.Fatal("golden file holds no cases")
	}
	return &g
}

// strictUnmarshal decodes a case's config, failing on a field lrsched does
// not have (a renamed field must not silently become a zero value).
func strictUnmarshal(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("config %s: %v", raw, err)
	}
}

// relClose reports whether got agrees with want within rel relative error
// (a zero want needs an exact zero).
func relClose(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Abs(want)
}

// TestTorchGolden compares every schedule with torch.optim.lr_scheduler at
// every step of a 5 epochs × 7 steps run, within 1e-9 relative. torch's
// chainable (recursive) forms differ from the closed forms nettrain uses by
// accumulated round-off only (largest observed 1.8e-14 relative, near the
// end of a cosine where 1+cos(·) cancels); the rates torch ends at 0 are 0
// here too.
func TestTorchGolden(t *testing.T) {
	g := loadGolden(t)
	covered := map[string]bool{}
	worst := 0.0
	for _, tc := range g.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			var c Config
			strictUnmarshal(t, tc.Config, &c)
			covered[c.Type] = true
			if c.StepsPerEpoch != g.StepsPerEpoch || c.TotalSteps != g.Epochs*g.StepsPerEpoch || len(tc.LR) != c.TotalSteps {
				t.Fatalf("inconsistent case: %+v, %d rates", c, len(tc.LR))
			}
			s, err := New(c)
			if err != nil {
				t.Fatal(err)
			}
			for step, want := range tc.LR {
				got := s(step)
				if !relClose(got, want, 1e-9) {
					t.Errorf("%s: lr(%d) = %.17g, torch %.17g", tc.Torch, step, got, want)
				}
				if want != 0 {
					worst = math.Max(worst, math.Abs(got-want)/math.Abs(want))
				}
			}
		})
	}
	t.Logf("largest relative difference from torch: %.3g", worst)
	for _, n := range Names {
		if n != "constant" && n != "invsqrt" && !covered[n] {
			t.Errorf("schedule %q has no torch golden case", n)
		}
	}
}

// TestTorchGoldenPlateau replays the scripted metrics through Plateau and
// compares every decision with torch's ReduceLROnPlateau: the learning rate
// (exactly: both multiply the previous rate by factor), best, num_bad_epochs
// and cooldown_counter.
func TestTorchGoldenPlateau(t *testing.T) {
	g := loadGolden(t)
	for _, tc := range g.Plateau {
		t.Run(tc.Name, func(t *testing.T) {
			var c PlateauConfig
			strictUnmarshal(t, tc.Config, &c)
			p, err := NewPlateau(c)
			if err != nil {
				t.Fatal(err)
			}
			for i, mp := range tc.Metrics {
				m := math.NaN()
				if mp != nil {
					m = *mp
				}
				scale := p.Observe(m)
				st := p.State()
				if st.LR != tc.LR[i] {
					t.Errorf("%s: after metric %d (%v): lr = %v, torch %v", tc.Torch, i, m, st.LR, tc.LR[i])
				}
				if !relClose(scale*c.BaseLR, tc.LR[i], 1e-12) {
					t.Errorf("after metric %d: scale·base_lr = %v, torch lr %v", i, scale*c.BaseLR, tc.LR[i])
				}
				if st.NumBadEpochs != tc.NumBadEpochs[i] || st.CooldownCounter != tc.CooldownCounter[i] {
					t.Errorf("after metric %d (%v): num_bad_epochs %d cooldown_counter %d, torch %d %d",
						i, m, st.NumBadEpochs, st.CooldownCounter, tc.NumBadEpochs[i], tc.CooldownCounter[i])
				}
				if b := tc.Best[i]; (b == nil) == st.HasBest || (b != nil && *b != st.Best) {
					t.Errorf("after metric %d (%v): best %v (has %v), torch %v", i, m, st.Best, st.HasBest, tc.Best[i])
				}
				if st.LastEpoch != i+1 {
					t.Errorf("last_epoch = %d, want %d", st.LastEpoch, i+1)
				}
			}
		})
	}
}
