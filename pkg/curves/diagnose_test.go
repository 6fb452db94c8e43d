package curves

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDiagnoseFixtures runs the rules on the handmade curves of
// testdata/runs: each folder gives its verdicts (in VerdictOrder) and the
// headline's sentence carries the numbers that triggered it.
func TestDiagnoseFixtures(t *testing.T) {
	for _, tt := range []struct {
		dir     string
		want    []string
		finding []string // in the headline's finding
		advice  string   // in the headline's advice
	}{
		{"healthy", []string{Healthy}, []string{"train_loss ends at 0.451", "gap 0.020"}, "nothing to fix"},
		{"legacy", []string{Healthy}, []string{"train_loss ends at"}, "set data.val_split"},
		{"still-improving", []string{StillImproving}, []string{"train_loss fell 35%", "val_loss 34%", "last 4 epochs"}, "train.epochs"},
		{"overfitting-valloss", []string{Overfitting}, []string{"val_loss rose 40%", "minimum 0.8 at epoch 5", "train_loss fell 88%"}, "best val_loss was at epoch 5"},
		{"overfitting-gap", []string{Overfitting}, []string{"0.190 at the end (0.990 vs 0.800)", "grew 0.060 over the last 4 epochs"}, "regularization.l2"},
		{"underfitting", []string{Underfitting}, []string{"train_acc 0.450", "val_acc 0.440", "no longer improving"}, "bigger model"},
		{"flat-start", []string{FlatStart}, []string{"fell 0.1% over the first 10%", "36 steps", "then 78%"}, "nettrain sanity"},
		{"spikes", []string{Spikes}, []string{"above 4× the median of the 50 steps before", "9×", "step 150 (epoch 5, batch 30)"}, "optimizer.lr"},
		{"noisy", []string{Noisy}, []string{"scatter 34%"}, "train.batch_size"},
		{"diverged-nan", []string{Diverged}, []string{"NaN at step 37 (epoch 2, batch 7)"}, "lower optimizer.lr"},
		{"diverged-rising", []string{Diverged}, []string{"ended at 6.15", "167% above its start 2.3"}, "clip_grad_norm"},
	} {
		t.Run(tt.dir, func(t *testing.T) {
			r, err := Load(fixture(tt.dir))
			if err != nil {
				t.Fatal(err)
			}
			d := Diagnose(r)
			if got := d.Names(); !slices.Equal(got, tt.want) {
				t.Errorf("verdicts %v, want %v\n%v", got, tt.want, d.Verdicts)
			}
			h := d.Headline()
			for _, w := range tt.finding {
				if !strings.Contains(h.Finding, w) {
					t.Errorf("finding %q does not say %q", h.Finding, w)
				}
			}
			if !strings.Contains(h.Advice, tt.advice) {
				t.Errorf("advice %q does not say %q", h.Advice, tt.advice)
			}
			if s := h.String(); !strings.HasPrefix(s, h.Name+": ") || !strings.Contains(s, " → ") {
				t.Errorf("String %q", s)
			}
		})
	}
}

// table builds a Table from columns.
func table(cols map[string][]float64) *Table {
	t := &Table{}
	for _, name := range []string{"epoch", "step", "batch", "train_loss", "train_acc", "val_loss", "val_acc", "loss"} {
		if v, ok := cols[name]; ok {
			t.Columns = append(t.Columns, name)
			t.Values = append(t.Values, v)
		}
	}
	return t
}

func seq(n int, f func(i int) float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = f(i)
	}
	return v
}

