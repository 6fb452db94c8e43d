// Package model builds networks from a plain Spec through an explicit
// registry of architectures ("mlp", "layers").
//
// Build infers every layer's shape from the input shape before creating it,
// initializes weights from the init random stream, and finishes with a dry
// forward pass, so a configuration that builds never reaches a shape panic
// during training. Errors name the configuration key at fault
// ("model.layers[2]: ...") and, for unknown names, list the known ones.
package model
