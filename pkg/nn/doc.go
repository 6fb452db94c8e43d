// Package nn holds nettrain's layers, losses, activations and weight
// initializers.
//
// Every layer owns a Forward, which caches what the backward pass needs, and
// a Backward, which returns the gradient with respect to its input and
// accumulates (+=) the gradients of its parameters. Layers keep their output
// and gradient buffers between calls and reuse them while the batch shape is
// unchanged, so a steady-state training step does not allocate.
//
// The Context passed to every Forward and Backward carries the pass's
// thread budget, a *tensor.Pool: layers split their batch (convolution
// groups and gradient chunks, batch-norm channels, pooling planes, relu
// and residual-add chunks) and their matrix multiplies over it, in splits
// fixed by the shapes alone, so the results are the same bits for every
// pool size. A nil Pool runs everything on the calling goroutine; models
// with their own pools run side by side without sharing threads or
// scratch (a model itself must not run two passes at once).
//
// Parameters carry names; containers (Container: Sequential, BasicBlock)
// prefix the names of their children, recursively, so every tensor of a
// model has one dotted name ("fc1.weight", "stage1.block1.bn1.running_mean")
// used by checkpoints, optimizers and reports. Buffers (batch norm's running
// statistics) are named the same way by CollectBuffers.
//
// BasicBlock is ResNet's residual block. Layers that implement FLOPsCounter
// estimate their forward cost (CountFLOPs) for model summaries.
//
// # Fusion
//
// Some neighbouring layers run faster as one pass over memory, and Fuse
// plans that once, when the model is built (model.Build calls it): in a
// Sequential, a batch norm directly followed by a relu becomes one
// BatchNormReLU step, which in training writes max(y, 0) in batch norm's
// own pass and masks the gradient from x̂ in its backward pass; in a
// BasicBlock, bn1 and a relu act1 become a BatchNormReLU, and the residual
// add and a relu act2 one pass over cache-sized chunks. The fused passes
// give the bits of the layers run apart, in every mode, and are tested
// for it.
//
// The plan is kept beside the layer structure instead of replacing layers
// in it. A Sequential's Layers (its Children) stay the model's structure:
// they give every parameter and buffer its dotted name and order, and
// they are what initializers, checkpoints, optimizers and the init
// diagnostics walk; the plan (Sequential.Steps) is only what Forward and
// Backward run. So fusion cannot rename a tensor, change an
// initialization gain or hide a layer's output from diagnostics, which run
// the layers one by one (each layer's Forward works on its own), and the
// layers themselves carry no fusion modes: an Activation never knows it
// was fused, and a Sequential's Forward has no type switch. A container
// that was never planned runs every layer on its own, with the same
// results, only slower. Plans are made from the children as they are:
// call Fuse again after replacing one. Model summaries print the plan
// (Fuser.Fusions names the fused steps).
//
// Stochastic regularizers change training only and are deterministic in
// evaluation: Dropout, DropConnect on Linear and Conv2d (the DropConnect
// field), stochastic depth on BasicBlock (DropProb, with LinearDropProbs)
// and FractionalMaxPool2d. All are "inverted" (scaled in training so that
// evaluation needs no rescaling) and draw from rng.Dropout indexed by the
// Context's Seed and Step and a per-layer salt, so a step's draws are
// reproducible and the same Context repeats them (which the gradient checks
// rely on). SoftmaxCrossEntropy takes integer labels or soft targets, with
// optional label smoothing.
//
// Activations and initializers are found through explicit registries
// (Activations, Initializers): an unknown name is an error listing the known
// ones. Every layer is checked against finite differences with the shared
// helper in package nntest.
package nn
