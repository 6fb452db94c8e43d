package nn_test

import (
	"runtime"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/nn/nntest"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// benchForwardBackward times one training-mode forward and backward pass of
// l on x (gradients zeroed first, as a training step does) and reports
// images/s over the batch dimension, on a pool of GOMAXPROCS threads.
// `make bench` runs these.
func benchForwardBackward(b *testing.B, l nn.Layer, x *tensor.Tensor) {
	b.Helper()
	ctx := &nn.Context{Train: true, Seed: 1, Pool: testPool(b, runtime.GOMAXPROCS(0))}
	params := l.Params()
	y := l.Forward(ctx, x)
	dy := nntest.RandomInput(2, y.Shape...)
	l.Backward(ctx, dy) // warm-up: buffers are allocated on the first pass
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		nn.ZeroGrad(params)
		l.Forward(ctx, x)
		l.Backward(ctx, dy)
	}
	b.ReportMetric(float64(x.Shape[0])*float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

// benchInit fills every parameter of l with small random values, so no
// layer runs on all-zero weights.
func benchInit(l nn.Layer) {
	for i, p := range l.Params() {
		r := nntest.RandomInput(uint64(100+i), p.Value.Shape...)
		for j, v := range r.Data {
			p.Value.Data[j] = 0.1 * v
		}
	}
}

// BenchmarkLinearForwardBackward is the MLP's first layer at batch 128.
func BenchmarkLinearForwardBackward(b *testing.B) {
	l := nn.NewLinear(784, 512, true)
	benchInit(l)
	benchForwardBackward(b, l, nntest.RandomInput(1, 128, 784))
}

// BenchmarkBatchNorm2dForwardBackward is the CNN's first-stage batch norm.
func BenchmarkBatchNorm2dForwardBackward(b *testing.B) {
	benchForwardBackward(b, nn.NewBatchNorm(32, 0, 0), nntest.RandomInput(1, 128, 32, 28, 28))
}

// BenchmarkMaxPool2dForwardBackward is the CNN's first 2x2 max pooling.
func BenchmarkMaxPool2dForwardBackward(b *testing.B) {
	benchForwardBackward(b, nn.NewMaxPool2d(2, 2, 0), nntest.RandomInput(1, 128, 32, 28, 28))
}

// BenchmarkReLUForwardBackward is the CNN's first-stage activation.
func BenchmarkReLUForwardBackward(b *testing.B) {
	relu, err := nn.NewActivation("relu", nn.ActivationOptions{})
	if err != nil {
		b.Fatal(err)
	}
	benchForwardBackward(b, relu, nntest.RandomInput(1, 128, 32, 28, 28))
}

// BenchmarkBasicBlockForwardBackward is ResNet-8's first-stage block
// (16→16, stride 1, identity shortcut) at batch 128, planned as a model
// builds it (nn.Fuse).
func BenchmarkBasicBlockForwardBackward(b *testing.B) {
	blk, err := nn.NewBasicBlock(16, 16, 1, nil)
	if err != nil {
		b.Fatal(err)
	}
	nn.Fuse(blk)
	benchInit(blk)
	benchForwardBackward(b, blk, nntest.RandomInput(1, 128, 16, 28, 28))
}
