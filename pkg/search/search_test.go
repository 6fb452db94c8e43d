package search

import (
	"math"
	"reflect"
	"strconv"
	"testing"

	"github.com/nettrain/nettrain/pkg/spec"
)

func ptr(v float64) *float64 { return &v }

func TestGrid(t *testing.T) {
	space := []Param{
		{Key: "optimizer.lr", Values: []spec.Scalar{"0.1", "0.01", "0.001"}},
		{Key: "regularization.l2", Values: []spec.Scalar{"0", "1.0e-5"}},
	}
	got := Grid(space)
	want := []Point{{"0.1", "0"}, {"0.1", "1.0e-5"}, {"0.01", "0"}, {"0.01", "1.0e-5"}, {"0.001", "0"}, {"0.001", "1.0e-5"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Grid = %v, want %v", got, want)
	}
	if n := GridSize(space); n != 6 {
		t.Errorf("GridSize = %d, want 6", n)
	}
}

// TestSample: the same seed gives the same points, a point does not
// depend on how many are drawn, values stay in their ranges (log ranges
// cover their decades evenly), ints are whole.
func TestSample(t *testing.T) {
	space := []Param{
		{Key: "optimizer.lr", Min: ptr(1e-4), Max: ptr(1), Log: true},
		{Key: "train.batch_size", Min: ptr(32), Max: ptr(256), Int: true},
		{Key: "model.activation", Values: []spec.Scalar{"relu", "gelu"}},
		{Key: "optimizer.momentum", Min: ptr(0.5), Max: ptr(0.99)},
	}
	a, b := Sample(space, 7, 0, 400), Sample(space, 7, 0, 10)
	if !reflect.DeepEqual(a[:10], b) {
		t.Fatalf("the first 10 of 400 points differ from 10 points")
	}
	if reflect.DeepEqual(Sample(space, 8, 0, 10), b) || reflect.DeepEqual(Sample(space, 7, 1, 10), b) {
		t.Fatalf("another seed or stage gave the same points")
	}
	decades := make([]int, 4)
	acts := map[string]int{}
	for _, pt := range a {
		lr, _ := strconv.ParseFloat(pt[0], 64)
		bs, err := strconv.Atoi(pt[1])
		mom, _ := strconv.ParseFloat(pt[3], 64)
		if lr < 1e-4 || lr > 1 || err != nil || bs < 32 || bs > 256 || mom < 0.5 || mom > 0.99 {
			t.Fatalf("point %v out of its ranges", pt)
		}
		decades[min(3, int(math.Floor(math.Log10(lr)+4)))]++
		acts[pt[2]]++
	}
	for d, n := range decades {
		if n < 70 || n > 130 { // 100 expected per decade
			t.Errorf("decade %d of the log range has %d of 400 points: not log-uniform (%v)", d, n, decades)
		}
	}
	if acts["relu"] < 150 || acts["gelu"] < 150 {
		t.Errorf("choice counts %v: not uniform", acts)
	}
}

// TestNarrow: lists keep the values of the best points, ranges shrink
// around them (padded, on the log scale for log ranges) within the first
// stage's range.
func TestNarrow(t *testing.T) {
	first := []Param{
		{Key: "optimizer.lr", Min: ptr(1e-4), Max: ptr(1), Log: true},
		{Key: "model.activation", Values: []spec.Scalar{"relu", "gelu", "tanh"}},
		{Key: "optimizer.momentum", Min: ptr(0), Max: ptr(1)},
		{Key: "train.batch_size", Min: ptr(32), Max: ptr(256), Int: true},
	}
	best := []Point{{"0.01", "tanh", "0.9", "64"}, {"0.001", "relu", "0.98", "64"}}
	got := Narrow(first, best)
	lr := got[0]
	// span 1e-3..1e-2 is one decade; padded by a quarter decade each side.
	if lo, hi := *lr.Min, *lr.Max; math.Abs(lo-0.000562) > 1e-9 || math.Abs(hi-0.0178) > 1e-9 {
		t.Errorf("lr narrowed to [%g, %g], want [0.000562, 0.0178]", lo, hi)
	}
	if !reflect.DeepEqual(got[1].Values, []spec.Scalar{"relu", "tanh"}) {
		t.Errorf("activation values %v, want [relu tanh]", got[1].Values)
	}
	// span 0.08, padded by max(0.02, 0.05) each side, clipped at 1.
	if lo, hi := *got[2].Min, *got[2].Max; math.Abs(lo-0.85) > 1e-9 || hi != 1 {
		t.Errorf("momentum narrowed to [%g, %g], want [0.85, 1]", lo, hi)
	}
	if lo, hi := *got[3].Min, *got[3].Max; lo != 52 || hi != 76 || lo >= hi {
		t.Errorf("batch size narrowed to [%g, %g], want [52, 76]", lo, hi)
	}
	if *first[0].Min != 1e-4 {
		t.Errorf("Narrow changed the first stage's space")
	}
}

func TestRungEpochs(t *testing.T) {
	for _, tt := range []struct {
		grace, eta, epochs int
		want               []int
	}{
		{1, 3, 9, []int{1, 3, 9}},
		{1, 3, 10, []int{1, 3, 9, 10}},
		{2, 2, 9, []int{2, 4, 8, 9}},
		{1, 3, 1, []int{1}},
		{3, 3, 3, []int{3}},
	} {
		if got := RungEpochs(tt.grace, tt.eta, tt.epochs); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("RungEpochs(%d, %d, %d) = %v, want %v", tt.grace, tt.eta, tt.epochs, got, tt.want)
		}
	}
}

