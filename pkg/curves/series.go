package curves

import (
	"math"
	"slices"
	"sort"
)

// TrendFraction is the width of the smoothing window for step losses, as
// a fraction of the run's steps: the trend is the centered moving median
// over that many steps (odd, at least MinTrendWindow, at most
// MaxTrendWindow). A median, not an EMA: it follows the curve without
// lag and a single spike does not move it.
const (
	TrendFraction  = 0.04
	MinTrendWindow = 5
	MaxTrendWindow = 1001
)

// trendWindow returns the moving-median window for n points.
func trendWindow(n int) int {
	w := int(math.Round(TrendFraction * float64(n)))
	w = min(max(w, MinTrendWindow), MaxTrendWindow)
	return w | 1
}

// MovingMedian returns the centered moving median of v over an odd window
// w (the window is cut at both ends). NaN and infinite values are skipped:
// a point's median is over the finite values of its window, NaN when there
// is none.
func MovingMedian(v []float64, w int) []float64 {
	return windowMedian(v, w/2, w/2)
}

// windowMedian returns for each i the median of the finite values of
// v[i-before : i+after+1] (cut at the ends; after = -1 is the trailing
// window before i alone), NaN when there is none. It keeps the window
// sorted: O(len(v)·(before+after)).
func windowMedian(v []float64, before, after int) []float64 {
	out := make([]float64, len(v))
	var win []float64 // the finite values of v[lo:hi], sorted
	lo, hi := 0, 0
	for i := range v {
		for ; hi < len(v) && hi <= i+after; hi++ {
			if x := v[hi]; isFinite(x) {
				k := sort.SearchFloat64s(win, x)
				win = slices.Insert(win, k, x)
			}
		}
		for ; lo < i-before; lo++ {
			if x := v[lo]; isFinite(x) && lo < hi {
				k := sort.SearchFloat64s(win, x)
				win = slices.Delete(win, k, k+1)
			}
		}
		out[i] = sortedMedian(win)
	}
	return out
}

// sortedMedian returns the median of sorted values, NaN for none.
func sortedMedian(s []float64) float64 {
	n := len(s)
	switch {
	case n == 0:
		return math.NaN()
	case n%2 == 1:
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// median returns the median of the finite values of v, NaN for none.
func median(v []float64) float64 {
	s := finite(v)
	slices.Sort(s)
	return sortedMedian(s)
}

// finite returns the finite values of v (a new slice).
func finite(v []float64) []float64 {
	s := make([]float64, 0, len(v))
	for _, x := range v {
		if isFinite(x) {
			s = append(s, x)
		}
	}
	return s
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// fittedChange returns the change of the least-squares line through v
// (at x = 0, 1, ...) from its first to its last point, relative to the
// mean of v: -0.1 is a line falling by 10% of the level. NaN values are
// skipped; fewer than two finite values give 0.
func fittedChange(v []float64) float64 {
	rise, mean := fitLine(v)
	if mean == 0 {
		return 0
	}
	return rise / math.Abs(mean)
}

// fitLine returns the rise of the least-squares line through the finite
// values of v (at x = 0, 1, ...) from v's first to its last point, in v's
// units, and their mean; fewer than two finite values give a rise of 0.
func fitLine(v []float64) (rise, mean float64) {
	var n, sx, sy, sxx, sxy float64
	for i, y := range v {
		if !isFinite(y) {
			continue
		}
		x := float64(i)
		n++
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	if n == 0 {
		return 0, 0
	}
	den := n*sxx - sx*sx
	if n < 2 || den == 0 {
		return 0, sy / n
	}
	return (n*sxy - sx*sy) / den * float64(len(v)-1), sy / n
}

// argMin returns the index of the smallest finite value of v, -1 for none.
func argMin(v []float64) int {
	best := -1
	for i, x := range v {
		if isFinite(x) && (best < 0 || x < v[best]) {
			best = i
		}
	}
	return best
}

// argMax returns the index of the largest finite value of v, -1 for none.
func argMax(v []float64) int {
	best := -1
	for i, x := range v {
		if isFinite(x) && (best < 0 || x > v[best]) {
			best = i
		}
	}
	return best
}

// lastFinite returns the last finite value of v and its index (NaN, -1
// for none).
func lastFinite(v []float64) (float64, int) {
	for i := len(v) - 1; i >= 0; i-- {
		if isFinite(v[i]) {
			return v[i], i
		}
	}
	return math.NaN(), -1
}
