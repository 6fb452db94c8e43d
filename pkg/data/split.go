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
// original relative order of their examples; d is not modified. The result
// depends only on (d.N, nVal, seed).
//
// nVal == 0 returns (d, nil, nil). It is an error if nVal < 0 or
// nVal >= d.N (train would be empty).
func SplitValidation(d *Dataset, nVal int, seed uint64) (train, val *Dataset, err error) {
	if d == nil {
		return nil, nil, errors.New("data: SplitValidation of a nil dataset")
	}
	if nVal < 0 || nVal >= d.N {
		return nil, nil, fmt.Errorf("data: validation size %d out of range: want 0 <= n < %d (the number of examples)", nVal, d.N)
	}
	if nVal == 0 {
		return d, nil, nil
	}
	rng := rand.New(rand.NewPCG(seed, splitStream))
	perm := rng.Perm(d.N)
	inVal := make([]bool, d.N)
	for _, i := range perm[:nVal] {
		inVal[i] = true
	}
	trainIdx := make([]int, 0, d.N-nVal)
	valIdx := make([]int, 0, nVal)
	for i, v := range inVal {
		if v {
			valIdx = append(valIdx, i)
		} else {
			trainIdx = append(trainIdx, i)
		}
	}
	return d.Subset(trainIdx), d.Subset(valIdx), nil
}
