package lrsched

import (
	"math"
	"strings"
	"testing"
)

// TestSWA: the base schedule before start, then SWALR's anneal from the
// rate at start to swa_lr, then swa_lr.
func TestSWA(t *testing.T) {
	base := func(step int) float64 { return 1 / float64(step+1) }
	cos, err := SWA(base, 10, 4, 0.01, "cos")
	if err != nil {
		t.Fatal(err)
	}
	lin, err := SWA(base, 10, 4, 0.01, "linear")
	if err != nil {
		t.Fatal(err)
	}
	jump, err := SWA(base, 10, 0, 0.01, "cos")
	if err != nil {
		t.Fatal(err)
	}
	from := base(10)
	cases := []struct {
		name string
		s    Schedule
		step int
		want float64
	}{
		{"before", cos, 9, base(9)},
		{"start", cos, 10, from},
		{"cos half way", cos, 12, 0.01 + (from-0.01)/2},
		{"cos quarter", cos, 11, 0.01 + (from-0.01)*(1+math.Cos(math.Pi/4))/2},
		{"linear quarter", lin, 11, from + (0.01-from)/4},
		{"annealed", cos, 14, 0.01},
		{"long after", lin, 1000, 0.01},
		{"no anneal", jump, 10, 0.01},
	}
	for _, tc := range cases {
		if got := tc.s(tc.step); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: step %d: %v, want %v", tc.name, tc.step, got, tc.want)
		}
	}
	for _, bad := range []struct {
		lr       float64
		strategy string
		want     string
	}{{0, "cos", "lr: must be > 0"}, {0.1, "cosine", `unknown strategy "cosine"`}} {
		if _, err := SWA(base, 1, 1, bad.lr, bad.strategy); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("SWA(lr %v, %q): %v, want %q", bad.lr, bad.strategy, err, bad.want)
		}
	}
}
