package lrsched

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestPlateauResume: stopping after any observation, saving the state as
// JSON and restoring it into a fresh Plateau continues with the same
// decisions as an uninterrupted run.
func TestPlateauResume(t *testing.T) {
	cfg := PlateauConfig{PlateauSpec: PlateauSpec{Factor: 0.5, Patience: 1, Threshold: 0.01, Cooldown: 2, MinLR: 0.01}, BaseLR: 0.1, Eps: 1e-8}
	metrics := []float64{3, 2, 2.5, 2.4, 2.3, 2.2, 2.1, 2.05, 2.04, 2.03, 2.02, 1, 1, 1, 1, 1, 1, 1, 1}
	ref, err := NewPlateau(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var want []float64
	for _, m := range metrics {
		want = append(want, ref.Observe(m))
	}
	if ref.State().Reductions == 0 {
		t.Fatal("the metric sequence never reduces the rate")
	}
	for cut := range len(metrics) + 1 {
		a, _ := NewPlateau(cfg)
		for _, m := range metrics[:cut] {
			a.Observe(m)
		}
		blob, err := json.Marshal(a.State())
		if err != nil {
			t.Fatal(err)
		}
		var st PlateauState
		if err := json.Unmarshal(blob, &st); err != nil {
			t.Fatalf("%s: %v", blob, err)
		}
		if st != a.State() {
			t.Fatalf("round trip of %s: %+v, want %+v", blob, st, a.State())
		}
		b, _ := NewPlateau(cfg)
		if err := b.SetState(st); err != nil {
			t.Fatal(err)
		}
		for i, m := range metrics[cut:] {
			if got := b.Observe(m); got != want[cut+i] {
				t.Fatalf("resumed after %d: scale %d = %v, want %v", cut, cut+i, got, want[cut+i])
			}
		}
	}
}

func TestPlateauStateJSONInfinity(t *testing.T) {
	p, _ := NewPlateau(PlateauConfig{PlateauSpec: PlateauSpec{Mode: "max", Factor: 0.5}, BaseLR: 1})
	p.Observe(math.Inf(1))
	blob, err := json.Marshal(p.State())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(blob), `"best":"+Inf"`) {
		t.Errorf("state JSON %s", blob)
	}
	var st PlateauState
	if err := json.Unmarshal(blob, &st); err != nil || st != p.State() {
		t.Errorf("round trip: %+v, %v; want %+v", st, err, p.State())
	}
	fresh, _ := NewPlateau(PlateauConfig{PlateauSpec: PlateauSpec{Factor: 0.5}, BaseLR: 1})
	blob, _ = json.Marshal(fresh.State())
	if want := `{"lr":1,"best":0,"has_best":false,"num_bad_epochs":0,"cooldown_counter":0,"last_epoch":0,"reductions":0}`; string(blob) != want {
		t.Errorf("fresh state JSON %s, want %s", blob, want)
	}
	if err := json.Unmarshal([]byte(`{"lr":1,"best":"many"}`), &st); err == nil {
		t.Error("best \"many\": want an error")
	}
}

func TestPlateauDefaults(t *testing.T) {
	p, err := NewPlateau(DefaultPlateauConfig(0.1))
	if err != nil {
		t.Fatal(err)
	}
	for range 11 {
		if s := p.Observe(1); s != 1 {
			t.Fatalf("reduced early: scale %v", s)
		}
	}
	base, factor := 0.1, 0.1 // variables: torch multiplies in float64, not exactly
	if s := p.Observe(1); math.Abs(s-0.1) > 1e-15 || p.LR() != base*factor {
		t.Errorf("after 11 bad epochs (patience 10): scale %v lr %v, want 0.1 and 0.01", s, p.LR())
	}
	q, _ := NewPlateau(PlateauConfig{PlateauSpec: PlateauSpec{Factor: 0.5}, BaseLR: 1})
	if c := q.Config(); c.Mode != "min" || c.ThresholdMode != "rel" {
		t.Errorf("empty modes resolve to %q %q", c.Mode, c.ThresholdMode)
	}
}

func TestPlateauRejectsBadConfig(t *testing.T) {
	ok := DefaultPlateauConfig(0.1)
	with := func(f func(*PlateauConfig)) PlateauConfig { c := ok; f(&c); return c }
	for _, tc := range []struct {
		cfg   PlateauConfig
		field string
	}{
		{with(func(c *PlateauConfig) { c.BaseLR = 0 }), "base_lr"},
		{with(func(c *PlateauConfig) { c.Mode = "minimum" }), "mode"},
		{with(func(c *PlateauConfig) { c.Factor = 1 }), "factor"},
		{with(func(c *PlateauConfig) { c.Factor = 0 }), "factor"},
		{with(func(c *PlateauConfig) { c.Patience = -1 }), "patience"},
		{with(func(c *PlateauConfig) { c.Threshold = -1 }), "threshold"},
		{with(func(c *PlateauConfig) { c.ThresholdMode = "relative" }), "threshold_mode"},
		{with(func(c *PlateauConfig) { c.Cooldown = -1 }), "cooldown"},
		{with(func(c *PlateauConfig) { c.MinLR = math.NaN() }), "min_lr"},
		{with(func(c *PlateauConfig) { c.Eps = -1 }), "eps"},
	} {
		_, err := NewPlateau(tc.cfg)
		if err == nil || !strings.HasPrefix(err.Error(), "lrsched: "+tc.field+": ") {
			t.Errorf("%+v: error %v, want one about %s", tc.cfg, err, tc.field)
		}
	}
	p, _ := NewPlateau(ok)
	if err := p.SetState(PlateauState{LR: 0}); err == nil {
		t.Error("SetState with lr 0: want an error")
	}
	if err := p.SetState(PlateauState{LR: 1, NumBadEpochs: -1}); err == nil {
		t.Error("SetState with a negative counter: want an error")
	}
}
