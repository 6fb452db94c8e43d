package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/nettrain/nettrain/pkg/rng"
)

// Sub-streams of rng.Dropout. Dropout draws from (seed, rng.Dropout, step,
// salt); the other stochastic layers add one of these tags as a last index,
// so that a layer of another kind with the same salt draws independently.
// Values are part of the reproducibility contract: never renumber them.
const (
	tagDropConnect     uint64 = 1
	tagStochasticDepth uint64 = 2
	tagFractionalPool  uint64 = 3
)

// stepRand is a reseedable random stream that does not allocate once
// created.
type stepRand struct {
	pcg rand.PCG
	rnd *rand.Rand
}

// reseed sets the stream to rng.New(seed, rng.Dropout, index, salt, tag)
// and returns it.
func (s *stepRand) reseed(seed, index, salt, tag uint64) *rand.Rand {
	if s.rnd == nil {
		s.rnd = rand.New(&s.pcg)
	}
	rng.Reseed(&s.pcg, seed, rng.Dropout, index, salt, tag)
	return s.rnd
}

// drawKeepMask fills m with 1/(1−p) (kept) or 0 (dropped): an element is
// kept when a 32-bit uniform draw is at least p·2³², i.e. with probability
// 1−p (to within 2⁻³²). Two elements are drawn per 64-bit value.
func drawKeepMask(r *rand.Rand, m []float32, p float64) {
	threshold := uint64(math.Ceil(p * (1 << 32))) // in [0, 2³²]
	scale := float32(1 / (1 - p))
	for i := 0; i < len(m); i += 2 {
		u := r.Uint64()
		m[i] = keep(u&0xffffffff, threshold, scale)
		if i+1 < len(m) {
			m[i+1] = keep(u>>32, threshold, scale)
		}
	}
}

// checkProb reports a probability outside [0, 1).
func checkProb(what string, p float64) error {
	if !(p >= 0 && p < 1) {
		return fmt.Errorf("%s probability must be in [0, 1), got %v", what, p)
	}
	return nil
}

// dropConnect is the DropConnect state of a Linear or Conv2d layer
// (Wan et al. 2013, "Regularization of Neural Networks using DropConnect",
// ICML): in training each weight is kept with probability 1−p and scaled by
// 1/(1−p), or zeroed, the mask drawn afresh every step from
// (seed, rng.Dropout, step, salt, tagDropConnect) and shared by the whole
// batch; in evaluation all weights are used, unscaled.
//
// This is the "inverted" form with one mask per mini-batch, as DropConnect
// is commonly implemented (e.g. the weight-dropped LSTM of Merity et al.
// 2018). The paper draws one mask per example and, at test time, averages
// over masks with a Gaussian moment-matching approximation; with inverted
// scaling the mean network (all weights, unscaled) has the same expected
// pre-activation as training, which is what this implements.
type dropConnect struct {
	active bool      // the last Forward applied a mask
	mask   []float32 // (weight shape) 0 or 1/(1−p)
	w      []float32 // (weight shape) masked weights W ⊙ mask
	dw     []float32 // (weight shape) unmasked weight gradient scratch
	rand   stepRand
}

// weights returns the weights a Forward uses: W ⊙ mask for a fresh mask in
// training with p > 0, else W itself.
func (d *dropConnect) weights(c *Context, p float64, salt uint64, w []float32) []float32 {
	d.active = c != nil && c.Train && p > 0
	if !d.active {
		return w
	}
	if err := checkProb("DropConnect", p); err != nil {
		panic("nn: " + err.Error())
	}
	d.mask = reuseFloats(d.mask, len(w))
	d.w = reuseFloats(d.w, len(w))
	drawKeepMask(d.rand.reseed(c.Seed, uint64(c.Step), salt, tagDropConnect), d.mask, p)
	for i, v := range w {
		d.w[i] = v * d.mask[i]
	}
	return d.w
}

// gradScratch returns a zeroed weight-gradient buffer of n values.
func (d *dropConnect) gradScratch(n int) []float32 {
	d.dw = reuseFloats(d.dw, n)
	clear(d.dw)
	return d.dw
}

// accumulate adds the scratch gradient, masked and scaled like the weights
// (d(W⊙m)/dW = m), into grad.
func (d *dropConnect) accumulate(grad []float32) {
	for i, g := range d.dw {
		grad[i] += g * d.mask[i]
	}
}

// lastMask returns the mask of the last training Forward, or nil.
func (d *dropConnect) lastMask() []float32 {
	if !d.active {
		return nil
	}
	return d.mask
}
