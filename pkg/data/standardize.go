package data

import "math"

// minStd is the floor on a fitted standard deviation, so that a constant
// dataset does not cause a division by zero.
const minStd = 1e-8

// Standardizer is global standardization, x' = (x - Mean) / Std, with one
// Mean and Std over all values of all examples. Fit it on the training split
// only ([FitStandardizer]) and apply the same values to every split.
type Standardizer struct {
	Mean, Std float32
}

// FitStandardizer returns the mean and the population standard deviation of
// all N*C*H*W values of d as readers see them, accumulated in float64 (two
// passes). Std is at least 1e-8. An empty dataset gives {Mean: 0, Std: 1},
// the identity.
func FitStandardizer(d *Dataset) Standardizer {
	if d == nil || d.stored() == 0 {
		return Standardizer{Mean: 0, Std: 1}
	}
	var sum float64
	d.each(func(_ int, x []float32) {
		for _, v := range x {
			sum += float64(v)
		}
	})
	count := float64(d.N * d.FeatureLen())
	mean := sum / count
	var ss float64
	d.each(func(_ int, x []float32) {
		for _, v := range x {
			dv := float64(v) - mean
			ss += dv * dv
		}
	})
	std := math.Sqrt(ss / count)
	return Standardizer{Mean: float32(mean), Std: float32(max(std, minStd))}
}

// Apply standardizes every value of d in place: x = (x - s.Mean) / s.Std.
// A byte-stored d is turned into float storage first.
func (s Standardizer) Apply(d *Dataset) {
	if d == nil {
		return
	}
	d.toFloat()
	for i, v := range d.X {
		d.X[i] = (v - s.Mean) / s.Std
	}
}
