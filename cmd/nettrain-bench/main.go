// Command nettrain-bench compares nettrain's training and inference speed
// and matrix multiply with PyTorch's and numpy's on the same machine, in
// one run:
//
//	go run ./cmd/nettrain-bench [--images N] [--rgb-images N] [--batches 32,128,512] [--threads T] [--models mlp,cnn,...] [--skip-torch]
//
// For each bench model (configs/bench/*.yaml: mlp, cnn and resnet8 on N
// Fashion-MNIST images; resnet20-rgb and vgg-rgb on a synthetic folder of
// RGB 32×32 PNGs it writes) and batch size it trains one epoch in nettrain
// (run.Train, no validation) and in PyTorch (configs/bench/torch_bench.py,
// run with /usr/bin/python3), both on T threads, then times inference over
// the same images (engine.Evaluate of the trained checkpoint; PyTorch's
// eval mode under torch.no_grad) and, at batch 128, T one-thread trials
// at once against one trial on T threads; then it times tensor.Gemm
// in-process and numpy's BLAS on the GEMM shapes of those models. It
// prints the training, inference and search tables (images/s, ratios,
// MFU against the in-run 512³ GEMM rate) and GFLOP/s per GEMM shape.
//
// Exit status: 0 success, 1 a benchmark failed, 2 bad usage or something
// missing (data, python, PyTorch, numpy).
package main

import (
	"os"
)

func main() {
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}
