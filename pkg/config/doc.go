// Package config reads nettrain experiment configs: one YAML file per
// experiment, checked strictly, with every default in one place.
//
// # Schema (version 1)
//
// Every key is optional except data.dir. The full schema, with its defaults:
//
//	version: 1                   # schema version; only 1
//	name: <file name>            # run name, [A-Za-z0-9._-]+; default: config file name without extension
//	seed: 1                      # seeds init, shuffling and the validation split
//	data:
//	  dir: ../data/fashion-mnist # REQUIRED; relative to the config file's folder
//	  format: idx                # idx | folder | csv (csv: label_column, default "label")
//	  val_split: 0.1             # 0<v<1 a fraction, v>=1 a whole count, 0 none
//	  train_limit: 0             # keep the first N training examples; 0 = all
//	preprocess:
//	  method: global             # none|global|channel|feature|pca|pca_whiten|zca, fitted on the training split
//	                             # (normalize: global|none is the deprecated spelling)
//	augment:                     # training batches only, in order; p defaults to 1
//	  - {op: crop, pad: 2}
//	  - {op: hflip, p: 0.5}
//	model:
//	  arch: mlp                  # mlp | layers (names checked by the model registry)
//	  hidden: [256]              # mlp hidden sizes; [] = a linear classifier
//	  activation: relu
//	  init: kaiming_normal       # weight init; biases start at 0
//	  init_std: 0.01             # std of init "normal"
//	  head_init_scale: 1         # multiplies the last linear layer's initial weights
//	  layers: []                 # arch "layers" only, e.g.
//	                             # - {type: flatten}
//	                             # - {type: linear, name: fc1, out: 256}  # bias: true by default
//	                             # - {type: relu}
//	                             # - {type: linear, out: 10, init: normal}
//	optimizer:
//	  type: sgd                  # only "sgd" for now (torch.optim.SGD)
//	  lr: 0.01                   # > 0
//	  momentum: 0                # 0 <= m < 1
//	  nesterov: false            # requires momentum > 0
//	regularization:
//	  l2: 0                      # loss += l2·Σw² over weights, not biases (torch weight_decay = 2·l2)
//	schedule:
//	  type: constant             # constant | step | cosine
//	  step_size: 10              # step: lr *= gamma every step_size epochs
//	  gamma: 0.1                 # step: 0 < gamma <= 1
//	  min_lr: 0                  # cosine: final lr, 0 <= min_lr < optimizer.lr
//	  warmup_epochs: 0           # linear warmup from 0, fractions allowed; < train.epochs
//	train:
//	  epochs: 10
//	  batch_size: 128
//	  eval_batch_size: 1000
//	output:
//	  dir: runs/<name>           # relative to the WORKING directory, kept as written
//
// The field comments of [Config] and its section types are the reference for
// each key. The smallest valid config is
//
//	data: {dir: .}
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
// [Default] is the one place defaults live: the file is decoded onto it, so
// an absent key keeps its default. A key that is null (`lr:` or `lr: ~`)
// also keeps its default. A key written with its zero value is not absent:
// `val_split: 0` means no validation set, `hidden: []` means a linear
// classifier, `momentum: 0` is momentum 0. The decoder records which key
// paths were set, for the few defaults that depend on other keys:
//
//   - name defaults to the config file name without extension;
//   - output.dir defaults to runs/<name>;
//   - model.hidden defaults to [256] only when arch is "mlp";
//   - bias of a linear layer defaults to true.
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
// errors) joined with errors.Join, one per line. Range errors give the bad
// value and what is allowed:
//
//	configs/x.yaml:12: optimizer.lr: must be > 0, got -1
//	configs/x.yaml:14: optimizer.nesterov: requires optimizer.momentum > 0
package config