// TestASHA follows the scheduler through a small search: a rung promotes
// its top ⌊n/η⌋, best first, each trial once, higher rungs first; a lost
// trial counts but is never promoted; min mode ranks the other way.
func TestASHA(t *testing.T) {
	a := NewASHA(1, 3, 9, true)
	if _, _, ok := a.Promote(); ok {
		t.Fatal("promoted from an empty rung")
	}
	a.Record(0, 1, 0.5)
	a.Record(0, 2, 0.7)
	if _, _, ok := a.Promote(); ok {
		t.Fatal("promoted with 2 results (< eta)")
	}
	a.Record(0, 3, math.NaN())
	if id, rung, ok := a.Promote(); !ok || id != 2 || rung != 1 {
		t.Fatalf("Promote = %d, %d, %v; want trial 2 to rung 1", id, rung, ok)
	}
	if _, _, ok := a.Promote(); ok {
		t.Fatal("promoted twice from 3 results")
	}
	for id, v := range []float64{0.9, 0.1, 0.2} {
		a.Record(0, 4+id, v)
	}
	// 6 results: top 2 are trial 4 (0.9) and trial 2 (already promoted).
	if id, _, ok := a.Promote(); !ok || id != 4 {
		t.Fatalf("Promote = %d, %v; want trial 4", id, ok)
	}
	a.Record(1, 2, 0.8)
	a.Record(1, 4, 0.6)
	a.Record(1, 9, 0.7)
	if id, rung, ok := a.Promote(); !ok || id != 2 || rung != 2 {
		t.Fatalf("Promote = %d, %d, %v; want trial 2 to rung 2 (higher rungs first)", id, rung, ok)
	}
	lost := NewASHA(1, 3, 9, true)
	for id := range 3 {
		lost.Record(0, id, math.NaN())
	}
	if _, _, ok := lost.Promote(); ok {
		t.Error("promoted a lost trial")
	}
	minMode := NewASHA(1, 3, 9, false)
	for id, v := range []float64{0.5, 0.2, 0.9} {
		minMode.Record(0, id, v)
	}
	if id, _, _ := minMode.Promote(); id != 1 {
		t.Errorf("min mode promoted trial %d, want 1 (the lowest)", id)
	}
}
