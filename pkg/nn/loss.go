package nn

import (
	"fmt"
	"math"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// SoftmaxCrossEntropy is the mean cross-entropy between a target
// distribution and softmax(logits), computed stably (log-sum-exp with the
// row maximum subtracted), as PyTorch's nn.CrossEntropyLoss with reduction
// "mean":
//
//	loss = (1/N) Σᵢ Σⱼ −tᵢⱼ · log softmax(zᵢ)ⱼ
//
// Forward takes integer labels (t = onehot(label)); ForwardSoft takes a
// target distribution per row (soft targets, e.g. from mixup or
// distillation).
//
// Smoothing ε in [0, 1] is label smoothing (Szegedy et al. 2016,
// "Rethinking the Inception Architecture for Computer Vision", §7): the
// target becomes (1−ε)·t + ε/C, as PyTorch's label_smoothing, which applies
// it to integer labels and soft targets alike; so does this loss. 0 (the
// zero value) is plain cross-entropy.
type SoftmaxCrossEntropy struct {
	Smoothing float64

	probs   *tensor.Tensor // (N, C) softmax of the last logits
	labels  []int32        // last integer labels (N,), nil after ForwardSoft
	targets *tensor.Tensor // last soft targets (N, C), nil after Forward
	eps     float64        // Smoothing at the last Forward
	dx      *tensor.Tensor // (N, C)
}

// checkSmoothing panics on ε outside [0, 1].
func (l *SoftmaxCrossEntropy) checkSmoothing() {
	if !(l.Smoothing >= 0 && l.Smoothing <= 1) {
		panic(fmt.Sprintf("nn: label smoothing must be in [0, 1], got %v", l.Smoothing))
	}
}

// softmaxRow writes softmax(z) into p and returns the row maximum, its
// index (the first maximum) and log Σ exp(z − max).
func softmaxRow(z, p []float32) (best float32, arg int, logSum float64) {
	best, arg = z[0], 0
	for j, v := range z {
		if v > best {
			best, arg = v, j
		}
	}
	var sum float64
	for j, v := range z {
		e := math.Exp(float64(v - best))
		p[j] = float32(e)
		sum += e
	}
	inv := float32(1 / sum)
	for j := range p {
		p[j] *= inv
	}
	return best, arg, math.Log(sum)
}

// Forward takes logits (N, C) and labels (N,) in [0, C) and returns the mean
// loss and the number of rows whose arg-max equals the label. With
// smoothing ε the target of row i is (1−ε)·onehot(labelᵢ) + ε/C, so the
// row's loss is lse − (1−ε)·z_label − (ε/C)·Σⱼ zⱼ (lse = log Σ exp z).
// labels must stay unchanged until Backward.
func (l *SoftmaxCrossEntropy) Forward(logits *tensor.Tensor, labels []int32) (loss float64, correct int) {
	l.checkSmoothing()
	n, c := logits.Shape[0], logits.Shape[1]
	if len(labels) != n {
		panic(fmt.Sprintf("nn: SoftmaxCrossEntropy got %d labels for %d rows", len(labels), n))
	}
	l.labels, l.targets, l.eps = labels, nil, l.Smoothing
	l.probs = reuse2(l.probs, n, c)
	eps := l.Smoothing
	var total float64
	for i := 0; i < n; i++ {
		z := logits.Data[i*c : (i+1)*c]
		best, arg, lse := softmaxRow(z, l.probs.Data[i*c:(i+1)*c])
		y := labels[i]
		if y < 0 || int(y) >= c {
			panic(fmt.Sprintf("nn: label %d out of range [0,%d)", y, c))
		}
		// −log pⱼ = lse − (zⱼ − best)
		row := lse - float64(z[y]-best)
		if eps != 0 {
			var all float64 // Σⱼ −log pⱼ
			for _, v := range z {
				all += lse - float64(v-best)
			}
			row = (1-eps)*row + eps/float64(c)*all
		}
		total += row
		if arg == int(y) {
			correct++
		}
	}
	return total / float64(n), correct
}

// ForwardSoft takes logits (N, C) and targets (N, C), each row a
// probability distribution (non-negative, summing to 1), and returns the
// mean loss (1/N) Σᵢ Σⱼ −t'ᵢⱼ log softmax(zᵢ)ⱼ, with t' = (1−ε)·t + ε/C
// under smoothing ε, and the number of rows whose logit arg-max equals the
// target's arg-max (first maximum of each). targets must stay unchanged
// until Backward.
func (l *SoftmaxCrossEntropy) ForwardSoft(logits, targets *tensor.Tensor) (loss float64, correct int) {
	l.checkSmoothing()
	n, c := logits.Shape[0], logits.Shape[1]
	if !targets.SameShape(logits.Shape) {
		panic(fmt.Sprintf("nn: SoftmaxCrossEntropy got targets %v for logits %v", targets.Shape, logits.Shape))
	}
	l.labels, l.targets, l.eps = nil, targets, l.Smoothing
	l.probs = reuse2(l.probs, n, c)
	eps, u := l.Smoothing, l.Smoothing/float64(c)
	var total float64
	for i := 0; i < n; i++ {
		z := logits.Data[i*c : (i+1)*c]
		t := targets.Data[i*c : (i+1)*c]
		best, arg, lse := softmaxRow(z, l.probs.Data[i*c:(i+1)*c])
		var row float64
		tArg := 0
		for j, v := range z {
			if t[j] > t[tArg] {
				tArg = j
			}
			tj := (1-eps)*float64(t[j]) + u
			if tj != 0 { // 0·log p is 0, even where p underflows
				row += tj * (lse - float64(v-best))
			}
		}
		total += row
		if arg == tArg {
			correct++
		}
	}
	return total / float64(n), correct
}

// Backward returns d(mean loss)/d(logits) of the last Forward or
// ForwardSoft, shape (N, C): (softmax − target)/N, with the smoothed target
// (1−ε)·onehot(label) + ε/C or (1−ε)·t + ε/C. For soft target rows that do
// not sum to 1 it is the exact gradient (softmax·Σⱼt'ⱼ − t')/N of the loss
// ForwardSoft returned.
func (l *SoftmaxCrossEntropy) Backward() *tensor.Tensor {
	n, c := l.probs.Shape[0], l.probs.Shape[1]
	l.dx = reuse2(l.dx, n, c)
	inv := 1 / float64(n)
	finv := float32(1) / float32(n)
	eps := l.eps
	u := float32(eps / float64(c) * inv)
	for i := 0; i < n; i++ {
		p := l.probs.Data[i*c : (i+1)*c]
		d := l.dx.Data[i*c : (i+1)*c]
		if l.targets == nil {
			for j, v := range p {
				d[j] = v*finv - u
			}
			if eps == 0 {
				d[l.labels[i]] -= finv
			} else {
				d[l.labels[i]] -= float32((1 - eps) * inv)
			}
			continue
		}
		t := l.targets.Data[i*c : (i+1)*c]
		var s float64
		for _, v := range t {
			s += float64(v)
		}
		s = (1-eps)*s + eps // Σⱼ t'ⱼ
		a, b := float32(s*inv), float32((1-eps)*inv)
		for j, v := range p {
			d[j] = v*a - b*t[j] - u
		}
	}
	return l.dx
}
