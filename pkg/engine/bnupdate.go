package engine

import (
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// BatchNormLayers lists m's batch-norm layers in model order.
func BatchNormLayers(m *model.Model) []*nn.BatchNorm {
	var bns []*nn.BatchNorm
	nn.Walk(m.Net, func(l nn.Layer) {
		if bn, ok := l.(*nn.BatchNorm); ok {
			bns = append(bns, bn)
		}
	})
	return bns
}

// UpdateBatchNorm re-estimates the running statistics of every batch norm
// of m by one pass over d in batches of batchSize, in order, as PyTorch's
// torch.optim.swa_utils.update_bn: the statistics are reset and become the
// cumulative average of the batches' (equal weight per batch, momentum
// None), not a moving one. The pass is a training-mode forward (dropout
// on, seeded by seed), as update_bn runs the model in train mode; nothing
// but the running statistics changes. Weights averaged from several
// checkpoints (SWA, `nettrain average`) need this: the running statistics
// of an average are not the average of the running statistics. It returns
// the number of batch norms updated; a model without any is left as it is.
func UpdateBatchNorm(m *model.Model, d *data.Dataset, batchSize int, seed uint64, pool *tensor.Pool) int {
	bns := BatchNormLayers(m)
	if len(bns) == 0 || d.N < 2 {
		return 0
	}
	saved := make([]float64, len(bns))
	for i, bn := range bns {
		saved[i] = bn.Momentum
		clear(bn.RunningMean.Value.Data)
		for j := range bn.RunningVar.Value.Data {
			bn.RunningVar.Value.Data[j] = 1
		}
	}
	defer func() {
		for i, bn := range bns {
			bn.Momentum = saved[i]
		}
	}()
	loader := data.NewLoader(d, batchSize, false, false, 0)
	loader.Epoch(0)
	feat := d.FeatureLen()
	xbuf := make([]float32, batchSize*feat)
	ybuf := make([]int32, batchSize)
	ctx := &nn.Context{Train: true, Seed: seed, Pool: pool}
	for b := 0; b < loader.NumBatches(); b++ {
		n := loader.Batch(b, xbuf, ybuf)
		if n < 2 {
			break // a last batch of one example has no batch variance
		}
		// The k-th batch gets weight 1/k: running = (1 − 1/k)·running +
		// (1/k)·batch is the mean of the k batches' statistics.
		for _, bn := range bns {
			bn.Momentum = 1 / float64(b+1)
		}
		ctx.Step = int64(b)
		m.Net.Forward(ctx, tensor.FromData(xbuf[:n*feat], n, d.C, d.H, d.W))
	}
	return len(bns)
}
