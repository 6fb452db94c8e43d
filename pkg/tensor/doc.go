// Package tensor holds nettrain's float32 tensors and the numeric kernels the
// layers are built on (matrix multiply, reductions).
//
// A Tensor is a row-major (C-order) float32 array with a shape; images are
// NCHW. The package is a leaf: it imports nothing else from nettrain.
//
// Every matrix multiply in nettrain goes through Gemm, so the implementation
// behind it (today gonum's pure-Go BLAS) can be replaced by a faster kernel
// without touching any layer.
//
// Misuse inside the engine (mismatched shapes, short buffers) is a programmer
// error and panics with a "tensor: " prefix; user input never reaches here
// unchecked.
package tensor
