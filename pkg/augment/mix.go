package augment

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/nettrain/nettrain/pkg/rng"
)

// mixTag is the extra index that separates batch-level mixing streams from
// the per-example streams rng.New(seed, rng.Augment, epoch, index). Part of
// the reproducibility contract: never change it.
const mixTag = 0x6d6978 // "mix"

// MixRand returns the random stream for batch-level mixing (Mixup, CutMix)
// of optimizer step step in epoch epoch: rng.New(seed, rng.Augment, epoch,
// step, mixTag), independent of every per-example stream. It panics on
// negative arguments.
func MixRand(seed uint64, epoch, step int) *rand.Rand {
	if epoch < 0 || step < 0 {
		panic(fmt.Sprintf("augment: MixRand: negative epoch %d or step %d", epoch, step))
	}
	return rng.New(seed, rng.Augment, uint64(epoch), uint64(step), mixTag)
}

// gamma draws from Gamma(shape, 1) by Marsaglia & Tsang's method (2000),
// boosted by U^(1/shape) for shape < 1. It uses only r, so it is as
// deterministic as r.
func gamma(r *rand.Rand, shape float64) float64 {
	if shape < 1 {
		u := r.Float64()
		return gamma(r, shape+1) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		var x, v float64
		for v <= 0 {
			x = r.NormFloat64()
			v = 1 + c*x
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// Beta draws from Beta(a, b) as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b)
// drawn in that order from r. When both underflow to 0 (tiny a and b) it
// returns 0 or 1 with the odds a : b, the limit distribution. It panics
// unless a, b > 0.
func Beta(r *rand.Rand, a, b float64) float64 {
	if !(a > 0 && b > 0) {
		panic(fmt.Sprintf("augment: Beta: parameters must be > 0, got %g, %g", a, b))
	}
	x, y := gamma(r, a), gamma(r, b)
	if x+y == 0 {
		if r.Float64()*(a+b) < a {
			return 1
		}
		return 0
	}
	return x / (x + y)
}

// checkBatch panics unless the batch arguments are consistent.
func checkBatch(who string, x []float32, labels []int32, n, c, h, w, classes int, soft []float32) {
	if n < 1 || c < 1 || h < 1 || w < 1 || classes < 1 || len(x) != n*c*h*w || len(labels) != n || len(soft) != n*classes {
		panic(fmt.Sprintf("augment: %s: inconsistent shapes: len(x)=%d, len(labels)=%d, len(soft)=%d for n=%d c=%d h=%d w=%d classes=%d",
			who, len(x), len(labels), len(soft), n, c, h, w, classes))
	}
	for i, y := range labels {
		if y < 0 || int(y) >= classes {
			panic(fmt.Sprintf("augment: %s: label %d of example %d outside [0, %d)", who, y, i, classes))
		}
	}
}

// mixTargets writes soft (n, classes): row i is lam·onehot(labels[i]) +
// (1−lam)·onehot(labels[perm[i]]).
func mixTargets(labels []int32, perm []int, classes int, lam float64, soft []float32) {
	clear(soft)
	for i, y := range labels {
		row := soft[i*classes : (i+1)*classes]
		row[y] += float32(lam)
		row[labels[perm[i]]] += float32(1 - lam)
	}
}

// Mixup is mixup (Zhang et al. 2018) on a batch: it draws λ ~ Beta(α, α)
// and a permutation π of the batch (r.Perm(n)), replaces every example of x
// (shape (n, c, h, w)) by λ·x[i] + (1−λ)·x[π(i)], and writes the soft
// targets soft (shape (n, classes), each row summing to 1) as λ·onehot(y[i])
// + (1−λ)·onehot(y[π(i)]). labels has shape (n,). It returns λ. Draws: λ,
// then π. Use MixRand for r. It panics on inconsistent shapes, a label
// outside [0, classes) or alpha <= 0.
func Mixup(x []float32, labels []int32, n, c, h, w, classes int, alpha float64, r *rand.Rand, soft []float32) float64 {
	checkBatch("Mixup", x, labels, n, c, h, w, classes, soft)
	lam := Beta(r, alpha, alpha)
	perm := r.Perm(n)
	orig := append([]float32(nil), x...)
	f := c * h * w
	l := float32(lam)
	for i, j := range perm {
		a, b := x[i*f:(i+1)*f], orig[j*f:(j+1)*f]
		for k := range a {
			a[k] = l*a[k] + (1-l)*b[k]
		}
	}
	mixTargets(labels, perm, classes, lam, soft)
	return lam
}

// CutMix is CutMix (Yun et al. 2019) on a batch: it draws λ ~ Beta(α, α), a
// permutation π (r.Perm(n)) and one box for the whole batch — side
// fractions sqrt(1−λ) of H and W (truncated to whole pixels), centre
// uniform over the pixels, clipped to the image — and pastes that box of
// x[π(i)] into every example x[i] (shape (n, c, h, w), all channels). The
// label weight is then the exact kept area: λ' = 1 − box area/(h·w), and
// soft (n, classes) rows are λ'·onehot(y[i]) + (1−λ')·onehot(y[π(i)]). It
// returns λ'. Draws: λ, π, the centre row, then the centre column. It panics
// like Mixup.
func CutMix(x []float32, labels []int32, n, c, h, w, classes int, alpha float64, r *rand.Rand, soft []float32) float64 {
	checkBatch("CutMix", x, labels, n, c, h, w, classes, soft)
	lam := Beta(r, alpha, alpha)
	perm := r.Perm(n)
	cut := math.Sqrt(1 - lam)
	ch, cw := int(float64(h)*cut), int(float64(w)*cut)
	cy, cx := r.IntN(h), r.IntN(w)
	y0, y1 := max(0, cy-ch/2), min(h, cy+ch/2)
	x0, x1 := max(0, cx-cw/2), min(w, cx+cw/2)
	if y1 > y0 && x1 > x0 {
		orig := append([]float32(nil), x...)
		f := c * h * w
		for i, j := range perm {
			for ci := range c {
				for y := y0; y < y1; y++ {
					o := ci*h*w + y*w
					copy(x[i*f+o+x0:i*f+o+x1], orig[j*f+o+x0:j*f+o+x1])
				}
			}
		}
	}
	area := max(0, y1-y0) * max(0, x1-x0)
	lam = 1 - float64(area)/float64(h*w)
	mixTargets(labels, perm, classes, lam, soft)
	return lam
}

// SmoothLabels writes label-smoothed targets soft (shape (n, classes), n =
// len(labels)): (1−eps)·onehot(y) + eps/classes, PyTorch's
// CrossEntropyLoss(label_smoothing=eps). It panics on a length mismatch,
// a label outside [0, classes) or eps outside [0, 1].
func SmoothLabels(labels []int32, classes int, eps float64, soft []float32) {
	if classes < 1 || len(soft) != len(labels)*classes {
		panic(fmt.Sprintf("augment: SmoothLabels: len(soft)=%d, want %d·%d", len(soft), len(labels), classes))
	}
	for i, y := range labels {
		if y < 0 || int(y) >= classes {
			panic(fmt.Sprintf("augment: SmoothLabels: label %d of example %d outside [0, %d)", y, i, classes))
		}
	}
	clear(soft)
	for i, y := range labels {
		soft[i*classes+int(y)] = 1
	}
	SmoothTargets(soft, classes, eps)
}

// SmoothTargets smooths soft targets in place (shape (n, classes)): t ←
// (1−eps)·t + eps/classes. Smoothing is affine, so applying it after Mixup
// or CutMix equals mixing smoothed labels. It panics if len(soft) is not a
// multiple of classes or eps is outside [0, 1].
func SmoothTargets(soft []float32, classes int, eps float64) {
	if classes < 1 || len(soft)%classes != 0 {
		panic(fmt.Sprintf("augment: SmoothTargets: len(soft)=%d is not a multiple of classes=%d", len(soft), classes))
	}
	if !(eps >= 0 && eps <= 1) {
		panic(fmt.Sprintf("augment: SmoothTargets: eps must be in [0, 1], got %g", eps))
	}
	keep, add := float32(1-eps), float32(eps/float64(classes))
	for i, t := range soft {
		soft[i] = keep*t + add
	}
}
