package report

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/engine"
)

// TestLRRules checks each rule on curves whose answer is known.
func TestLRRules(t *testing.T) {
	// A flat start, a fall from 2 to 0.5 over indices 10..20 (linear in the
	// index), then a rise.
	curve := make([]float64, 30)
	for i := range curve {
		switch {
		case i < 10:
			curve[i] = 2 + 0.001*float64(10-i) // creeping down
		case i <= 20:
			curve[i] = 2 - 0.15*float64(i-10)
		default:
			curve[i] = 0.5 + 0.3*float64(i-20)
		}
	}
	tests := []struct {
		name string
		f    func([]float64) int
		loss []float64
		want int
	}{
		// The longest fall is 0..20 (2.01 → 0.5): 2/3 of the way down is
		// 2.01 − 1.0067 = 1.0033, first reached at index 17 (0.95).
		{"valley", valley, curve, 17},
		// The steepest step: −0.15 everywhere on the fall; the first wins
		// (index 10's central difference is (1.85−2.001)/2 = −0.0755, 11's
		// −0.15).
		{"steep", steepest, curve, 11},
		{"minimum", argmin, curve, 20},
		{"valley of a monotone fall", valley, []float64{4, 3, 2, 1}, 2},
		{"steep at the start", steepest, []float64{4, 1, 0.9, 0.8}, 0},
		{"minimum, first of ties", argmin, []float64{3, 1, 2, 1}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f(tc.loss); got != tc.want {
				t.Errorf("%s = %d, want %d", tc.name, got, tc.want)
			}
		})
	}
}

// TestLRFind runs the range test and the check on the small experiment:
// the rates rise geometrically from --start, the sweep stops on the
// blow-up, every rule suggests a rate inside the sweep, and nothing
// depends on the configured rate.
func TestLRFind(t *testing.T) {
	pool := testfix.Pool(t, 2)
	run := func(lr string) *LRFindReport {
		t.Helper()
		o := DefaultLRFindOptions()
		o.Pool, o.CheckSteps = pool, 30
		rep, err := LRFind(testfix.Config(t, "optimizer.lr="+lr), o)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rep := run("0.05")
	n := len(rep.Points)
	if n < 20 || n > 100 || rep.Points[0].LR != 1e-7 {
		t.Fatalf("%d points from rate %g, want 20..100 from 1e-7", n, rep.Points[0].LR)
	}
	ratio := math.Pow(10/1e-7, 1.0/99)
	for i := 1; i < n; i++ {
		if got := rep.Points[i].LR / rep.Points[i-1].LR; math.Abs(got-ratio) > 1e-9*ratio {
			t.Fatalf("step %d: rate ratio %g, want %g", i+1, got, ratio)
		}
	}
	if n < 100 && !strings.Contains(rep.Stopped, "4× its best") {
		t.Errorf("stopped after %d steps with reason %q", n, rep.Stopped)
	}
	for rule, lr := range rep.Suggestions {
		if !(lr > 1e-8 && lr < rep.Points[n-1].LR) {
			t.Errorf("%s suggests %g, outside the sweep", rule, lr)
		}
	}
	if rep.Suggestion != rep.Suggestions["valley"] || rep.Rule != "valley" {
		t.Errorf("default rule %q suggests %g", rep.Rule, rep.Suggestion)
	}
	if len(rep.Checks) != len(DefaultCheckRates) {
		t.Fatalf("%d checks, want %d", len(rep.Checks), len(DefaultCheckRates))
	}
	for _, c := range rep.Checks {
		if c.Steps != 30 && !c.Diverged {
			t.Errorf("rate %g: %d steps, want 30", c.LR, c.Steps)
		}
		if c.First != rep.Checks[0].First {
			t.Errorf("rate %g starts at loss %g, rate %g at %g: not the same init", c.LR, c.First, rep.Checks[0].LR, rep.Checks[0].First)
		}
	}
	if tiny, good := rep.Checks[3], rep.Checks[1]; !(good.Drop > tiny.Drop) {
		t.Errorf("rate %g dropped the loss by %g, rate %g by %g: want the larger rate to fall further in 30 steps", good.LR, good.Drop, tiny.LR, tiny.Drop)
	}
	// The configured rate plays no part.
	if other := run("0.0005"); !reflect.DeepEqual(other, rep) {
		t.Errorf("optimizer.lr 0.0005 changed the report:\n%+v\nvs\n%+v", other.Suggestions, rep.Suggestions)
	}
}

// TestLRFindBadOptions checks that each bad option is an input error
// naming its flag.
func TestLRFindBadOptions(t *testing.T) {
	cfg := testfix.Config(t)
	for _, tc := range []struct {
		set  func(*LRFindOptions)
		want string
	}{
		{func(o *LRFindOptions) { o.Start = 0 }, "--start"},
		{func(o *LRFindOptions) { o.Start, o.End = 1, 0.5 }, "--end"},
		{func(o *LRFindOptions) { o.Steps = 3 }, "--steps"},
		{func(o *LRFindOptions) { o.Rule = "best" }, "--rule"},
		{func(o *LRFindOptions) { o.CheckRates = []float64{0.1, 0} }, "--rates"},
		{func(o *LRFindOptions) { o.CheckSteps = 0 }, "--check-steps"},
		{func(o *LRFindOptions) { o.CheckWeightDecay = math.NaN() }, "--check-weight-decay"},
		{func(o *LRFindOptions) { o.Beta = 1 }, "beta"},
		{func(o *LRFindOptions) { o.StopFactor = 1 }, "stop factor"},
	} {
		o := DefaultLRFindOptions()
		tc.set(&o)
		_, err := LRFind(cfg, o)
		if err == nil || !engine.IsInputError(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v, want an input error naming %s", err, tc.want)
		}
	}
}

// TestLRFindOutputs checks the CSV files and that the plot renders.
func TestLRFindOutputs(t *testing.T) {
	rep := &LRFindReport{
		Points: []LRPoint{{1, 1e-3, 2.5, 2.5}, {2, 1e-2, 1.5, 2.0}, {3, 1e-1, 9, 3.1}},
		Rule:   "valley", Suggestion: 1e-2,
		Checks: []RateCheck{{LR: 0.1, Steps: 3, First: 2.5, Last: 1, Drop: 1.5}, {LR: 1, Steps: 1, First: 2.5, Last: 2.5, Diverged: true}},
	}
	var b bytes.Buffer
	if err := WriteLRFindCSV(&b, rep); err != nil {
		t.Fatal(err)
	}
	if want := "step,lr,loss,smoothed\n1,0.001,2.5,2.5\n2,0.01,1.5,2\n3,0.1,9,3.1\n"; b.String() != want {
		t.Errorf("lr_find.csv:\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := WriteLRCheckCSV(&b, rep); err != nil {
		t.Fatal(err)
	}
	if want := "lr,steps,first_loss,last_loss,drop,diverged\n0.1,3,2.5,1,1.5,false\n1,1,2.5,2.5,0,true\n"; b.String() != want {
		t.Errorf("lr_check.csv:\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := WriteLRFindPlot(&b, rep, "png"); err != nil || !bytes.HasPrefix(b.Bytes(), []byte("\x89PNG")) {
		t.Errorf("plot: %v, %d bytes", err, b.Len())
	}
	if err := WriteLRFindPlot(&b, rep, "gif"); err == nil || !engine.IsInputError(err) {
		t.Errorf("gif: %v, want an input error", err)
	}
}
