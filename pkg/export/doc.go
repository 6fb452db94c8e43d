// Package export turns a loaded nettrain model into files other tools
// read: a safetensors file holding the state_dict of an equivalent
// PyTorch module (Safetensors), the Python source of that module with a
// loader that needs torch alone (PyTorch), and an ONNX model, opset 13
// (ONNX). Write writes one format's files atomically.
//
// Every exporter starts from one plan of the model: the tree of its
// layers (Sequential stages, residual blocks) in evaluation mode, checked
// once. Dropout, DropConnect and stochastic depth are the identity in
// evaluation (nettrain scales them the inverted way in training), so they
// export as plain layers; a layer with no evaluation-mode equivalent
// (fractional max-pooling, whose regions are nettrain's own fixed draws)
// is an input error naming it.
//
// Tensor names are nettrain's: the generated PyTorch modules have the same
// child names ("stage1.block1.conv1"), so a parameter or buffer keeps its
// name in the state_dict; batch norms add num_batches_tracked (int64).
// The fitted preprocessing travels along: its tensors ("preprocess.mean",
// ...) and its JSON header (metadata "preprocess") in the safetensors file,
// a Preprocess module in Python, and optional first nodes of the ONNX
// graph.
package export
