package augment

import (
	"fmt"
	"math/rand/v2"
)

// Image is one example of shape (C,H,W), stored channel by channel, row by
// row: the value of channel c at row y, column x is Pix[(c*H+y)*W+x], and
// len(Pix) == C*H*W. Values are nominally in [0,1] (the data loaders' range
// before standardization); ops that follow torchvision's colour functions
// clamp their results to [0,1].
type Image struct {
	C, H, W int
	Pix     []float32
}

// Clone returns a deep copy of m.
func (m *Image) Clone() Image {
	return Image{C: m.C, H: m.H, W: m.W, Pix: append([]float32(nil), m.Pix...)}
}

// check panics unless m is a well-formed image: a malformed image is a
// programmer error.
func (m *Image) check(who string) {
	if m.C < 1 || m.H < 1 || m.W < 1 || len(m.Pix) != m.C*m.H*m.W {
		panic(fmt.Sprintf("augment: %s: image shape (%d,%d,%d) does not match len(Pix)=%d", who, m.C, m.H, m.W, len(m.Pix)))
	}
}

// Op is one augmentation. Apply draws its random parameters from r and
// transforms img in place; an op that changes the image's size replaces
// img.Pix (keeping its backing array when it is large enough) and updates
// img.H and img.W. Apply panics on a malformed image or an op whose
// parameters fail its Validate: both are programmer errors (New validates
// every op it builds).
type Op interface {
	Apply(img *Image, r *rand.Rand)
}

// FillMode says how a sampler reads points outside the input image.
type FillMode uint8

const (
	// FillConstant reads Fill.Value outside the image (torch "constant"/"zeros").
	FillConstant FillMode = iota
	// FillEdge replicates the nearest edge pixel (torch "edge"/"border"/"replicate").
	FillEdge
	// FillReflect mirrors about the edge pixels without repeating them:
	// index -1 reads 1, index W reads W-2 (torch/numpy "reflect").
	FillReflect
)

// fillModeNames is the registry of fill mode names used by Spec.Fill for
// geometric ops.
var fillModeNames = map[string]FillMode{
	"constant": FillConstant,
	"edge":     FillEdge,
	"reflect":  FillReflect,
}

// String returns the mode's name as Spec.Fill spells it.
func (m FillMode) String() string {
	for k, v := range fillModeNames {
		if v == m {
			return k
		}
	}
	return fmt.Sprintf("FillMode(%d)", uint8(m))
}

// Fill is a border policy: the mode and, for FillConstant, the value read
// outside the image. The zero Fill is a constant 0 (zero padding).
type Fill struct {
	Mode  FillMode
	Value float32
}

// index maps a possibly out-of-range index i along an axis of length n to an
// in-range index, or reports false when the fill constant must be read.
func (f Fill) index(i, n int) (int, bool) {
	if i >= 0 && i < n {
		return i, true
	}
	switch f.Mode {
	case FillEdge:
		if i < 0 {
			return 0, true
		}
		return n - 1, true
	case FillReflect:
		if n == 1 {
			return 0, true
		}
		p := 2 * (n - 1)
		i %= p
		if i < 0 {
			i += p
		}
		if i >= n {
			i = p - i
		}
		return i, true
	}
	return 0, false
}

// clamp01 clamps v to [0,1].
func clamp01(v float32) float32 {
	if v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}
