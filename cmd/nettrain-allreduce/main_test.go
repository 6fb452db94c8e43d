package main

import (
	"math"
	"testing"
)

// TestFit recovers α and β from exact points of a line.
func TestFit(t *testing.T) {
	const alpha, beta = 3e-6, 5e9
	var points []point
	for b := 4; b <= 1<<26; b *= 4 {
		points = append(points, point{Bytes: b, Seconds: alpha + float64(b)/beta})
	}
	a, bw := fit(points)
	if math.Abs(a-alpha) > 1e-9 || math.Abs(bw-beta)/beta > 1e-6 {
		t.Fatalf("fit: α %g β %g, want %g %g", a, bw, alpha, beta)
	}
}

// TestEfficiency checks the projection's limits: communication that fits
// under the backward pass costs nothing, and a network too slow to hide
// it leaves compute/(compute+exposed).
func TestEfficiency(t *testing.T) {
	cases := []struct {
		name  string
		m     stepModel
		nodes int
		alpha float64
		bps   float64
		want  float64
	}{
		// 1M params = 4 MB; 2 nodes: 4 MB·8/10 Gb/s = 3.2 ms, hidden under 2/3 of 30 ms.
		{"hidden", stepModel{"m", 1 << 20, 0.030, 0}, 2, 0, 10e9, 1},
		// ... unless it is in the last bucket: a quarter of 3.36 ms exposed.
		{"last_bucket", stepModel{"m", 1 << 20, 0.030, 0.25}, 2, 0, 10e9, 0.030 / (0.030 + 0.25*(1<<20)*4*8/10e9)},
		// 2 nodes, 1 MB·8 bits at 1 Gb/s = 8.39 ms… with a 3 ms step: 2 ms hidden.
		{"exposed", stepModel{"m", 1 << 18, 0.003, 0}, 2, 0, 1e9, 0.003 / (0.003 + (1<<18)*4*8/1e9 - 0.002)},
		// latency only: 2(N−1)α = 14·1 ms with 8 nodes and a 3 ms step.
		{"latency", stepModel{"m", 1, 0.003, 0}, 8, 1e-3, 1e15, 0.003 / (0.003 + 14e-3 + 1*4*8*14/8/1e15 - 0.002)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := efficiency(tc.m, tc.nodes, tc.alpha, tc.bps); math.Abs(got-tc.want) > 1e-9 {
				t.Fatalf("efficiency %v, want %v", got, tc.want)
			}
		})
	}
}

// TestModelFlag parses --model and rejects malformed values.
func TestModelFlag(t *testing.T) {
	var m modelFlag
	if err := m.Set("cnn:65000:40.5"); err != nil || len(m) != 1 || m[0].Params != 65000 || m[0].StepSeconds != 0.0405 {
		t.Fatalf("Set: %v %+v", err, m)
	}
	if err := m.Set("mlp:10:1:0.75"); err != nil || len(m) != 2 || m[1].LastShare != 0.75 {
		t.Fatalf("Set with LAST_SHARE: %v %+v", err, m)
	}
	for _, bad := range []string{"cnn", "cnn:x:1", "cnn:10:0", "cnn:-1:1", "cnn:1:NaN", "a:1:2:3", "a:1:2:1.5", "a:1:2:3:4"} {
		if err := m.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
}
