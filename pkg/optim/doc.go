// Package optim updates parameters from their gradients.
//
// New builds an Optimizer from a Config: SGD (momentum, dampening,
// Nesterov), Adam, AdamW, RMSProp and Adagrad, each exactly as its
// torch.optim 1.13 counterpart (testdata/torch/optim_golden.json, written by
// testdata/torch/make_optim_golden.py, holds PyTorch's results that the
// tests replay). Parameter groups (Group) select parameters by name glob and
// scale their learning rate or set their weight decay; by default weight
// decay applies only to parameters with nn.Param.Decay (weights, not
// biases).
//
// An optimizer takes the learning rate as an argument of Step, so the
// schedule (package lrsched) stays a pure function of the step. New takes
// the caller's thread budget, a *tensor.Pool (nil: one thread), for the
// parts of Step that run in parallel (SGD's momentum update, in chunks fixed
// by the parameter size, so the bits do not depend on it). Optimizer
// state is exposed as named tensors ("<param>.exp_avg", "<param>.step") so
// that checkpoints can carry it, and LoadState restores it exactly.
//
// Spec is the config's "optimizer" section, defined here once (keys,
// defaults, ranges, Validate); Penalty is the "regularization" section.
// Which key belongs to which optimizer type is one table (typeKeys), read
// by Spec.Validate (a key of another type is an error), by Spec.Config
// (each optimizer gets only its keys) and by New (a Config field of another
// type is an error). Config stays the constructor's input, in PyTorch's
// terms (beta1, beta2; zero means torch's default), as the golden files
// hold it.
//
// Gradient clipping (ClipGradNorm, ClipGradValue, GradNorm) works on the
// accumulated gradients before Step. Penalties added to the loss (L2) live
// here too: they add their gradient to each parameter's accumulated
// gradient and return their value so the reported loss includes them.
package optim
