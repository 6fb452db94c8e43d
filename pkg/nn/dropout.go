package nn

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/nettrain/nettrain/pkg/rng"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// Dropout is inverted dropout: in training each element is kept with
// probability 1−P and scaled by 1/(1−P), so the expected activation is
// unchanged; in evaluation it is the identity.
//
// The mask is drawn from rng.New(c.Seed, rng.Dropout, c.Step, Salt), so it
// is reproducible for a (seed, step, salt) and distinct layers of one model
// (different salts) draw independent masks. Forward stores the mask for
// Backward.
type Dropout struct {
	P    float64 // drop probability, in [0, 1)
	Salt uint64  // distinguishes this layer's random stream from others'

	train bool           // whether the last Forward applied a mask
	mask  *tensor.Tensor // 0 or 1/(1−P) per element of the last input
	pcg   rand.PCG       // reseeded for every mask
	rnd   *rand.Rand     // draws from pcg
	y, dx *tensor.Tensor
}

// NewDropout returns a dropout layer with drop probability p in [0, 1) and
// the given per-layer salt (e.g. the layer's index in its model). It panics
// on an invalid p: builders validate configurations first.
func NewDropout(p float64, salt uint64) *Dropout {
	if !(p >= 0 && p < 1) {
		panic(fmt.Sprintf("nn: dropout probability must be in [0, 1), got %v", p))
	}
	return &Dropout{P: p, Salt: salt}
}

// Forward: x has any shape. In training (and P > 0) y = x ⊙ mask with a
// fresh mask for (c.Seed, c.Step, Salt); in evaluation y = x.
func (d *Dropout) Forward(c *Context, x *tensor.Tensor) *tensor.Tensor {
	d.train = c.Train && d.P > 0
	d.y = tensor.Ensure(d.y, x.Shape...)
	if !d.train {
		copy(d.y.Data, x.Data)
		return d.y
	}
	d.mask = tensor.Ensure(d.mask, x.Shape...)
	d.fillMask(c)
	y, m := d.y.Data, d.mask.Data
	for i, v := range x.Data {
		y[i] = v * m[i]
	}
	return d.y
}

// fillMask draws the keep mask: each element is kept when a 32-bit uniform
// draw is at least P·2³², i.e. with probability 1−P (to within 2⁻³²).
func (d *Dropout) fillMask(c *Context) {
	if d.rnd == nil {
		d.rnd = rand.New(&d.pcg)
	}
	rng.Reseed(&d.pcg, c.Seed, rng.Dropout, uint64(c.Step), d.Salt)
	drawKeepMask(d.rnd, d.mask.Data, d.P)
}

func keep(u, threshold uint64, scale float32) float32 {
	if u >= threshold {
		return scale
	}
	return 0
}

// Backward returns dx = dy ⊙ mask in training and dy in evaluation.
func (d *Dropout) Backward(_ *Context, dy *tensor.Tensor) *tensor.Tensor {
	d.dx = tensor.Ensure(d.dx, dy.Shape...)
	if !d.train {
		copy(d.dx.Data, dy.Data)
		return d.dx
	}
	dx, m := d.dx.Data, d.mask.Data
	for i, g := range dy.Data {
		dx[i] = g * m[i]
	}
	return d.dx
}

// Mask returns the mask of the last training Forward (0 or 1/(1−P) per
// element), or nil if it has not run in training mode.
func (d *Dropout) Mask() *tensor.Tensor { return d.mask }

// Params returns nil: dropout has no parameters.
func (d *Dropout) Params() []*Param { return nil }

// OutShape is the identity.
func (d *Dropout) OutShape(in []int) ([]int, error) { return slices.Clone(in), nil }

// Describe returns "Dropout(p=0.5)".
func (d *Dropout) Describe() string { return fmt.Sprintf("Dropout(p=%g)", d.P) }
