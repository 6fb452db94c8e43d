package config

import (
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strings"
)

// defaultName is the run name when there is no config file name to take it
// from.
const defaultName = "run"

// Default returns a Config with every default filled in (Data.Dir empty, so
// it does not validate as is). It is the one place defaults live: [Parse]
// decodes the file onto it, then fills in the defaults that depend on other
// keys with applyDerivedDefaults, below.
//
// Name is "run" and Output.Dir "runs/run"; [Parse] derives both from the file
// name instead when they are not set.
func Default() *Config {
	return &Config{
		Version: 1,
		Name:    defaultName,
		Seed:    1,
		Data: Data{
			Format:   "idx",
			ValSplit: 0.1,
		},
		Preprocess: Preprocess{Method: "global"},
		Model: Model{
			Arch:            "mlp",
			Hidden:          []int{256},
			Activation:      "relu",
			Init:            "kaiming_normal",
			InitStd:         0.01,
			InitMode:        "fan_in",
			InitBound:       0.05,
			HeadInitScale:   1,
			ActivationSlope: 0.01,
			ActivationAlpha: 1,
			GELUApproximate: "none",
		},
		Optimizer: Optimizer{
			Type:  "sgd",
			LR:    0.01,
			Betas: []float64{0.9, 0.999},
			Eps:   1e-8,
			Alpha: 0.99,
		},
		Schedule: Schedule{
			Type:           "constant",
			StepSize:       10,
			Gamma:          0.1,
			T0:             10,
			TMult:          1,
			StartFactor:    1,
			Power:          1,
			PctStart:       0.3,
			DivFactor:      25,
			FinalDivFactor: 1e4,
			AnnealStrategy: "cos",
			ScaleRule:      "none",
			BaseBatchSize:  256,
			Plateau: Plateau{
				Metric:        "val_loss",
				Mode:          "min",
				Factor:        0.1,
				Patience:      10,
				Threshold:     1e-4,
				ThresholdMode: "rel",
			},
		},
		Train: Train{
			Epochs:        10,
			BatchSize:     128,
			EvalBatchSize: 1000,
			Accumulate:    1,
			EarlyStopping: EarlyStopping{Metric: "val_loss", Mode: "min", Patience: 10},
			Mixup:         Mix{P: 1},
			CutMix:        Mix{P: 1},
		},
		EMA:        EMA{Decay: 0.999},
		Checkpoint: Checkpoint{Monitor: "val_acc", Mode: "max", KeepBest: 1},
		Output:     Output{Dir: defaultOutputDir(defaultName)},
	}
}

// defaultOutputDir is the default output.dir of a run named name.
func defaultOutputDir(name string) string {
	return filepath.Join("runs", name)
}

