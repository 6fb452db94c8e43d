// Package config reads nettrain experiment configs: one YAML file per
// experiment, checked strictly, each key defined once in the package that
// uses it.
//
// # Schema (version 1)
//
// Every key is optional except data.dir; the smallest valid config is
//
//	data: {dir: .}
//
// A config has the sections of [Config]. Each section is the spec type of
// the package that uses it, and that package defines the section once:
// its keys (yaml tags), their meaning and defaults (the field comments),
// the defaults in code (DefaultSpec, and ApplyDefaults for those that
// depend on other keys), the ranges and allowed names (range tags and
// KeyNames, see package spec) and the rules between its keys (Validate):
//
//	data            data.Spec              dir, format (idx|folder|csv), label_column, val_split, train_limit
//	preprocess      data.PreprocessConfig  method (none|global|channel|feature|pca|pca_whiten|zca), ...
//	augment         []augment.Spec         training-time augmentation steps {op, p, ...}
//	model           model.Spec             arch (mlp|lenet5|cnn|resnet|layers), its keys, activation, init, layers
//	optimizer       optim.Spec             type (sgd|adam|adamw|rmsprop|adagrad), lr, ..., groups, clipping
//	regularization  optim.Penalty          l2, l1, include, exclude
//	schedule        lrsched.Spec           type (constant|step|multistep|exponential|cosine|cosine_restarts|
//	                                       linear|poly|invsqrt|onecycle), warmup, scale_rule, plateau
//	train, ema, swa, checkpoint, output     this package's own: only the training loop reads them
//
// This package composes them and keeps what only it knows: YAML decoding
// with line numbers and did-you-mean, --set overrides, file paths, the
// rules between sections (schedule.min_lr < optimizer.lr,
// schedule.warmup_epochs < train.epochs, a validation metric needs a
// validation split), and the key paths (a section's problems are prefixed
// with the section's name). The README's "Config reference" lists every key;
// [JSONSchema] (`nettrain schema`) generates a JSON Schema from the same
// definitions, for editors.
//
// Why: a key used to be defined in the struct tree here, in a mirror
// struct of the package that used it (copied field by field by the
// engine), checked here and again in the package, with lists of allowed
// names copied. Now adding a key is one field with its tags and comment in
// the owning package, its check when it is more than a range or a name, and
// its README row; the decoder, --set, did-you-mean, Marshal and the JSON
// Schema follow from the struct tree by reflection. The descriptions of the
// schema are generated from the doc comments (descriptions_gen.go, `go
// generate`; a test fails when it is stale), so they are not a second
// hand-written copy.
//
// # Strict decoding
//
// [Parse] walks the YAML node tree against the schema structs itself rather
// than relying on yaml's own decoding, so that every problem is reported with
// its file, line and key path, one per line:
//
//	configs/x.yaml:7: optimizer.moment: unknown key; did you mean "momentum"?
//	configs/x.yaml:9: train.epochs: must be an integer, got "ten"
//	configs/x.yaml:4: model.hidden: must be a list of integers, got 256; for one element write [256]
//
// Unknown keys (with a suggestion from the section's keys, or the list of
// them), duplicate keys, a mapping where a value belongs and the reverse, and
// wrong scalar types are all errors. Integers reject 1.5, seed rejects
// negative numbers, booleans accept only true and false (and the YAML 1.2
// spellings True, TRUE, False, FALSE; not yes/no/on/off or 0/1), and a quoted
// "0.1" is a string, not a number. Anchors and aliases
// work; merge keys (<<) do not. A config is exactly one YAML document, and
// must be a mapping.
//
// # Defaults
//
// [Default] composes the sections' defaults (model.DefaultSpec, ...): the
// file is decoded onto it, so an absent key keeps its default. A key that is
// null (`lr:` or `lr: ~`) also keeps its default. A key written with its
// zero value is not absent: `val_split: 0` means no validation set,
// `hidden: []` means a linear classifier, `momentum: 0` is momentum 0. The decoder records which key
// paths were set, for the defaults that depend on other keys (each
// section's ApplyDefaults, given the paths relative to it), e.g.:
//
//   - name defaults to the config file name without extension;
//   - output.dir defaults to runs/<name>;
//   - model.hidden defaults to [256] only when arch is "mlp", and the keys of
//     arch cnn and resnet get their defaults only for that arch;
//   - bias of a linear or conv2d layer defaults to true;
//   - checkpoint.monitor and train.early_stopping.metric watch the training
//     metrics when there is no validation split.
//
// [Config.Marshal] writes the resolved config with every key, which [Parse]
// reads back to an equal Config: a run folder can keep the exact config it
// ran with.
//
// # Overrides
//
// Load and Parse take overrides, the values of repeated --set flags, each
// "key.path=value":
//
//	--set optimizer.lr=0.05 --set model.hidden=[128,64] --set optimizer.nesterov=true
//	--set 'model.layers=[{type: flatten}, {type: linear, out: 10}]'
//
// They are applied, in order, to the YAML tree before decoding, so the same
// type and range checks apply. The value is parsed as YAML (an empty value is
// null: the default); missing sections are created; the key path must exist
// in the schema (did-you-mean as for the file). Lists are replaced whole;
// there is no indexing into them. Errors name the override:
//
//	--set optimizer.lr=abc: optimizer.lr: must be a number, got "abc"
//
// # Paths
//
// data.dir in the file is relative to the config file's folder; given with
// --set it is relative to the working directory. Either way [Parse] makes it
// absolute. output.dir is relative to the working directory and kept as
// written.
//
// # Errors
//
// Problems are [*Error] values: file, line, key path and message. Parse
// returns all decoding errors (or, if decoding succeeded, all validation
// errors) joined with errors.Join, one per line. The sections' Validate
// return spec.Problems with paths relative to the section; this package
// prefixes them and finds the line of each key. Range errors give the bad
// value and what is allowed:
//
//	configs/x.yaml:12: optimizer.lr: must be > 0, got -1
//	configs/x.yaml:14: optimizer.nesterov: requires optimizer.momentum > 0
package config
