package lrsched

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestSchedulesClosedForm(t *testing.T) {
	cos := func(x float64) float64 { return math.Cos(x) }
	cases := []struct {
		name string
		cfg  Config
		want map[int]float64
	}{
		{"constant", Config{Spec: Spec{Type: "constant"}, BaseLR: 0.1, StepsPerEpoch: 10, TotalSteps: 100},
			map[int]float64{0: 0.1, 57: 0.1, 99: 0.1}},
		{"step", Config{Spec: Spec{Type: "step", StepSize: 3, Gamma: 0.5}, BaseLR: 1, StepsPerEpoch: 10, TotalSteps: 100},
			map[int]float64{0: 1, 29: 1, 30: 0.5, 59: 0.5, 60: 0.25, 99: 0.125}},
		{"cosine", Config{Spec: Spec{Type: "cosine", MinLR: 0.1}, BaseLR: 1, StepsPerEpoch: 10, TotalSteps: 100},
			map[int]float64{0: 1, 50: 0.55, 100: 0.1, 25: 0.1 + 0.9*(1+math.Cos(math.Pi/4))/2}},
		{"cosine_warmup", Config{Spec: Spec{Type: "cosine"}, BaseLR: 1, StepsPerEpoch: 10, TotalSteps: 110, WarmupSteps: 10},
			map[int]float64{0: 0.1, 4: 0.5, 9: 1, 10: 1, 60: 0.5, 110: 0}},
		{"constant_warmup", Config{BaseLR: 2, StepsPerEpoch: 1, TotalSteps: 10, WarmupSteps: 4},
			map[int]float64{0: 0.5, 1: 1, 3: 2, 9: 2}},

		// Beyond the run the shifted schedules hold their final value.
		{"cosine_past_end", Config{Spec: Spec{Type: "cosine", MinLR: 0.1}, BaseLR: 1, StepsPerEpoch: 10, TotalSteps: 100},
			map[int]float64{101: 0.1, 1000: 0.1}},
		{"cosine_epoch_warmup", Config{Spec: Spec{Type: "cosine", Interval: "epoch", WarmupEpochs: 2}, BaseLR: 1, StepsPerEpoch: 10, TotalSteps: 60},
			// T = 4 epochs after the 20 warmup steps
			map[int]float64{0: 0.05, 19: 1, 20: 1, 29: 1, 30: (1 + cos(math.Pi/4)) / 2, 50: (1 + cos(3*math.Pi/4)) / 2, 59: (1 + cos(3*math.Pi/4)) / 2}},
		{"multistep", Config{Spec: Spec{Type: "multistep", Milestones: []int{2, 5}, Gamma: 0.1}, BaseLR: 1, StepsPerEpoch: 4, TotalSteps: 40},
			map[int]float64{0: 1, 7: 1, 8: 0.1, 19: 0.1, 20: 0.01, 39: 0.01}},
		{"exponential_epoch", Config{Spec: Spec{Type: "exponential", Gamma: 0.5}, BaseLR: 1, StepsPerEpoch: 4, TotalSteps: 40},
			map[int]float64{0: 1, 3: 1, 4: 0.5, 11: 0.25, 12: 0.125}},
		{"exponential_step", Config{Spec: Spec{Type: "exponential", Interval: "step", Gamma: 0.5}, BaseLR: 1, StepsPerEpoch: 4, TotalSteps: 40},
			map[int]float64{0: 1, 2: math.Sqrt(0.5), 4: 0.5, 6: 0.5 * math.Sqrt(0.5), 8: 0.25}},
		{"cosine_restarts_mult2", Config{Spec: Spec{Type: "cosine_restarts", T0: 1, TMult: 2}, BaseLR: 1, StepsPerEpoch: 2, TotalSteps: 40},
			// periods [0,1), [1,3), [3,7): restarts at steps 2, 6, 14
			map[int]float64{0: 1, 1: 0.5, 2: 1, 3: (1 + cos(math.Pi/4)) / 2, 4: 0.5, 6: 1, 10: 0.5, 14: 1}},
		{"cosine_restarts_torch_log_glitch", Config{Spec: Spec{Type: "cosine_restarts", T0: 1, TMult: 10}, BaseLR: 1, StepsPerEpoch: 1, TotalSteps: 2000},
			// periods start at epochs 0, 1, 11, 111: torch's step(111.0)
			// computes log10(1000) = 2.9999999999999996 and gives eta_min
			// (T_cur = T_i = 100); nettrain restarts, as torch's step() does.
			map[int]float64{1: 1, 11: 1, 110: (1 + cos(math.Pi*99/100)) / 2, 111: 1, 611: 0.5}},
		{"linear_to_zero", Config{Spec: Spec{Type: "linear"}, BaseLR: 2, StepsPerEpoch: 5, TotalSteps: 100},
			map[int]float64{0: 2, 25: 1.5, 50: 1, 99: 0.02, 100: 0, 150: 0}},
		{"linear_warmup", Config{Spec: Spec{Type: "linear"}, BaseLR: 1, StepsPerEpoch: 5, TotalSteps: 110, WarmupSteps: 10},
			map[int]float64{0: 0.1, 9: 1, 10: 1, 60: 0.5, 110: 0}},
		{"linear_up", Config{Spec: Spec{Type: "linear", StartFactor: 0.25, EndFactor: 1, TotalIters: 3, Interval: "epoch"}, BaseLR: 1, StepsPerEpoch: 5, TotalSteps: 100},
			map[int]float64{0: 0.25, 4: 0.25, 5: 0.5, 10: 0.75, 15: 1, 99: 1}},
		{"poly_floor", Config{Spec: Spec{Type: "poly", MinLR: 0.1, Power: 2}, BaseLR: 1, StepsPerEpoch: 5, TotalSteps: 100},
			map[int]float64{0: 1, 50: 0.1 + 0.9*0.25, 100: 0.1, 200: 0.1}},
		{"poly_default_power", Config{Spec: Spec{Type: "poly", TotalIters: 40}, BaseLR: 1, StepsPerEpoch: 5, TotalSteps: 100},
			map[int]float64{0: 1, 10: 0.75, 40: 0, 99: 0}},
		{"invsqrt", Config{Spec: Spec{Type: "invsqrt", InvSqrtSteps: 100}, BaseLR: 1, StepsPerEpoch: 10, TotalSteps: 1000},
			map[int]float64{0: 1, 50: 1, 100: 1, 400: 0.5, 900: 1.0 / 3}},
		{"invsqrt_from_warmup", Config{Spec: Spec{Type: "invsqrt"}, BaseLR: 1, StepsPerEpoch: 10, TotalSteps: 1000, WarmupSteps: 4},
			// fairseq's inverse_sqrt: linear warmup then lr·sqrt(w/s)
			map[int]float64{0: 0.25, 1: 0.5, 3: 1, 4: 1, 16: 0.5, 64: 0.25}},
		{"onecycle_linear", Config{Spec: Spec{Type: "onecycle", PctStart: 0.5, DivFactor: 10, FinalDivFactor: 10, AnnealStrategy: "linear"}, BaseLR: 1, StepsPerEpoch: 10, TotalSteps: 11},
			// rise over steps 0..4.5, fall over 4.5..10
			map[int]float64{0: 0.1, 4: 0.1 + 0.9*4/4.5, 10: 0.01, 20: 0.01}},
		{"onecycle_warmup_shift", Config{Spec: Spec{Type: "onecycle", PctStart: 0.5, DivFactor: 10, FinalDivFactor: 10, AnnealStrategy: "linear"}, BaseLR: 1, StepsPerEpoch: 10, TotalSteps: 13, WarmupSteps: 2},
			map[int]float64{0: 0.05, 1: 0.1, 2: 0.1, 12: 0.01}},
		{"warmup_start_factor", Config{Spec: Spec{Type: "step", StepSize: 1, Gamma: 0.5, WarmupStartFactor: 0.2}, BaseLR: 1, StepsPerEpoch: 2, TotalSteps: 40, WarmupSteps: 4},
			// absolute clock: the warmup multiplies the decayed rate
			map[int]float64{0: 0.4, 1: 0.6, 2: 0.5 * 0.8, 3: 0.5, 4: 0.25}},
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

// TestEveryNameBuilds builds each type with typical settings and checks the
// rates are positive (or zero at the end), finite and start at a sensible
// value.
func TestEveryNameBuilds(t *testing.T) {
	for _, n := range Names {
		c := Config{Spec: Spec{Type: n, StepSize: 3, Gamma: 0.5, Milestones: []int{3, 6}, T0: 2}, BaseLR: 0.1, StepsPerEpoch: 7, TotalSteps: 70, WarmupSteps: 5}
		s, err := New(c)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		for step := range 80 {
			if lr := s(step); !finite(lr) || lr < 0 || lr > 0.1+1e-15 {
				t.Errorf("%s: lr(%d) = %v", n, step, lr)
			}
		}
	}
}

func TestWarmupMatchesAcrossUnits(t *testing.T) {
	a, err := New(Config{Spec: Spec{Type: "cosine", WarmupEpochs: 1.5}, BaseLR: 1, StepsPerEpoch: 8, TotalSteps: 80})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(Config{Spec: Spec{Type: "cosine"}, BaseLR: 1, StepsPerEpoch: 8, TotalSteps: 80, WarmupSteps: 12})
	for s := range 81 {
		if a(s) != b(s) {
			t.Fatalf("lr(%d): warmup_epochs 1.5 gives %v, warmup_steps 12 gives %v", s, a(s), b(s))
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	ok := Config{Spec: Spec{Type: "cosine"}, BaseLR: 1, StepsPerEpoch: 1, TotalSteps: 1}
	with := func(f func(*Config)) Config { c := ok; f(&c); return c }
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{with(func(c *Config) { c.BaseLR = 0 }), "base_lr"},
		{with(func(c *Config) { c.BaseLR = math.NaN() }), "base_lr"},
		{with(func(c *Config) { c.Type = "bogus" }), "type"},
		{with(func(c *Config) { c.StepsPerEpoch = 0 }), "steps_per_epoch"},
		{with(func(c *Config) { c.TotalSteps = 0 }), "total_steps"},
		{with(func(c *Config) { c.WarmupSteps = -1 }), "warmup_steps"},
		{with(func(c *Config) { c.WarmupSteps, c.WarmupEpochs = 1, 1 }), "warmup_epochs"},
		{with(func(c *Config) { c.WarmupStartFactor = 1 }), "warmup_start_factor"},
		{with(func(c *Config) { c.Interval = "batch" }), "interval"},
		{with(func(c *Config) { c.MinLR = 2 }), "min_lr"},
		{with(func(c *Config) { c.MinLR = -1 }), "min_lr"},
		{with(func(c *Config) { c.Type, c.StepSize, c.Gamma = "step", 0, 0.1 }), "step_size"},
		{with(func(c *Config) { c.Type, c.StepSize, c.Gamma = "step", 1, 0 }), "gamma"},
		{with(func(c *Config) { c.Type, c.StepSize, c.Gamma, c.Interval = "step", 1, 0.1, "step" }), "interval"},
		{with(func(c *Config) { c.Type, c.Gamma = "multistep", 0.1 }), "milestones"},
		{with(func(c *Config) { c.Type, c.Gamma, c.Milestones = "multistep", 0.1, []int{3, 3} }), "milestones"},
		{with(func(c *Config) { c.Type, c.Gamma, c.Milestones = "multistep", 0.1, []int{0} }), "milestones"},
		{with(func(c *Config) { c.Type, c.Gamma = "exponential", -1 }), "gamma"},
		{with(func(c *Config) { c.Type = "cosine_restarts" }), "t0"},
		{with(func(c *Config) { c.Type, c.T0, c.TMult = "cosine_restarts", 1, -2 }), "t_mult"},
		{with(func(c *Config) { c.Type, c.StartFactor = "linear", 1.5 }), "start_factor"},
		{with(func(c *Config) { c.Type, c.EndFactor = "linear", -0.5 }), "end_factor"},
		{with(func(c *Config) { c.Type, c.TotalIters = "linear", -1 }), "total_iters"},
		{with(func(c *Config) { c.Type, c.Power = "poly", -1 }), "power"},
		{with(func(c *Config) { c.Type = "invsqrt" }), "inv_sqrt_steps"},
		{with(func(c *Config) { c.Type, c.InvSqrtSteps, c.Interval = "invsqrt", 5, "epoch" }), "interval"},
		{with(func(c *Config) { c.Type, c.PctStart = "onecycle", 1 }), "pct_start"},
		{with(func(c *Config) { c.Type, c.PctStart, c.ThreePhase = "onecycle", 0.5, true }), "pct_start"},
		{with(func(c *Config) { c.Type, c.DivFactor = "onecycle", 0.5 }), "div_factor"},
		{with(func(c *Config) { c.Type, c.FinalDivFactor = "onecycle", 0.5 }), "final_div_factor"},
		{with(func(c *Config) { c.Type, c.MaxLR = "onecycle", math.Inf(1) }), "max_lr"},
		{with(func(c *Config) { c.Type, c.AnnealStrategy = "onecycle", "cosine" }), "anneal_strategy"},
	} {
		_, err := New(tc.cfg)
		if err == nil {
			t.Errorf("%+v: want an error about %s", tc.cfg, tc.field)
			continue
		}
		if !strings.HasPrefix(err.Error(), "lrsched: "+tc.field+": ") {
			t.Errorf("%+v: error %q does not name %s", tc.cfg, err, tc.field)
		}
	}
	_, err := New(with(func(c *Config) { c.Type = "bogus" }))
	for _, n := range Names {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("unknown-type error %q does not list %q", err, n)
		}
	}
}

// TestIgnoresIrrelevantFields: the engine fills every field from its
// configuration, whatever the type.
func TestIgnoresIrrelevantFields(t *testing.T) {
	c := Config{Spec: Spec{Type: "cosine", StepSize: 0, Gamma: -3, T0: -1, Power: -2, PctStart: 7}, BaseLR: 1, StepsPerEpoch: 2, TotalSteps: 10}
	if _, err := New(c); err != nil {
		t.Fatal(err)
	}
}

func TestNamesUnique(t *testing.T) {
	s := slices.Clone(Names)
	slices.Sort(s)
	if len(slices.Compact(s)) != len(Names) {
		t.Errorf("duplicate in Names: %v", Names)
	}
}

func TestScaleLR(t *testing.T) {
	for _, tc := range []struct {
		batch, baseBatch int
		rule             string
		want             float64
	}{
		{1024, 256, "linear", 0.4},
		{64, 256, "linear", 0.025},
		{1024, 256, "sqrt", 0.2},
		{256, 1024, "sqrt", 0.05},
		{1024, 256, "none", 0.1},
		{1024, 256, "", 0.1},
	} {
		got, err := ScaleLR(0.1, tc.batch, tc.baseBatch, tc.rule)
		if err != nil || math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("ScaleLR(0.1, %d, %d, %q) = %v, %v; want %v", tc.batch, tc.baseBatch, tc.rule, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		base             float64
		batch, baseBatch int
		rule, field      string
	}{
		{0, 1, 1, "linear", "base_lr"},
		{0.1, 0, 1, "linear", "batch"},
		{0.1, 1, 0, "linear", "base_batch"},
		{0.1, 1, 1, "quadratic", "rule"},
	} {
		_, err := ScaleLR(tc.base, tc.batch, tc.baseBatch, tc.rule)
		if err == nil || !strings.HasPrefix(err.Error(), "lrsched: "+tc.field+": ") {
			t.Errorf("ScaleLR(%v, %d, %d, %q): error %v, want one about %s", tc.base, tc.batch, tc.baseBatch, tc.rule, err, tc.field)
		}
	}
}
