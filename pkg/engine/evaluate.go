package engine

import (
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// EvalMetrics scores a model on a data set.
type EvalMetrics struct {
	N        int     `json:"n"`        // examples scored
	Loss     float64 `json:"loss"`     // mean cross-entropy
	Accuracy float64 `json:"accuracy"` // fraction of arg-max predictions equal to the label
	Correct  int     `json:"correct"`
	// PerClass[c] is the accuracy on examples of true class c (0 when the
	// class has no examples).
	PerClass []float64 `json:"per_class_accuracy"`
	// Confusion[t][p] counts examples of true class t predicted as p.
	Confusion [][]int `json:"confusion"`
}

// Evaluate runs m in evaluation mode over every example of d, in order, in
// batches of batchSize, computing on pool (nil: on the calling goroutine).
// The result depends only on the weights, the data and batchSize, so a
// checkpoint scores the same wherever, and on however many threads, it is
// evaluated.
func Evaluate(m *model.Model, d *data.Dataset, batchSize int, pool *tensor.Pool) EvalMetrics {
	c := m.Classes
	res := newEvalMetrics(d.N, c)
	if d.N == 0 {
		return res
	}
	loader := data.NewLoader(d, batchSize, false, false, 0)
	loader.Epoch(0)
	feat := d.FeatureLen()
	xbuf := make([]float32, batchSize*feat)
	ybuf := make([]int32, batchSize)
	ctx := &nn.Context{Train: false, Pool: pool}
	var ce nn.SoftmaxCrossEntropy
	var lossSum float64
	for b := 0; b < loader.NumBatches(); b++ {
		n := loader.Batch(b, xbuf, ybuf)
		x := tensor.FromData(xbuf[:n*feat], n, d.C, d.H, d.W)
		logits := m.Net.Forward(ctx, x)
		loss, correct := ce.Forward(logits, ybuf[:n])
		lossSum += loss * float64(n)
		res.Correct += correct
		for i := 0; i < n; i++ {
			res.Confusion[ybuf[i]][argmax(logits.Data[i*c:(i+1)*c])]++
		}
	}
	res.Loss = lossSum / float64(d.N)
	res.finish()
	return res
}

// newEvalMetrics returns empty metrics of n examples and classes classes.
func newEvalMetrics(n, classes int) EvalMetrics {
	res := EvalMetrics{N: n, PerClass: make([]float64, classes), Confusion: make([][]int, classes)}
	for i := range res.Confusion {
		res.Confusion[i] = make([]int, classes)
	}
	return res
}

// finish fills the accuracy and the per-class accuracy from Correct and
// the confusion matrix (N > 0).
func (res *EvalMetrics) finish() {
	res.Accuracy = float64(res.Correct) / float64(res.N)
	for t, row := range res.Confusion {
		total := 0
		for _, v := range row {
			total += v
		}
		if total > 0 {
			res.PerClass[t] = float64(row[t]) / float64(total)
		}
	}
}

// argmax returns the index of the first largest value, as the loss's
// accuracy count does.
func argmax(v []float32) int {
	best, arg := v[0], 0
	for j, x := range v {
		if x > best {
			best, arg = x, j
		}
	}
	return arg
}
