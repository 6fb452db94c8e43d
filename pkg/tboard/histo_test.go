package tboard

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func TestNewHisto(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	cases := []struct {
		name    string
		values  []float32
		buckets int
		want    Histo
	}{
		{"empty", nil, 10, Histo{}},
		{"only non-finite", []float32{nan, inf, -inf}, 10, Histo{}},
		{"one value", []float32{-2}, 5, Histo{Min: -2, Max: -2, Num: 1, Sum: -2, SumSquares: 4, BucketLimits: []float64{-2}, Buckets: []float64{1}}},
		{"all equal", []float32{3, 3, 3}, 10, Histo{Min: 3, Max: 3, Num: 3, Sum: 9, SumSquares: 27, BucketLimits: []float64{3}, Buckets: []float64{3}}},
		{"edges go right, max in last", []float32{0, 1, 2, 3}, 3, Histo{Min: 0, Max: 3, Num: 4, Sum: 6, SumSquares: 14, BucketLimits: []float64{1, 2, 3}, Buckets: []float64{1, 1, 2}}},
		{"non-finite left out", []float32{nan, 0, 1, inf, 2, 3, -inf}, 3, Histo{Min: 0, Max: 3, Num: 4, Sum: 6, SumSquares: 14, BucketLimits: []float64{1, 2, 3}, Buckets: []float64{1, 1, 2}}},
		{"negative range", []float32{4, -4, -1, 0}, 2, Histo{Min: -4, Max: 4, Num: 4, Sum: -1, SumSquares: 33, BucketLimits: []float64{0, 4}, Buckets: []float64{2, 2}}},
		{"one bucket", []float32{1, 5}, 1, Histo{Min: 1, Max: 5, Num: 2, Sum: 6, SumSquares: 26, BucketLimits: []float64{5}, Buckets: []float64{2}}},
		{"empty buckets kept", []float32{0, 10}, 5, Histo{Min: 0, Max: 10, Num: 2, Sum: 10, SumSquares: 100, BucketLimits: []float64{2, 4, 6, 8, 10}, Buckets: []float64{1, 0, 0, 0, 1}}},
		{"float32 extremes", []float32{-math.MaxFloat32, math.MaxFloat32}, 2, Histo{Min: -math.MaxFloat32, Max: math.MaxFloat32, Num: 2, Sum: 0, SumSquares: 2 * math.MaxFloat32 * math.MaxFloat32, BucketLimits: []float64{0, math.MaxFloat32}, Buckets: []float64{1, 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := NewHisto(c.values, c.buckets); !reflect.DeepEqual(got, c.want) {
				t.Errorf("NewHisto(%v, %d) =\n %+v\nwant %+v", c.values, c.buckets, got, c.want)
			}
		})
	}
}

// TestNewHistoInvariants checks random inputs: the counts add up to Num, the
// limits ascend and end at Max, and every value lies in its bucket.
func TestNewHistoInvariants(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n, buckets := r.IntN(300), 1+r.IntN(40)
		values := make([]float32, n)
		for i := range values {
			values[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(6)-3)))
			if r.IntN(50) == 0 {
				values[i] = float32(math.NaN())
			}
		}
		h := NewHisto(values, buckets)
		finite := slices.DeleteFunc(slices.Clone(values), func(v float32) bool { return v != v })
		if h.Num != float64(len(finite)) {
			t.Fatalf("trial %d: Num %v, want %d", trial, h.Num, len(finite))
		}
		if len(finite) == 0 {
			continue
		}
		var total float64
		for _, c := range h.Buckets {
			total += c
		}
		if total != h.Num || len(h.Buckets) != len(h.BucketLimits) {
			t.Fatalf("trial %d: counts add to %v, Num %v, %d counts for %d limits", trial, total, h.Num, len(h.Buckets), len(h.BucketLimits))
		}
		if h.BucketLimits[len(h.BucketLimits)-1] != h.Max || !slices.IsSorted(h.BucketLimits) {
			t.Fatalf("trial %d: limits %v, max %v", trial, h.BucketLimits, h.Max)
		}
		if h.Min != float64(slices.Min(finite)) || h.Max != float64(slices.Max(finite)) {
			t.Fatalf("trial %d: min %v max %v", trial, h.Min, h.Max)
		}
		// Recount with the documented rule, the limits as right edges: a value
		// equal to an edge belongs to the next bucket, max to the last. (No
		// value of this seed lies within rounding of an edge.)
		counts := make([]float64, len(h.Buckets))
		for _, v := range finite {
			i, _ := slices.BinarySearchFunc(h.BucketLimits, float64(v), func(limit, x float64) int {
				if limit <= x {
					return -1
				}
				return 1
			})
			counts[min(i, len(counts)-1)]++
		}
		if !slices.Equal(counts, h.Buckets) {
			t.Fatalf("trial %d: recounted %v, NewHisto %v", trial, counts, h.Buckets)
		}
	}
}

func TestNewHistoPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewHisto with 0 buckets did not panic")
		}
	}()
	NewHisto([]float32{1}, 0)
}
