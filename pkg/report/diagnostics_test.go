package report

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/rng"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// diagYAML is the lecture's experiment on 512 standardized Fashion-MNIST
// images: an MLP with 10 hidden layers of width 256 (head at the plain
// init). Placeholders: data dir, activation, init, init_std.
const diagYAML = `seed: 1
data:
  dir: %q
  val_split: 0
  train_limit: 512
model:
  hidden: [256, 256, 256, 256, 256, 256, 256, 256, 256, 256]
  activation: %s
  init: %s
  init_std: %g
train:
  batch_size: 64
`

const diagDepth = 10 // hidden layers of diagYAML

// diagConfig fills in diagYAML (std 0: the default 0.01) with --set style
// overrides.
func diagConfig(t *testing.T, activation, init string, std float64, overrides ...string) *config.Config {
	t.Helper()
	if std == 0 {
		std = 0.01
	}
	cfg, err := config.Parse(fmt.Appendf(nil, diagYAML, testfix.SmallData(t), activation, init, std), "diag_test.yaml", overrides)
	if err != nil {
		t.Fatalf("config %s/%s: %v", activation, init, err)
	}
	return cfg
}

// diagSanity runs Sanity with the overfit check cut to one step: only the
// initial-loss sample and the diagnostics matter here.
func diagSanity(t *testing.T, cfg *config.Config) *SanityReport {
	t.Helper()
	r, err := Sanity(cfg, SanityOptions{MaxSteps: 1, OverfitBatches: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Passed != (r.InitialLoss.Passed && r.Overfit.Passed) {
		t.Errorf("the diagnostics changed Passed: %v (initial %v, overfit %v)", r.Passed, r.InitialLoss.Passed, r.Overfit.Passed)
	}
	return r
}

// stat returns the statistics of the named layer.
func stat(t *testing.T, r *SanityReport, name string) LayerStats {
	t.Helper()
	for _, s := range r.Activations {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no statistics for layer %s in %v", name, r.Activations)
	return LayerStats{}
}

// flagged lists the names of the layers with a flag, as "name:flag".
func flagged(r *SanityReport) []string {
	var out []string
	for _, s := range r.Activations {
		if s.Flag != "" {
			out = append(out, s.Name+":"+s.Flag)
		}
	}
	return out
}

// TestInitDiagnostics reproduces CS231n's weight-initialization experiment
// and checks the diagnostics against what the theory predicts, with bands
// around the values measured on the in-repo data (seed 1).
func TestInitDiagnostics(t *testing.T) {
	act := func(kind string, i int) string { return fmt.Sprintf("%s%d", kind, i) }
	cases := []struct {
		name       string
		activation string
		init       string
		std        float64
		// ratio is std(last hidden activation) / std(first), which must lie
		// in [lo, hi].
		lo, hi float64
		check  func(t *testing.T, r *SanityReport)
	}{
		// Small tanh inputs pass almost unchanged, so each layer multiplies
		// the std by 0.01·√256 = 0.16: after 9 layers 0.16⁹ ≈ 6.9e-8
		// (measured 6.8e-8). Within 10× of that, and far below 1e-3.
		{"tanh, normal 0.01", "tanh", "normal", 0.01, math.Pow(0.16, 9) / 10, math.Min(1e-3, 10*math.Pow(0.16, 9)), func(t *testing.T, r *SanityReport) {
			// tanh2 is at 0.16× tanh1, above the 0.1× bound; tanh3 at
			// 0.026× and every later one below it.
			for i := 1; i <= diagDepth; i++ {
				want := ""
				if i >= 3 {
					want = FlagCollapsed
				}
				if s := stat(t, r, act("tanh", i)); s.Flag != want {
					t.Errorf("%s: std %.3g, flag %q, want %q", s.Name, s.Std, s.Flag, want)
				}
			}
			if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "layers tanh3-") || !strings.Contains(r.Warnings[0], "collapse toward zero") || !strings.Contains(r.Warnings[0], "xavier_normal for tanh") {
				t.Errorf("warnings %q, want one saying tanh3 on collapse and to use xavier_normal", r.Warnings)
			}
		}},
		// Xavier (gain 1) keeps the pre-activation variance of a linear
		// layer; tanh's slope < 1 away from 0 loses a little at every layer,
		// so the std drifts down slowly (measured 0.34 after 10 layers)
		// instead of collapsing.
		{"tanh, xavier_normal", "tanh", "xavier_normal", 0, 0.2, 0.6, func(t *testing.T, r *SanityReport) {
			if f := flagged(r); len(f) != 0 || len(r.Warnings) != 0 {
				t.Errorf("flags %v, warnings %q: want none", f, r.Warnings)
			}
		}},
		// Kaiming (gain √2) compensates the half of the variance relu
		// zeroes: the scale stays put (measured 1.19).
		{"relu, kaiming_normal", "relu", "kaiming_normal", 0, 0.67, 1.5, func(t *testing.T, r *SanityReport) {
			if f := flagged(r); len(f) != 0 || len(r.Warnings) != 0 {
				t.Errorf("flags %v, warnings %q: want none", f, r.Warnings)
			}
			// Kaiming leaves every unit alive on some example.
			if s := stat(t, r, "relu1"); s.DeadFrac > 0.05 {
				t.Errorf("relu1: dead fraction %.3f at a Kaiming init", s.DeadFrac)
			}
		}},
		// Xavier on relu halves the variance at every layer: the std of
		// relu10 is 2^(−9/2) ≈ 0.044 of relu1's (measured 0.053). Asserted
		// within 2× of that, and below 0.15.
		{"relu, xavier_normal", "relu", "xavier_normal", 0, math.Pow(2, -4.5) / 2, math.Min(0.15, 2*math.Pow(2, -4.5)), func(t *testing.T, r *SanityReport) {
			// relu5 is at 2^(−2) = 0.25×, clear of the 0.1× bound; relu10
			// at 0.044×, below it.
			for i := 1; i <= 5; i++ {
				if s := stat(t, r, act("relu", i)); s.Flag != "" {
					t.Errorf("%s: flag %q, want none", s.Name, s.Flag)
				}
			}
			if s := stat(t, r, act("relu", diagDepth)); s.Flag != FlagCollapsed {
				t.Errorf("%s: flag %q, want collapsed", s.Name, s.Flag)
			}
			if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "kaiming_normal for relu") {
				t.Errorf("warnings %q, want one advising kaiming_normal", r.Warnings)
			}
		}},
		// Weights of std 1: the first pre-activations have std ≈ √784 ≈ 28,
		// the later ones ≈ √(256·E[y²]) ≈ 11, far past sigmoid's linear
		// range. Every sigmoid layer stays bounded (no collapse, no
		// explosion) but saturates. The logits, of std ≈ √(256·E[y²]) ≈ 8-11,
		// are over 10× sigmoid1's std (≈ 0.48): exploding, which the
		// initial-loss check confirms by failing.
		{"sigmoid, normal 1", "sigmoid", "normal", 1, 0.5, 1.5, func(t *testing.T, r *SanityReport) {
			for i := 1; i <= diagDepth; i++ {
				if s := stat(t, r, act("sigmoid", i)); s.Flag != FlagSaturated || s.SaturatedFrac <= 0.5 {
					t.Errorf("%s: saturated %.3f, flag %q, want saturated", s.Name, s.SaturatedFrac, s.Flag)
				}
			}
			// For a pre-activation z ~ N(μ, σ²), the output is outside
			// [0.01, 0.99] when |z| > ln 99; with fc1's measured mean and
			// std, that is the fraction expected in sigmoid1 (measured
			// 0.860 vs 0.872).
			fc1, s1 := stat(t, r, "fc1"), stat(t, r, "sigmoid1")
			b := math.Log(99)
			want := 1 - 0.5*(math.Erfc(-(b-fc1.Mean)/(fc1.Std*math.Sqrt2))-math.Erfc(-(-b-fc1.Mean)/(fc1.Std*math.Sqrt2)))
			if math.Abs(s1.SaturatedFrac-want) > 0.05 {
				t.Errorf("sigmoid1: saturated %.3f, want %.3f ± 0.05 from fc1's N(%.3g, %.3g²)", s1.SaturatedFrac, want, fc1.Mean, fc1.Std)
			}
			if c := stat(t, r, "classifier"); c.Flag != FlagExploding || r.InitialLoss.Passed {
				t.Errorf("logits std %.3g, flag %q, initial loss %.3f (passed %v): want exploding logits and a failed initial-loss check", c.Std, c.Flag, r.InitialLoss.Loss, r.InitialLoss.Passed)
			}
			if len(r.Warnings) != 2 || !strings.HasPrefix(r.Warnings[0], "layers sigmoid1-sigmoid10 (sigmoid) saturate") || !strings.HasPrefix(r.Warnings[1], "layer classifier (logits) explodes") {
				t.Errorf("warnings %q, want saturated sigmoids and exploding logits", r.Warnings)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := diagSanity(t, diagConfig(t, tc.activation, tc.init, tc.std))
			// flatten, then (fc, activation) × depth, then the classifier.
			if len(r.Activations) != 2*diagDepth+2 {
				t.Fatalf("%d layers of statistics, want %d", len(r.Activations), 2*diagDepth+2)
			}
			first := stat(t, r, act(tc.activation, 1))
			last := stat(t, r, act(tc.activation, diagDepth))
			ratio := last.Std / first.Std
			t.Logf("std %s %.4g, %s %.4g: ratio %.3g", first.Name, first.Std, last.Name, last.Std, ratio)
			if !(ratio >= tc.lo && ratio <= tc.hi) {
				t.Errorf("std ratio %s/%s = %.3g, want in [%.3g, %.3g]", last.Name, first.Name, ratio, tc.lo, tc.hi)
			}
			tc.check(t, r)
		})
	}
}

// diagSample is the batch Sanity's diagnostics use: the first
// DiagnosticExamples examples of the initial-loss sample.
func diagSample(t *testing.T, cfg *config.Config) *tensor.Tensor {
	t.Helper()
	s, err := engine.LoadTrainSplits(cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	tr := s.Train
	perm := rng.New(cfg.Seed, rng.Sample).Perm(tr.N)
	d := tr.Subset(perm[:min(DiagnosticExamples, tr.N)])
	return tensor.FromData(d.Range(nil, 0, d.N), d.N, d.C, d.H, d.W)
}

// refStats computes a layer's statistics the plain way: the whole prefix of
// the net up to and including layer k run at once, then the mean and std
// over the output, dead units as those whose largest output is ≤ 0, and
// saturated outputs counted directly.
func refStats(m *model.Model, k int, x *tensor.Tensor) (mean, std, dead, sat float64) {
	y := nn.NewSequential(m.Net.Layers[:k+1]...).Forward(&nn.Context{}, x)
	v := y.Data
	for _, f := range v {
		mean += float64(f)
	}
	mean /= float64(len(v))
	for _, f := range v {
		std += (float64(f) - mean) * (float64(f) - mean)
	}
	std = math.Sqrt(std / float64(len(v)))
	kind := ""
	if a, ok := m.Net.Layers[k].Layer.(*nn.Activation); ok {
		kind = a.Name()
	}
	units := len(v) / y.Shape[0]
	if kind == "relu" {
		for u := range units {
			best := float32(math.Inf(-1))
			for e := range y.Shape[0] {
				best = max(best, v[e*units+u])
			}
			if best <= 0 {
				dead++
			}
		}
		dead /= float64(units)
	}
	for _, f := range v {
		if (kind == "tanh" && (f > 0.99 || f < -0.99)) || (kind == "sigmoid" && (f < 0.01 || f > 0.99)) {
			sat++
		}
	}
	return mean, std, dead, sat / float64(len(v))
}

func approxEqual(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// TestLayerDiagnosticsReference checks Sanity's statistics against a
// separate computation on a freshly built model and the same sample (3
// hidden layers: the reference reruns every prefix of the net).
func TestLayerDiagnosticsReference(t *testing.T) {
	for _, act := range []string{"relu", "tanh", "sigmoid"} {
		t.Run(act, func(t *testing.T) {
			cfg := diagConfig(t, act, "normal", 0.1, "model.hidden=[256,256,256]")
			r := diagSanity(t, cfg)
			m, err := engine.BuildModel(cfg, "", []int{1, 28, 28}, 10)
			if err != nil {
				t.Fatal(err)
			}
			x := diagSample(t, cfg)
			if len(r.Activations) != len(m.Net.Layers) {
				t.Fatalf("%d layers of statistics, want %d", len(r.Activations), len(m.Net.Layers))
			}
			shape := m.InShape
			for k, s := range r.Activations {
				mean, std, dead, sat := refStats(m, k, x)
				if s.Name != m.Net.Layers[k].Name || !approxEqual(s.Mean, mean) || !approxEqual(s.Std, std) || !approxEqual(s.DeadFrac, dead) || !approxEqual(s.SaturatedFrac, sat) {
					t.Errorf("%s: mean %v std %v dead %v saturated %v; reference %v %v %v %v", s.Name, s.Mean, s.Std, s.DeadFrac, s.SaturatedFrac, mean, std, dead, sat)
				}
				shape, _ = m.Net.Layers[k].Layer.OutShape(shape)
				if !slices.Equal(s.Shape, shape) {
					t.Errorf("%s: shape %v, want %v", s.Name, s.Shape, shape)
				}
			}
		})
	}
}

// TestDeadReLU gives the first layer negative biases: with −1000 every
// relu1 unit is 0 on every example; with biases spread over [−6, 0] a part
// of them is, as many as a direct count finds.
func TestDeadReLU(t *testing.T) {
	cfg := diagConfig(t, "relu", "kaiming_normal", 0, "model.hidden=[256]")
	x := diagSample(t, cfg)
	for _, tc := range []struct {
		name string
		bias func(j, n int) float32
		lo   float64 // least dead fraction expected in relu1
	}{
		{"all -1000", func(int, int) float32 { return -1000 }, 1},
		{"spread", func(j, n int) float32 { return -6 * float32(j) / float32(n) }, 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := engine.BuildModel(cfg, "", []int{1, 28, 28}, 10)
			if err != nil {
				t.Fatal(err)
			}
			fc1 := m.Net.Layers[1].Layer.(*nn.Linear)
			b := fc1.Bias.Value.Data
			for j := range b {
				b[j] = tc.bias(j, len(b))
			}
			stats := LayerDiagnostics(m, x, nil)
			_, _, dead, _ := refStats(m, 2, x)
			s := stats[2]
			t.Logf("relu1: dead fraction %.3f", s.DeadFrac)
			if s.Name != "relu1" || s.DeadFrac != dead || s.DeadFrac < tc.lo {
				t.Fatalf("%s: dead fraction %v, direct count %v, want ≥ %v", s.Name, s.DeadFrac, dead, tc.lo)
			}
			wantFlag := ""
			if dead > DeadLimit {
				wantFlag = FlagDead
			}
			if s.Flag != wantFlag {
				t.Errorf("relu1: dead %.3f, flag %q, want %q", dead, s.Flag, wantFlag)
			}
			w := DiagnosticWarnings(stats)
			if hasDead := len(w) > 0 && strings.Contains(w[0], "layer relu1 (relu) has dead units"); hasDead != (wantFlag == FlagDead) {
				t.Errorf("warnings %q", w)
			}
		})
	}
}

// TestDiagnosticFlags checks the thresholds and the advice lines on
// hand-made statistics: reference std 1 (the first activation).
func TestDiagnosticFlags(t *testing.T) {
	layer := func(name, kind string, std float64) LayerStats {
		return LayerStats{Name: name, Kind: kind, Std: std, act: nn.IsActivation(kind)}
	}
	stats := []LayerStats{
		layer("flatten", "flatten", 50), // not flaggable: the input's scale
		layer("fc1", "linear", 0.001),   // not flaggable: a pre-activation
		layer("relu1", "relu", 1),       // the reference
		layer("relu2", "relu", 0.11),    // above 0.1×
		layer("relu3", "relu", 0.09),    // collapsed
		layer("relu4", "relu", 9.9),     // below 10×
		layer("relu5", "relu", 10.1),    // exploding
		layer("relu6", "relu", 0.05),    // collapsed
		layer("relu7", "relu", 0.05),    // collapsed
		layer("tanh8", "tanh", 0.5),     // saturated
		layer("relu9", "relu", 1),       // dead
		layer("gelu10", "gelu", 1),
		layer("classifier", "linear", 0.002), // logits: 2e-3 is above 1e-3×
	}
	stats[9].SaturatedFrac = 0.51
	stats[10].DeadFrac = 0.51
	stats[len(stats)-1].logits = true
	flagStats(stats)
	want := []string{"", "", "", "", FlagCollapsed, "", FlagExploding, FlagCollapsed, FlagCollapsed, FlagSaturated, FlagDead, "", ""}
	for i, s := range stats {
		if s.Flag != want[i] {
			t.Errorf("%s (std %v): flag %q, want %q", s.Name, s.Std, s.Flag, want[i])
		}
	}
	w := DiagnosticWarnings(stats)
	if len(w) != 4 ||
		!strings.HasPrefix(w[0], "layer relu9 (relu) has dead units") ||
		!strings.HasPrefix(w[1], "layer tanh8 (tanh) saturates") ||
		!strings.HasPrefix(w[2], "layer relu5 (relu) explodes") ||
		!strings.HasPrefix(w[3], "layers relu3, relu6-relu7 (relu) collapse toward zero") {
		t.Errorf("warnings:\n%s", strings.Join(w, "\n"))
	}

	// Logits: collapsed only below 1e-3× the reference, and a constant
	// output (a zero head) is not flagged.
	for _, tc := range []struct {
		std  float64
		want string
	}{{0.0009, FlagCollapsed}, {0, ""}, {11, FlagExploding}} {
		s := []LayerStats{layer("tanh1", "tanh", 1), layer("classifier", "linear", tc.std)}
		s[1].logits = true
		flagStats(s)
		if s[1].Flag != tc.want {
			t.Errorf("logits std %v: flag %q, want %q", tc.std, s[1].Flag, tc.want)
		}
	}
}

func TestLayerStatsJSON(t *testing.T) {
	b, err := json.Marshal(SanityReport{Activations: []LayerStats{{Name: "relu1", Kind: "relu", Shape: []int{256}}}, Warnings: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"activations":[{"name":"relu1","kind":"relu","shape":[256],"mean":0,"std":0,"dead_frac":0,"saturated_frac":0,"identical_units":false,"flag":""}]`, `"warnings":[]`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON %s lacks %s", b, key)
		}
	}
}

// TestZeroInitStaysSymmetric reproduces the zero-init lesson: every hidden
// unit computes the same value at init, and still does after training, and
// sanity says so; the L2 check does not blame the penalty for all-zero
// weights.
func TestZeroInitStaysSymmetric(t *testing.T) {
	for _, act := range []string{"relu", "tanh"} {
		t.Run(act, func(t *testing.T) {
			cfg := testfix.Config(t, "model.init=zeros", "model.hidden=[16,16]", "model.activation="+act, "regularization.l2=0.001")
			r, err := Sanity(cfg, SanityOptions{MaxSteps: 60, OverfitBatches: 2})
			if err != nil {
				t.Fatal(err)
			}
			if !r.InitialLoss.Passed {
				t.Errorf("initial-loss check failed for all-zero weights: %s", r.InitialLoss.Diagnosis)
			}
			for _, name := range []string{act + "1", act + "2"} {
				if s := stat(t, r, name); s.Flag != FlagSymmetric || !s.IdenticalUnits {
					t.Errorf("%s: flag %q identical %v, want symmetric", name, s.Flag, s.IdenticalUnits)
				}
			}
			if r.Overfit.Passed || len(r.Overfit.StillSymmetric) != 2 || !strings.Contains(r.Overfit.Diagnosis, "still all identical") {
				t.Errorf("overfit: passed %v, still symmetric %v, diagnosis %q", r.Overfit.Passed, r.Overfit.StillSymmetric, r.Overfit.Diagnosis)
			}
		})
	}
	// A random init is not flagged.
	r, err := Sanity(testfix.Config(t), SanityOptions{MaxSteps: 5, OverfitBatches: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Activations {
		if s.Flag == FlagSymmetric {
			t.Errorf("%s flagged symmetric with kaiming_normal", s.Name)
		}
	}
}