// TestDiagnoseEdges: runs with nothing, with steps only, with one epoch,
// with a rise of the loss from its lowest, and the boundaries of the
// thresholds.
func TestDiagnoseEdges(t *testing.T) {
	epochs := func(n int, tl, ta, vl, va func(e int) float64) *Table {
		c := map[string][]float64{"epoch": seq(n, func(i int) float64 { return float64(i + 1) }), "train_loss": seq(n, func(i int) float64 { return tl(i + 1) })}
		if ta != nil {
			c["train_acc"] = seq(n, func(i int) float64 { return ta(i + 1) })
		}
		if vl != nil {
			c["val_loss"] = seq(n, func(i int) float64 { return vl(i + 1) })
			c["val_acc"] = seq(n, func(i int) float64 { return va(i + 1) })
		}
		return table(c)
	}
	steps := func(n int, loss func(i int) float64) *Table {
		return table(map[string][]float64{"step": seq(n, func(i int) float64 { return float64(i + 1) }), "epoch": seq(n, func(i int) float64 { return 1 }),
			"batch": seq(n, func(i int) float64 { return float64(i + 1) }), "loss": seq(n, func(i int) float64 { return loss(i + 1) })})
	}
	flat := func(v float64) func(int) float64 { return func(int) float64 { return v } }
	lin := func(a, b float64) func(int) float64 { return func(e int) float64 { return a + b*float64(e) } }
	for _, tt := range []struct {
		name   string
		run    *Run
		want   []string
		phrase string
	}{
		{"nothing", &Run{Epochs: epochs(0, nil, nil, nil, nil)}, []string{NoData}, "no epoch and no step"},
		{"steps only, falling", &Run{Epochs: epochs(0, nil, nil, nil, nil), Steps: steps(100, func(i int) float64 { return 2.3 / (1 + 0.05*float64(i)) })}, []string{Healthy}, "no epoch finished"},
		{"one epoch, low accuracy", &Run{Epochs: epochs(1, flat(2.0), flat(0.3), flat(2.0), flat(0.3))}, []string{Underfitting}, "train_acc 0.300"},
		{"rose from its lowest", &Run{Epochs: epochs(6, func(e int) float64 { return []float64{2, 1, 0.8, 0.9, 1.0, 1.1}[e-1] }, flat(0.8), flat(1.2), flat(0.75))},
			[]string{Diverged}, "rose 38% from its lowest 0.8 (epoch 3)"},
		{"val_loss up 9%: no overfitting", &Run{Epochs: epochs(6, lin(1, -0.1), flat(0.9), func(e int) float64 { return []float64{1, 0.9, 0.8, 0.8, 0.85, 0.872}[e-1] }, flat(0.85))},
			[]string{Healthy}, "val_loss at 0.872"},
		{"val_loss up 11%: overfitting", &Run{Epochs: epochs(6, lin(1, -0.1), flat(0.9), func(e int) float64 { return []float64{1, 0.9, 0.8, 0.8, 0.85, 0.888}[e-1] }, flat(0.85))},
			[]string{Overfitting}, "val_loss rose 11%"},
		{"val_loss up while train_loss above it: no overfitting", &Run{Epochs: epochs(6, lin(1.6, -0.1), flat(0.9), func(e int) float64 { return []float64{1, 0.9, 0.8, 0.8, 0.85, 0.95}[e-1] }, flat(0.85))},
			[]string{Healthy}, ""},
		{"a stable gap of 0.16", &Run{Epochs: epochs(6, lin(1, -0.01), flat(0.96), flat(0.9), flat(0.8))}, []string{Overfitting}, "above 0.15 for the last two epochs"},
		{"a stable gap of 0.14", &Run{Epochs: epochs(6, lin(1, -0.01), flat(0.94), flat(0.9), flat(0.8))}, []string{Healthy}, "gap 0.140"},
		{"no validation, still falling", &Run{Epochs: epochs(6, lin(2, -0.2), lin(0.5, 0.05), nil, nil)}, []string{StillImproving}, "train_loss fell"},
		{"infinite val_loss", &Run{Epochs: epochs(3, lin(2, -0.2), flat(0.9), func(e int) float64 { return math.Inf(1) }, flat(0.85))}, []string{Diverged}, "val_loss is +Inf at epoch 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := Diagnose(tt.run)
			if got := d.Names(); !slices.Equal(got, tt.want) {
				t.Errorf("verdicts %v, want %v\n%v", got, tt.want, d.Verdicts)
			}
			if !strings.Contains(d.Headline().Finding, tt.phrase) {
				t.Errorf("finding %q does not say %q", d.Headline().Finding, tt.phrase)
			}
			if !d.Has(tt.want[0]) || d.Has("nope") {
				t.Error("Has")
			}
		})
	}
}

