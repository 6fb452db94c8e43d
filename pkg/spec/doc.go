// Package spec holds what the domain packages need to define their config
// sections once: a problem type with key paths, a checker that collects
// problems, and the declarative key data — ranges and names — that both
// validation and the config's JSON Schema read. It is a leaf: it imports
// only the standard library.
//
// # Why
//
// A config key used to be defined several times: in the config's struct
// tree, in a mirror struct of the package that used it (copied field by
// field), in the config's validation and again in the package's
// constructor, with lists of allowed names copied between them. Now each
// section's type lives in the package that uses it (model.Spec,
// optim.Spec, lrsched.Spec, data.Spec, data.PreprocessConfig,
// augment.Spec), with yaml tags naming the keys, doc comments saying what
// they mean, a DefaultSpec, an ApplyDefaults for defaults that depend on
// other keys, and a Validate returning [Problems] whose paths are relative
// to the section. pkg/config composes the sections, prefixes the paths and
// adds what only it knows: YAML, line numbers, did-you-mean, --set and file
// paths. Adding a key is one field (with its tags and comment) in the
// owning package, its check if it is not a simple range or name, and its
// README row.
//
// # Declarative checks
//
// A struct field may carry a `range` tag:
//
//	LR       float64 `yaml:"lr" range:">0"`
//	Momentum float64 `yaml:"momentum" range:">=0,<1"`
//	Dropout  float64 `yaml:"dropout" range:"[0,1)"`
//	Variance float64 `yaml:"variance" range:"0|(0,1]; 0 = keep every component"`
//
// The bounds are an interval (phrased "in [0, 1)" in messages) or one or
// two comparisons (phrased "> 0 and < 1"); "0|" also allows 0 (an "off" or
// "unset" value); text after ";" is a hint shown in parentheses. A tag on a
// list of numbers applies to each element. A type whose string keys take
// names from a list implements [Namer]; a type some of whose keys are read
// only in some settings (an architecture's keys, a layer type's keys)
// implements [KeyUser]. [CheckFields] checks all of it — every number
// finite, in its range, every name known — and the config's JSON Schema
// turns the same data into minimum/maximum and enum. Rules between keys
// stay in each type's Validate, in code.
package spec
