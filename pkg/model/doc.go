// Package model builds networks from a plain Spec through an explicit
// registry of architectures ("mlp", "lenet5", "cnn", "resnet" and "layers",
// an explicit layer list).
//
// Spec is also the config's "model" section, defined here once: its keys
// (yaml tags), meanings and defaults (field comments, DefaultSpec and
// ApplyDefaults), ranges (range tags) and allowed names (KeyNames, from the
// registries: Architectures, nn's activations and inits, LayerTypes).
// Which keys an architecture reads (archKeys) and which keys a layer type
// takes (LayerKeys) are tables, read by Validate (through Uses) and by the
// config's JSON Schema. Build validates the spec first and then checks only
// what depends on the input shape and the class count, so the key checks
// are not repeated in the builders.
//
// Build infers every layer's shape from the input shape before creating it,
// initializes weights from the init random stream, plans the fused passes
// (nn.Fuse: a batch norm and the relu after it, a residual add and its
// relu), and finishes with a dry forward and backward pass of that plan,
// so a configuration that builds never reaches a shape panic during
// training. Errors name the configuration key at fault
// ("model.layers[2]: ...") and, for unknown names, list the known ones.
//
// Fusion changes neither results nor names: Model.Net.Layers is the
// structure as built (what checkpoints name and diagnostics walk), and
// Summary prints the plan, one row per fused step
// ("stage1.bn1+act1  BatchNorm(32)+relu (fused in training)") and the
// fused steps of a block after its kind.
package model
