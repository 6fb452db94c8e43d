package nn

import (
	"fmt"
	"math"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// SoftmaxCrossEntropy is the mean negative log-likelihood of integer labels
// under softmax(logits), computed stably (log-sum-exp with the row maximum
// subtracted), as PyTorch's nn.CrossEntropyLoss with reduction "mean".
type SoftmaxCrossEntropy struct {
	probs  *tensor.Tensor // (N, C) softmax of the last logits
	labels []int32
	dx     *tensor.Tensor // (N, C)
}

// Forward takes logits (N, C) and labels (N,) in [0, C) and returns the mean
// loss and the number of rows whose arg-max equals the label.
func (l *SoftmaxCrossEntropy) Forward(logits *tensor.Tensor, labels []int32) (loss float64, correct int) {
	n, c := logits.Shape[0], logits.Shape[1]
	if len(labels) != n {
		panic(fmt.Sprintf("nn: SoftmaxCrossEntropy got %d labels for %d rows", len(labels), n))
	}
	l.labels = labels
	l.probs = tensor.Ensure(l.probs, n, c)
	var total float64
	for i := 0; i < n; i++ {
		z := logits.Data[i*c : (i+1)*c]
		p := l.probs.Data[i*c : (i+1)*c]
		best, arg := z[0], 0
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
		y := labels[i]
		if y < 0 || int(y) >= c {
			panic(fmt.Sprintf("nn: label %d out of range [0,%d)", y, c))
		}
		total += math.Log(sum) - float64(z[y]-best)
		if arg == int(y) {
			correct++
		}
	}
	return total / float64(n), correct
}

// Backward returns d(mean loss)/d(logits) = (softmax − onehot(label)) / N,
// shape (N, C).
func (l *SoftmaxCrossEntropy) Backward() *tensor.Tensor {
	n, c := l.probs.Shape[0], l.probs.Shape[1]
	l.dx = tensor.Ensure(l.dx, n, c)
	inv := float32(1) / float32(n)
	for i := 0; i < n; i++ {
		p := l.probs.Data[i*c : (i+1)*c]
		d := l.dx.Data[i*c : (i+1)*c]
		for j, v := range p {
			d[j] = v * inv
		}
		d[l.labels[i]] -= inv
	}
	return l.dx
}