// applyDerivedDefaults fills in the defaults that depend on other keys or on
// the file name; isSet reports whether a key path was given a value.
func (c *Config) applyDerivedDefaults(isSet func(path string) bool, filename string) {
	if !isSet("name") {
		c.Name = nameFromFile(filename)
	}
	if !isSet("output.dir") {
		c.Output.Dir = defaultOutputDir(c.Name)
	}
	c.applyDataPrepDefaults(isSet)
	m := &c.Model
	if m.Arch != "mlp" && !isSet("model.hidden") {
		m.Hidden = nil // [256] is the default of arch mlp only
	}
	// Keys of one architecture get their defaults only for it, so the
	// resolved config shows what is used; set explicitly for another arch
	// they are kept and Validate reports them.
	if m.Arch == "cnn" {
		if !isSet("model.widths") {
			m.Widths = []int{32, 64}
		}
		if !isSet("model.convs_per_stage") {
			m.ConvsPerStage = 2
		}
		if !isSet("model.batch_norm") {
			m.BatchNorm = true
		}
		if !isSet("model.pool") {
			m.Pool = "max"
		}
		if m.Pool == "fractional" && !isSet("model.pool_ratio") {
			m.PoolRatio = math.Sqrt2
		}
	}
	if m.StochasticDepth != 0 && !isSet("model.stochastic_depth_mode") {
		m.StochasticDepthMode = "linear"
	}
	if m.Arch == "resnet" {
		if !isSet("model.depth") {
			m.Depth = 20
		}
		if !isSet("model.width") {
			m.Width = 16
		}
	}
	for i := range m.Layers {
		l := &m.Layers[i]
		switch l.Type {
		case "linear", "conv2d":
			if l.Bias == nil {
				t := true
				l.Bias = &t
			}
		case "dropout":
			if !isSet(fmt.Sprintf("model.layers[%d].p", i)) {
				l.P = 0.5
			}
		case "fractional_maxpool2d":
			if !isSet(fmt.Sprintf("model.layers[%d].ratio", i)) {
				l.Ratio = math.Sqrt2
			}
			if !isSet(fmt.Sprintf("model.layers[%d].test_draws", i)) {
				l.TestDraws = 1
			}
		}
		switch l.Type {
		case "conv2d", "basic_block":
			if l.Stride == 0 {
				l.Stride = 1
			}
		case "maxpool2d", "avgpool2d":
			if l.Stride == 0 {
				l.Stride = l.Kernel
			}
		}
	}
	// One spelling for "no elements", so that configs compare equal.
	if len(c.Model.Hidden) == 0 {
		c.Model.Hidden = nil
	}
	if pl := &c.Schedule.Plateau; !isSet("schedule.plateau.mode") {
		pl.Mode = "min"
		if pl.Metric == "val_acc" {
			pl.Mode = "max"
		}
	}
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
		es.Mode = metricMode(es.Metric)
	}
	if ck := &c.Checkpoint; !isSet("checkpoint.mode") {
		ck.Mode = metricMode(ck.Monitor)
	}
	if c.Optimizer.Type == "adagrad" && !isSet("optimizer.eps") {
		c.Optimizer.Eps = 1e-10 // torch's Adagrad default
	}
	for i := range c.Optimizer.Groups {
		if g := &c.Optimizer.Groups[i]; !isSet(fmt.Sprintf("optimizer.groups[%d].lr_scale", i)) {
			g.LRScale = 1
		}
	}
	if len(c.Regularization.Include) == 0 {
		c.Regularization.Include = nil
	}
	if len(c.Regularization.Exclude) == 0 {
		c.Regularization.Exclude = nil
	}
	if len(c.Optimizer.Groups) == 0 {
		c.Optimizer.Groups = nil
	}
	if len(c.Schedule.Milestones) == 0 {
		c.Schedule.Milestones = nil
	}
	if len(c.Model.Widths) == 0 {
		c.Model.Widths = nil
	}
	if len(c.Model.Layers) == 0 {
		c.Model.Layers = nil
	}
}

// applyDataPrepDefaults fills in the defaults of data, preprocess and
// augment that depend on other keys, and moves the deprecated
// preprocess.normalize into preprocess.method.
func (c *Config) applyDataPrepDefaults(isSet func(path string) bool) {
	if c.Data.Format == "csv" && !isSet("data.label_column") {
		c.Data.LabelColumn = "label"
	}
	p := &c.Preprocess
	if p.Normalize != "" && !isSet("preprocess.method") && (p.Normalize == "global" || p.Normalize == "none") {
		p.Method, p.Normalize = p.Normalize, "" // the deprecated spelling
	}
	if (p.Method == "pca_whiten" || p.Method == "zca") && !isSet("preprocess.epsilon") {
		p.Epsilon = 0.01
	}
	for i := range c.Augment {
		a := &c.Augment[i]
		if !isSet(fmt.Sprintf("augment[%d].p", i)) {
			a.P = 1
		}
		for _, r := range []*[]float64{&a.Scale, &a.Ratio, &a.Translate, &a.Stretch, &a.K} {
			if len(*r) == 0 {
				*r = nil
			}
		}
		if len(a.Ops) == 0 {
			a.Ops = nil
		}
	}
	if len(c.Augment) == 0 {
		c.Augment = nil
	}
}

// metricMode is the default mode of a monitored metric: "max" for
// accuracies, "min" for losses.
func metricMode(metric string) string {
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
