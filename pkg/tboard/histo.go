package tboard

import (
	"fmt"
	"math"
)

// Histo is a histogram as TensorBoard's HistogramProto stores it. Bucket i
// counts the values from BucketLimits[i-1] (or Min, for i = 0) up to
// BucketLimits[i]; the two slices have the same length.
type Histo struct {
	// Min and Max are the smallest and largest value.
	Min float64 `json:"min"`
	Max float64 `json:"max"`
	// Num is the number of values.
	Num float64 `json:"num"`
	// Sum and SumSquares are the sum of the values and of their squares.
	Sum        float64 `json:"sum"`
	SumSquares float64 `json:"sum_squares"`
	// BucketLimits are the right edges of the buckets, ascending.
	BucketLimits []float64 `json:"bucket_limits"`
	// Buckets are the counts of the buckets.
	Buckets []float64 `json:"buckets"`
}

// NewHisto returns the histogram of values in the given number of
// equal-width buckets over [min, max]. A bucket holds the values from its left
// edge up to, not including, its right edge; the last one includes max, and
// its limit is exactly max. When all values are equal there is one bucket,
// with limit max. NaN and ±Inf values are left out entirely (of Num, Sum and
// the buckets too), so an input with no finite value gives the zero Histo.
// Sums accumulate in float64. NewHisto panics if buckets < 1.
func NewHisto(values []float32, buckets int) Histo {
	if buckets < 1 {
		panic(fmt.Sprintf("tboard: NewHisto with %d buckets, want at least 1", buckets))
	}
	h := Histo{Min: math.Inf(1), Max: math.Inf(-1)}
	for _, v := range values {
		x := float64(v)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		h.Num++
		h.Sum += x
		h.SumSquares += float64(x * x) // the conversion forbids a fused multiply-add
		h.Min = min(h.Min, x)
		h.Max = max(h.Max, x)
	}
	if h.Num == 0 {
		return Histo{}
	}
	if h.Min == h.Max {
		h.BucketLimits = []float64{h.Max}
		h.Buckets = []float64{h.Num}
		return h
	}
	width := (h.Max - h.Min) / float64(buckets)
	h.BucketLimits = make([]float64, buckets)
	h.Buckets = make([]float64, buckets)
	for i := range buckets - 1 {
		h.BucketLimits[i] = h.Min + float64(float64(i+1)*width)
	}
	h.BucketLimits[buckets-1] = h.Max
	for _, v := range values {
		x := float64(v)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		i := int((x - h.Min) / width)
		if i >= buckets {
			i = buckets - 1
		}
		h.Buckets[i]++
	}
	return h
}

// appendProto appends h serialized as a HistogramProto.
func (h *Histo) appendProto(b []byte) []byte {
	b = appendDouble(b, 1, h.Min)
	b = appendDouble(b, 2, h.Max)
	b = appendDouble(b, 3, h.Num)
	b = appendDouble(b, 4, h.Sum)
	b = appendDouble(b, 5, h.SumSquares)
	b = appendPackedDoubles(b, 6, h.BucketLimits)
	return appendPackedDoubles(b, 7, h.Buckets)
}

// decodeHisto parses a serialized HistogramProto.
func decodeHisto(m []byte) (*Histo, error) {
	h := &Histo{}
	err := walk(m, func(f field) error {
		switch f.num {
		case 1:
			return f.double(&h.Min)
		case 2:
			return f.double(&h.Max)
		case 3:
			return f.double(&h.Num)
		case 4:
			return f.double(&h.Sum)
		case 5:
			return f.double(&h.SumSquares)
		case 6:
			return f.doubles(&h.BucketLimits)
		case 7:
			return f.doubles(&h.Buckets)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	return h, nil
}
