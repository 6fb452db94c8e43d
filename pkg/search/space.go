package search

import (
	"math"
	"slices"
	"strconv"

	"github.com/nettrain/nettrain/pkg/rng"
	"github.com/nettrain/nettrain/pkg/spec"
)

// Point is one trial's values: the YAML text of each searched value, in
// the order of the space.
type Point []string

// Grid enumerates every combination of the space's value lists, the first
// key varying slowest (as nested loops over the keys in order would).
// Every element must be a list.
func Grid(space []Param) []Point {
	points := []Point{{}}
	for _, p := range space {
		var next []Point
		for _, pt := range points {
			for _, v := range p.Values {
				next = append(next, append(slices.Clone(pt), string(v)))
			}
		}
		points = next
	}
	return points
}

// Sample draws n random points for stage (0-based) of a search seeded
// with seed: point i comes from its own stream (seed, stage, i), so it
// does not depend on how many points are drawn. A range is sampled
// uniformly, in log(value) when Log; a list uniformly.
func Sample(space []Param, seed uint64, stage, n int) []Point {
	points := make([]Point, n)
	for i := range points {
		r := rng.New(seed, rng.Search, uint64(stage), uint64(i))
		pt := make(Point, len(space))
		for j, p := range space {
			if !p.IsRange() {
				pt[j] = string(p.Values[r.IntN(len(p.Values))])
				continue
			}
			lo, hi := p.bounds()
			pt[j] = p.format(p.untransform(lo + r.Float64()*(hi-lo)))
		}
		points[i] = pt
	}
	return points
}

// bounds returns the range in the sampling scale (log when Log).
func (p Param) bounds() (lo, hi float64) {
	return p.transform(*p.Min), p.transform(*p.Max)
}

func (p Param) transform(v float64) float64 {
	if p.Log {
		return math.Log(v)
	}
	return v
}

func (p Param) untransform(v float64) float64 {
	if p.Log {
		return math.Exp(v)
	}
	return v
}

// format writes a sampled value: an integer for an int range, otherwise
// rounded to 3 significant digits (0.00347), within the range.
func (p Param) format(v float64) string {
	if p.Int {
		return strconv.FormatInt(int64(math.Round(math.Min(math.Max(v, *p.Min), *p.Max))), 10)
	}
	return spec.FormatFloat(math.Min(math.Max(round3(v), *p.Min), *p.Max))
}

// round3 rounds v to 3 significant digits.
func round3(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	return r
}

// Narrow returns the space of a finer stage around the points of the best
// trials of the stage before: a list keeps the values those points use (in
// its order); a range shrinks to the span of their values, widened on each
// side by a quarter of that span or a twentieth of the first stage's range
// (in the log scale for a log range), whichever is more, rounded to 3
// significant digits and clipped to the first stage's range. first is the
// first stage's space, which bounds every later one.
func Narrow(first []Param, best []Point) []Param {
	out := make([]Param, len(first))
	for j, p := range first {
		q := p
		if !p.IsRange() {
			q.Values = nil
			for _, v := range p.Values {
				if slices.ContainsFunc(best, func(pt Point) bool { return pt[j] == string(v) }) {
					q.Values = append(q.Values, v)
				}
			}
			out[j] = q
			continue
		}
		flo, fhi := p.bounds()
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, pt := range best {
			v, err := strconv.ParseFloat(pt[j], 64)
			if err != nil {
				continue
			}
			t := p.transform(v)
			lo, hi = math.Min(lo, t), math.Max(hi, t)
		}
		if lo > hi { // no numeric value: keep the range
			out[j] = q
			continue
		}
		pad := math.Max((hi-lo)/4, (fhi-flo)/20)
		nlo, nhi := round3(p.untransform(math.Max(flo, lo-pad))), round3(p.untransform(math.Min(fhi, hi+pad)))
		nlo, nhi = math.Max(nlo, *p.Min), math.Min(nhi, *p.Max)
		if p.Int {
			nlo, nhi = math.Floor(nlo), math.Ceil(nhi)
			if nlo == nhi {
				nhi = math.Min(nhi+1, *p.Max)
				nlo = math.Min(nlo, nhi-1)
			}
		}
		q.Min, q.Max = &nlo, &nhi
		out[j] = q
	}
	return out
}

// AllLists reports whether every element of space is a list (so a stage
// over it is a grid).
func AllLists(space []Param) bool {
	for _, p := range space {
		if p.IsRange() {
			return false
		}
	}
	return true
}

// Bounds returns the text of a range's bounds as trials would set them
// (integers for an int range).
func Bounds(p Param) (lo, hi string) {
	if p.Int {
		return strconv.FormatInt(int64(*p.Min), 10), strconv.FormatInt(int64(*p.Max), 10)
	}
	return spec.FormatFloat(*p.Min), spec.FormatFloat(*p.Max)
}
