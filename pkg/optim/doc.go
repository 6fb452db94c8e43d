// Package optim updates parameters from their gradients.
//
// An optimizer takes the learning rate as an argument of Step, so the
// schedule (package lrsched) stays a pure function of the step. Optimizer
// state is exposed as named tensors ("<param>.momentum_buffer") so that
// checkpoints can carry it.
//
// Penalties added to the loss (L2) live here too: they add their gradient to
// each parameter's accumulated gradient and return their value so the
// reported loss includes them.
package optim
