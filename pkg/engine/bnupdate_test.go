package engine

import (
	"math"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
)

// TestUpdateBatchNorm: a batch norm on the input image ends the pass with
// the mean over batches of each batch's mean and unbiased variance (equal
// weight per batch, as torch.optim.swa_utils.update_bn), whatever its
// statistics were before; the weights and the momentum are left alone.
func TestUpdateBatchNorm(t *testing.T) {
	cases := []struct {
		name      string
		batchSize int
	}{
		{"even batches", 100},
		{"partial last batch", 128},
		{"last batch of one dropped", 499}, // 500 train examples: 499 + 1
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testfix.Config(t, "model.arch=layers", "model.hidden=[]",
				"model.layers=[{type: batchnorm}, {type: flatten}, {type: linear, out: 10}]")
			_, m, s := newTestTrainerOn(t, cfg, nil)
			bns := BatchNormLayers(m)
			if len(bns) != 1 {
				t.Fatalf("%d batch norms, want 1", len(bns))
			}
			bn := bns[0]
			bn.RunningMean.Value.Data[0], bn.RunningVar.Value.Data[0] = 7, 9
			weights := append([]float32(nil), m.Params()[len(m.Params())-1].Value.Data...)
			momentum := bn.Momentum

			d := s.Train
			var wantMean, wantVar float64
			batches := 0
			for lo := 0; lo < d.N; lo += tc.batchSize {
				hi := min(lo+tc.batchSize, d.N)
				if hi-lo < 2 {
					break
				}
				xs := d.Range(nil, lo, hi-lo)
				var sum, sq float64
				for _, v := range xs {
					sum += float64(v)
				}
				mean := sum / float64(len(xs))
				for _, v := range xs {
					sq += (float64(v) - mean) * (float64(v) - mean)
				}
				wantMean += mean
				wantVar += sq / float64(len(xs)-1)
				batches++
			}
			wantMean /= float64(batches)
			wantVar /= float64(batches)

			if n := UpdateBatchNorm(m, d, tc.batchSize, 1, testfix.Pool(t, 2)); n != 1 {
				t.Fatalf("UpdateBatchNorm updated %d batch norms, want 1", n)
			}
			gotMean, gotVar := float64(bn.RunningMean.Value.Data[0]), float64(bn.RunningVar.Value.Data[0])
			if math.Abs(gotMean-wantMean) > 1e-5*math.Max(1, math.Abs(wantMean)) || math.Abs(gotVar-wantVar) > 1e-5*math.Max(1, wantVar) {
				t.Errorf("running mean %v var %v, want %v %v (mean of %d batches)", gotMean, gotVar, wantMean, wantVar, batches)
			}
			if bn.Momentum != momentum {
				t.Errorf("momentum %v after the pass, was %v", bn.Momentum, momentum)
			}
			for i, v := range m.Params()[len(m.Params())-1].Value.Data {
				if math.Float32bits(v) != math.Float32bits(weights[i]) {
					t.Fatalf("weight %d changed by the pass: %v → %v", i, weights[i], v)
				}
			}
		})
	}
}

// TestUpdateBatchNormWithoutBatchNorm: a model without batch norm is left
// as it is.
func TestUpdateBatchNormWithoutBatchNorm(t *testing.T) {
	_, m, s := newTestTrainerOn(t, testfix.Config(t), nil)
	if n := UpdateBatchNorm(m, s.Train, 64, 1, nil); n != 0 {
		t.Errorf("an MLP: %d batch norms updated", n)
	}
}
