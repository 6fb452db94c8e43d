// Command nettrain-bench compares nettrain's training speed and matrix
// multiply with PyTorch's and numpy's on the same machine, in one run:
//
//	go run ./cmd/nettrain-bench [--images N] [--threads T] [--models mlp,cnn,resnet8] [--skip-torch]
//
// For each bench model (configs/bench/{mlp,cnn,resnet8}.yaml) it trains N
// Fashion-MNIST images in nettrain (run.Train, data.train_limit=N, one
// epoch, no validation) and in PyTorch (configs/bench/torch_bench.py, run
// with /usr/bin/python3), both on T threads, batch 128; then it times
// tensor.Gemm in-process and numpy's BLAS on the GEMM shapes of those
// models. It prints two tables: images/s per model with the
// nettrain/PyTorch ratio, and GFLOP/s per GEMM shape with nettrain's share
// of the BLAS's.
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
