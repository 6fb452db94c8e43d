package data

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// splitStream is the PCG stream used by SplitValidation; it differs from the
// Loader's streams so the split is independent of any epoch's shuffle.
const splitStream = 0x243f6a8885a308d3

// SplitValidation carves nVal examples out of d, chosen by a shuffle seeded
// with seed (math/rand/v2 PCG), and returns them as val (shape
// (nVal, C, H, W)) and the other d.N-nVal examples as train. Both keep the
// original relative order of their examples and d's storage; d is not
// modified. The result depends only on (d.N, nVal, seed).
//
// nVal == 0 returns (d, nil, nil). It is an error if nVal < 0 or
// nVal >= d.N (train would be empty).
func SplitValidation(d *Dataset, nVal int, seed uint64) (train, val *Dataset, err error) {
	trainIdx, valIdx, err := splitIndices(d, nVal, seed)
	if err != nil {
		return nil, nil, err
	}
	if nVal == 0 {
		return d, nil, nil
	}
	return d.Subset(trainIdx), d.Subset(valIdx), nil
}

// SplitValidationInPlace is [SplitValidation] without a second copy of the
// training examples: val is a new Dataset and the training examples are
// moved to the front of d's own storage, which becomes the training split
// (d.N = d.N - nVal; the capacity beyond is kept). It returns the same two
// splits as SplitValidation, value for value.
func SplitValidationInPlace(d *Dataset, nVal int, seed uint64) (val *Dataset, err error) {
	trainIdx, valIdx, err := splitIndices(d, nVal, seed)
	if err != nil || nVal == 0 {
		return nil, err
	}
	val = d.Subset(valIdx)
	if d.rows != nil { // a view: move the row indices, not the shared pixels
		for j, i := range trainIdx {
			d.rows[j], d.Y[j] = d.rows[i], d.Y[i]
		}
		n := len(trainIdx)
		d.rows, d.Y, d.N = d.rows[:n], d.Y[:n], n
		return val, nil
	}
	f := d.FeatureLen()
	// trainIdx is increasing and trainIdx[j] >= j: each move reads an
	// example that no earlier move has overwritten.
	for j, i := range trainIdx {
		if d.Pixels != nil {
			copy(d.Pixels[j*f:(j+1)*f], d.Pixels[i*f:(i+1)*f])
		} else {
			copy(d.X[j*f:(j+1)*f], d.X[i*f:(i+1)*f])
		}
		d.Y[j] = d.Y[i]
	}
	n := len(trainIdx)
	if d.Pixels != nil {
		d.Pixels = d.Pixels[:n*f]
	} else {
		d.X = d.X[:n*f]
	}
	d.Y, d.N = d.Y[:n], n
	return val, nil
}

// splitIndices returns the increasing indices of the training and the
// validation examples of SplitValidation(d, nVal, seed).
func splitIndices(d *Dataset, nVal int, seed uint64) (trainIdx, valIdx []int, err error) {
	if d == nil {
		return nil, nil, errors.New("data: SplitValidation of a nil dataset")
	}
	if nVal < 0 || nVal >= d.N {
		return nil, nil, fmt.Errorf("data: validation size %d out of range: want 0 <= n < %d (the number of examples)", nVal, d.N)
	}
	if nVal == 0 {
		return nil, nil, nil
	}
	rng := rand.New(rand.NewPCG(seed, splitStream))
	perm := rng.Perm(d.N)
	inVal := make([]bool, d.N)
	for _, i := range perm[:nVal] {
		inVal[i] = true
	}
	trainIdx = make([]int, 0, d.N-nVal)
	valIdx = make([]int, 0, nVal)
	for i, v := range inVal {
		if v {
			valIdx = append(valIdx, i)
		} else {
			trainIdx = append(trainIdx, i)
		}
	}
	return trainIdx, valIdx, nil
}
