package engine

import (
	"math"

	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// Probabilities runs m in evaluation mode over every example of d, in
// order, in batches of batchSize, on pool, and returns the softmax of the
// logits in float64, (N, classes) row-major: what an ensemble averages.
func Probabilities(m *model.Model, d *data.Dataset, batchSize int, pool *tensor.Pool) []float64 {
	c := m.Classes
	probs := make([]float64, d.N*c)
	if d.N == 0 {
		return probs
	}
	loader := data.NewLoader(d, batchSize, false, false, 0)
	loader.Epoch(0)
	feat := d.FeatureLen()
	xbuf := make([]float32, batchSize*feat)
	ybuf := make([]int32, batchSize)
	ctx := &nn.Context{Train: false, Pool: pool}
	row := 0
	for b := 0; b < loader.NumBatches(); b++ {
		n := loader.Batch(b, xbuf, ybuf)
		logits := m.Net.Forward(ctx, tensor.FromData(xbuf[:n*feat], n, d.C, d.H, d.W))
		for i := 0; i < n; i++ {
			softmax(probs[(row+i)*c:(row+i+1)*c], logits.Data[i*c:(i+1)*c])
		}
		row += n
	}
	return probs
}

// softmax sets p to the softmax of z, in float64 (max subtracted).
func softmax(p []float64, z []float32) {
	hi := float64(z[0])
	for _, v := range z {
		hi = math.Max(hi, float64(v))
	}
	var sum float64
	for j, v := range z {
		p[j] = math.Exp(float64(v) - hi)
		sum += p[j]
	}
	for j := range p {
		p[j] /= sum
	}
}

// minProbability bounds the probability of the true class in Score's
// loss, so that an ensemble that gives a label probability 0 (a vote, or
// underflow) has a finite loss: −ln(1e-12) ≈ 27.6.
const minProbability = 1e-12

// Score turns predicted probabilities, (N, classes) row-major, and the
// labels into metrics: accuracy of the arg-max (the first on ties, as
// Evaluate), mean −ln p(label) as the loss, per-class accuracy and the
// confusion matrix.
func Score(probs []float64, labels []int32, classes int) EvalMetrics {
	res := newEvalMetrics(len(labels), classes)
	if len(labels) == 0 {
		return res
	}
	var lossSum float64
	for i, y := range labels {
		p := probs[i*classes : (i+1)*classes]
		best := ArgMax(p)
		if best == int(y) {
			res.Correct++
		}
		res.Confusion[y][best]++
		lossSum -= math.Log(math.Max(p[y], minProbability))
	}
	res.Loss = lossSum / float64(len(labels))
	res.finish()
	return res
}

// ArgMax returns the index of the first largest value.
func ArgMax(v []float64) int {
	best := 0
	for j, x := range v {
		if x > v[best] {
			best = j
		}
	}
	return best
}
