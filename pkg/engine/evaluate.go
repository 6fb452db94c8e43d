package engine

import (
	"fmt"

	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/dist"
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
	res, _ := EvaluateRanks(m, d, batchSize, pool, nil) // one rank: no error
	return res
}

// EvaluateRanks is Evaluate shared by the ranks of comm (nil or one rank:
// Evaluate itself). Rank r scores the batches b with b mod size = r; the
// counts and each batch's loss are then summed over the ranks (a batch's
// loss comes from one rank, the others add zero: exact) and the losses
// added in batch order, so every rank gets Evaluate's metrics bit for bit.
// Every rank of comm must call it.
func EvaluateRanks(m *model.Model, d *data.Dataset, batchSize int, pool *tensor.Pool, comm dist.Comm) (EvalMetrics, error) {
	c := m.Classes
	res := newEvalMetrics(d.N, c)
	if d.N == 0 {
		return res, nil
	}
	rank, size := 0, dist.Size(comm)
	if comm != nil {
		rank = comm.Rank()
	}
	loader := data.NewLoader(d, batchSize, false, false, 0)
	loader.Epoch(0)
	feat := d.FeatureLen()
	xbuf := make([]float32, batchSize*feat)
	ybuf := make([]int32, batchSize)
	ctx := &nn.Context{Train: false, Pool: pool}
	var ce nn.SoftmaxCrossEntropy
	batches := loader.NumBatches()
	// sums: each batch's summed loss, then Correct, then the confusion
	// matrix row by row: what the ranks add up.
	sums := make([]float64, batches+1+c*c)
	for b := rank; b < batches; b += size {
		n := loader.Batch(b, xbuf, ybuf)
		x := tensor.FromData(xbuf[:n*feat], n, d.C, d.H, d.W)
		logits := m.Net.Forward(ctx, x)
		loss, correct := ce.Forward(logits, ybuf[:n])
		sums[b] = loss * float64(n)
		sums[batches] += float64(correct)
		for i := 0; i < n; i++ {
			sums[batches+1+int(ybuf[i])*c+argmax(logits.Data[i*c:(i+1)*c])]++
		}
	}
	if size > 1 {
		if err := comm.SumFloat64(sums); err != nil {
			return res, fmt.Errorf("evaluation over %d ranks: %w", size, err)
		}
	}
	var lossSum float64
	for _, l := range sums[:batches] {
		lossSum += l
	}
	res.Correct = int(sums[batches])
	for t := range c {
		for p := range c {
			res.Confusion[t][p] = int(sums[batches+1+t*c+p])
		}
	}
	res.Loss = lossSum / float64(d.N)
	res.finish()
	return res, nil
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
