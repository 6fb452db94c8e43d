package config

import (
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/lrsched"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/optim"
	"github.com/nettrain/nettrain/pkg/search"
)

// defaultName is the run name when there is no config file name to take it
// from.
const defaultName = "run"

// Default returns a Config with every default filled in (Data.Dir empty, so
// it does not validate as is). [Parse] decodes the file onto it, then fills
// in the defaults that depend on other keys with applyDerivedDefaults,
// below. Each section's defaults are its owning package's (model.DefaultSpec,
// optim.DefaultSpec, ...); the ones here are those of the keys only the
// config and the training loop know.
//
// Name is "run" and Output.Dir "runs/run"; [Parse] derives both from the file
// name instead when they are not set.
func Default() *Config {
	return &Config{
		Version:    1,
		Name:       defaultName,
		Seed:       1,
		Data:       data.DefaultSpec(),
		Preprocess: data.DefaultPreprocess(),
		Model:      model.DefaultSpec(),
		Optimizer:  optim.DefaultSpec(),
		Schedule:   lrsched.DefaultSpec(),
		Train: Train{
			Epochs:        10,
			BatchSize:     128,
			EvalBatchSize: 256,
			Accumulate:    1,
			EarlyStopping: EarlyStopping{Metric: "val_loss", Mode: "min", Patience: 10},
			Mixup:         Mix{P: 1},
			CutMix:        Mix{P: 1},
		},
		EMA:         EMA{Decay: 0.999},
		SWA:         SWA{AnnealEpochs: 1, AnnealStrategy: "cos", BNUpdate: true},
		Checkpoint:  Checkpoint{Monitor: "val_acc", Mode: "max", KeepBest: 1},
		Monitor:     Monitor{Every: 20, RatioLow: 1e-4, RatioHigh: 1e-1, Window: 10, HistogramsEvery: 1, HistogramBins: 64, TensorBoard: true},
		Distributed: Distributed{BucketCapMB: 1, Overlap: true, ChecksumEvery: 100},
		Output:      Output{Dir: defaultOutputDir(defaultName)},
	}
}

// defaultOutputDir is the default output.dir of a run named name.
func defaultOutputDir(name string) string {
	return filepath.Join("runs", name)
}

// applyDerivedDefaults fills in the defaults that depend on other keys or on
// the file name; isSet reports whether a key path was given a value. Each
// section's own are its package's ApplyDefaults, given isSet relative to
// the section.
func (c *Config) applyDerivedDefaults(isSet func(path string) bool, filename string) {
	under := func(section string) func(string) bool {
		return func(key string) bool { return isSet(section + "." + key) }
	}
	if !isSet("name") {
		c.Name = nameFromFile(filename)
	}
	if !isSet("output.dir") {
		c.Output.Dir = defaultOutputDir(c.Name)
	}
	c.Data.ApplyDefaults(under("data"))
	c.Preprocess.ApplyDefaults(under("preprocess"))
	for i := range c.Augment {
		c.Augment[i].ApplyDefaults(under(fmt.Sprintf("augment[%d]", i)))
	}
	c.Model.ApplyDefaults(under("model"))
	c.Schedule.ApplyDefaults(under("schedule"))
	// Without a validation split the best checkpoint and early stopping
	// watch the training metrics instead.
	noVal := c.Data.ValSplit == 0
	if es := &c.Train.EarlyStopping; noVal && !isSet("train.early_stopping.metric") {
		es.Metric = "train_loss"
	}
	if ck := &c.Checkpoint; noVal && !isSet("checkpoint.monitor") {
		ck.Monitor = "train_acc"
	}
	if es := &c.Train.EarlyStopping; !isSet("train.early_stopping.mode") {
		es.Mode = MetricMode(es.Metric)
	}
	if ck := &c.Checkpoint; !isSet("checkpoint.mode") {
		ck.Mode = MetricMode(ck.Monitor)
	}
	c.Optimizer.ApplyDefaults(under("optimizer"))
	if isSet("search") {
		c.Search.ApplyDefaults(under("search"), search.Defaults{Epochs: c.Train.Epochs, Seed: c.Seed, HasVal: !noVal})
	}
	emptyListsToNil(reflect.ValueOf(c).Elem())
}

// emptyListsToNil gives every list of v that holds no elements one
// spelling, nil, so that configs compare equal however the file wrote "no
// elements" (absent, null or []); Marshal writes [] either way.
func emptyListsToNil(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for _, f := range structFields(v.Type()) {
			emptyListsToNil(v.Field(f.index))
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.Zero(v.Type()))
		}
		for i := range v.Len() {
			emptyListsToNil(v.Index(i))
		}
	}
}

// MetricMode is the default mode of a monitored metric: "max" for
// accuracies, "min" for losses.
func MetricMode(metric string) string {
	if strings.HasSuffix(metric, "_acc") {
		return "max"
	}
	return "min"
}

var badNameChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// nameFromFile is the default run name for a config file: its base name
// without extension, with characters outside [A-Za-z0-9._-] replaced by "_".
func nameFromFile(filename string) string {
	base := filepath.Base(filename)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	name := badNameChars.ReplaceAllString(base, "_")
	if name == "" || name == "." || name == ".." || name == "_" {
		return defaultName
	}
	return name
}