// TestSeries checks the helpers the rules stand on.
func TestSeries(t *testing.T) {
	nan := math.NaN()
	for _, tt := range []struct {
		v    []float64
		w    int
		want []float64
	}{
		{[]float64{1, 5, 2, 8, 3}, 3, []float64{3, 2, 5, 3, 5.5}},
		{[]float64{1, nan, 3, 100, 5}, 3, []float64{1, 2, 51.5, 5, 52.5}},
		{[]float64{nan, nan}, 5, []float64{nan, nan}},
		{nil, 5, []float64{}},
	} {
		got := MovingMedian(tt.v, tt.w)
		if len(got) != len(tt.want) {
			t.Fatalf("MovingMedian(%v, %d) = %v", tt.v, tt.w, got)
		}
		for i := range got {
			if got[i] != tt.want[i] && !(math.IsNaN(got[i]) && math.IsNaN(tt.want[i])) {
				t.Errorf("MovingMedian(%v, %d) = %v, want %v", tt.v, tt.w, got, tt.want)
				break
			}
		}
	}
	if got := windowMedian([]float64{1, 2, 3, 4}, 2, -1); !math.IsNaN(got[0]) || got[1] != 1 || got[2] != 1.5 || got[3] != 2.5 {
		t.Errorf("trailing median %v", got)
	}
	for _, tt := range []struct {
		v    []float64
		want float64
	}{
		{[]float64{2, 1.5, 1}, -0.5 / 0.75},
		{[]float64{1, 1, 1}, 0},
		{[]float64{1}, 0},
		{[]float64{1, nan, 3}, 1},
	} {
		if got := fittedChange(tt.v); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("fittedChange(%v) = %v, want %v", tt.v, got, tt.want)
		}
	}
	for n, w := range map[int]int{0: 5, 100: 5, 435: 17, 1000: 41, 1e6: 1001} {
		if got := trendWindow(n); got != w {
			t.Errorf("trendWindow(%d) = %d, want %d", n, got, w)
		}
	}
	if pct(0.384) != "38%" || pct(0.031) != "3.1%" || pct(0.996) != "99.6%" || pct(1.5) != "150%" {
		t.Errorf("pct %s %s %s %s", pct(0.384), pct(0.031), pct(0.996), pct(1.5))
	}
}

// TestRatioRules writes runs whose update ratios sit below, inside and
// above the band (at the peak rate: the second half of the steps runs at a
// tenth of the rate with a tenth of the ratio, which is the same) and
// checks the slow-layers and fast-layers verdicts.
func TestRatioRules(t *testing.T) {
	cases := []struct {
		name  string
		ratio float64
		want  string
	}{
		{"slow", 2e-5, SlowLayers},
		{"healthy", 2e-3, ""},
		{"fast", 0.3, FastLayers},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			metrics := "epoch,step,lr,train_loss,train_acc\n1,50,0.1,1.0,0.8\n2,100,0.01,0.9,0.82\n"
			steps := "step,epoch,batch,lr,loss,acc,grad_norm,update_ratio:a.weight,update_ratio:b.weight\n"
			for s := 1; s <= 100; s++ {
				lr, scale := 0.1, 1.0
				if s > 50 {
					lr, scale = 0.01, 0.1
				}
				steps += fmt.Sprintf("%d,%d,%d,%g,1.0,0.8,1,%g,%g\n", s, (s-1)/50+1, (s-1)%50+1, lr, c.ratio*scale, 2e-3*scale)
			}
			for name, body := range map[string]string{"metrics.csv": metrics, "steps.csv": steps} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			d := Diagnose(r)
			for _, n := range []string{SlowLayers, FastLayers} {
				if d.Has(n) != (n == c.want) {
					t.Errorf("verdicts %v, want %q among them only", d.Names(), c.want)
				}
			}
			if c.want != "" {
				for _, v := range d.Verdicts {
					if v.Name == c.want && (!strings.Contains(v.Finding, "a.weight") || strings.Contains(v.Finding, "b.weight")) {
						t.Errorf("finding %q, want a.weight only", v.Finding)
					}
				}
			}
		})
	}
}
