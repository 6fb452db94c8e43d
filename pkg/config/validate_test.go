package config

import (
	"errors"
	"strings"
	"testing"
)

// TestValidateErrors covers range and cross-key rules as Parse reports them:
// the file and line of the key when the value came from the file, the file
// alone when it is a default, the bad value and what is allowed.
func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name, yml, want string
	}{
		{"version", "version: 2", `x.yaml:2: version: unsupported schema version 2; this nettrain reads version 1`},
		{"name chars", "name: my run", `x.yaml:2: name: must match [A-Za-z0-9._-]+ (it names the run folder), got "my run"`},
		{"name dotdot", "name: ..", `x.yaml:2: name: must not be ".." (it names the run folder)`},
		{"name empty", `name: ""`, `x.yaml:2: name: must match [A-Za-z0-9._-]+ (it names the run folder), got ""`},
		{"data.format", "data: {format: csv}", `x.yaml:2: data.format: must be "idx" (the only value for now), got "csv"`},
		{"val_split negative", "data: {val_split: -0.1}", `x.yaml:2: data.val_split: must be >= 0 (a fraction 0 < v < 1, a count >= 1, or 0 for none), got -0.1`},
		{"val_split fractional count", "data: {val_split: 1.5}", `x.yaml:2: data.val_split: must be a whole number when >= 1 (a count of examples; use 0 < v < 1 for a fraction), got 1.5`},
		{"val_split nan", "data: {val_split: .nan}", `x.yaml:2: data.val_split: must be a finite number, got .nan`},
		{"val_split >= train_limit", "data: {val_split: 100, train_limit: 100}", `x.yaml:2: data.val_split: 100 validation examples leave none for training out of data.train_limit 100`},
		{"train_limit", "data: {train_limit: -5}", `x.yaml:2: data.train_limit: must be >= 0 (0 = all examples), got -5`},
		{"normalize", "preprocess: {normalize: minmax}", `x.yaml:2: preprocess.normalize: must be one of "global", "none", got "minmax"`},
		{"arch empty", `model: {arch: ""}`, `x.yaml:2: model.arch: must not be empty ("mlp" or "layers")`},
		{"hidden element", "model:\n  hidden: [128, 0]", `x.yaml:3: model.hidden[1]: must be >= 1, got 0`},
		{"hidden with arch layers", "model: {arch: layers, hidden: [3], layers: [{type: flatten}]}", `x.yaml:2: model.hidden: only used by model.arch "mlp"; remove it for arch "layers"`},
		{"activation empty", `model: {activation: ""}`, `x.yaml:2: model.activation: must not be empty (e.g. "relu")`},
		{"init empty", `model: {init: ""}`, `x.yaml:2: model.init: must not be empty (e.g. "kaiming_normal")`},
		{"init_std zero", "model: {init_std: 0}", `x.yaml:2: model.init_std: must be > 0, got 0`},
		{"head_init_scale negative", "model: {head_init_scale: -1}", `x.yaml:2: model.head_init_scale: must be >= 0, got -1`},
		{"init_std inf", "model: {init_std: .inf}", `x.yaml:2: model.init_std: must be a finite number, got .inf`},
		{"layers missing", "model: {arch: layers}", `x.yaml:2: model.layers: required when model.arch is "layers": a non-empty list such as [{type: flatten}, {type: linear, out: 10}]`},
		{"layers empty", "model:\n  arch: layers\n  layers: []", `x.yaml:4: model.layers: required when model.arch is "layers": a non-empty list such as [{type: flatten}, {type: linear, out: 10}]`},
		{"layers with mlp", "model: {layers: [{type: flatten}]}", `x.yaml:2: model.layers: only used with model.arch "layers" (arch is "mlp")`},
		{"layer type missing", "model:\n  arch: layers\n  layers:\n    - {name: fc}", `x.yaml:5: model.layers[0].type: required: linear, flatten, or an activation name such as relu`},
		{"layer name chars", "model:\n  arch: layers\n  layers:\n    - {type: linear, out: 2, name: fc-1}", `x.yaml:5: model.layers[0].name: must match [A-Za-z0-9_]+, got "fc-1"`},
		{"layer name duplicate", "model:\n  arch: layers\n  layers:\n    - {type: linear, out: 2, name: fc}\n    - {type: linear, out: 2, name: fc}", `x.yaml:6: model.layers[1].name: "fc" is already the name of model.layers[0]`},
		{"layer out negative", "model:\n  arch: layers\n  layers:\n    - {type: linear, out: -3}", `x.yaml:5: model.layers[0].out: must be >= 1, got -3`},
		{"out on flatten", "model:\n  arch: layers\n  layers:\n    - {type: flatten, out: 3}", `x.yaml:5: model.layers[0].out: only used by linear layers (this layer is "flatten")`},
		{"bias on relu", "model:\n  arch: layers\n  layers:\n    - type: relu\n      bias: true", `x.yaml:6: model.layers[0].bias: only used by linear layers (this layer is "relu")`},
		{"init on relu", "model:\n  arch: layers\n  layers:\n    - {type: relu, init: normal}", `x.yaml:5: model.layers[0].init: only used by linear layers (this layer is "relu")`},
		{"optimizer type", "optimizer: {type: adam}", `x.yaml:2: optimizer.type: must be "sgd" (the only value for now), got "adam"`},
		{"lr negative", "optimizer:\n  lr: -1", `x.yaml:3: optimizer.lr: must be > 0, got -1`},
		{"lr zero", "optimizer: {lr: 0}", `x.yaml:2: optimizer.lr: must be > 0, got 0`},
		{"lr inf", "optimizer: {lr: .inf}", `x.yaml:2: optimizer.lr: must be a finite number, got .inf`},
		{"momentum 1", "optimizer: {momentum: 1}", `x.yaml:2: optimizer.momentum: must be >= 0 and < 1, got 1`},
		{"momentum negative", "optimizer: {momentum: -0.5}", `x.yaml:2: optimizer.momentum: must be >= 0 and < 1, got -0.5`},
		{"nesterov without momentum", "optimizer:\n  nesterov: true", `x.yaml:3: optimizer.nesterov: requires optimizer.momentum > 0`},
		{"nesterov with momentum 0", "optimizer:\n  momentum: 0\n  nesterov: true", `x.yaml:4: optimizer.nesterov: requires optimizer.momentum > 0`},
		{"l2 negative", "regularization: {l2: -1e-4}", `x.yaml:2: regularization.l2: must be >= 0, got -0.0001`},
		{"schedule type", "schedule: {type: linear}", `x.yaml:2: schedule.type: must be one of "constant", "step", "cosine", got "linear"`},
		{"step_size", "schedule: {type: step, step_size: 0}", `x.yaml:2: schedule.step_size: must be >= 1, got 0`},
		{"gamma zero", "schedule: {gamma: 0}", `x.yaml:2: schedule.gamma: must be > 0 and <= 1, got 0`},
		{"gamma above 1", "schedule: {gamma: 1.5}", `x.yaml:2: schedule.gamma: must be > 0 and <= 1, got 1.5`},
		{"min_lr negative", "schedule: {min_lr: -1}", `x.yaml:2: schedule.min_lr: must be >= 0, got -1`},
		{"min_lr >= lr", "schedule:\n  type: cosine\n  min_lr: 0.01", `x.yaml:4: schedule.min_lr: must be < optimizer.lr (0.01), got 0.01`},
		{"warmup negative", "schedule: {warmup_epochs: -1}", `x.yaml:2: schedule.warmup_epochs: must be >= 0, got -1`},
		{"warmup >= epochs", "schedule: {warmup_epochs: 10}", `x.yaml:2: schedule.warmup_epochs: must be < train.epochs (10), got 10`},
		{"epochs", "train: {epochs: 0}", `x.yaml:2: train.epochs: must be >= 1, got 0`},
		{"batch_size", "train: {batch_size: -1}", `x.yaml:2: train.batch_size: must be >= 1, got -1`},
		{"eval_batch_size", "train: {eval_batch_size: 0}", `x.yaml:2: train.eval_batch_size: must be >= 1, got 0`},
		{"output.dir empty", `output: {dir: ""}`, `x.yaml:2: output.dir: must not be empty (default "runs/<name>")`},
		{"several, in schema order", "train: {epochs: 0}\noptimizer: {lr: -1}",
			"x.yaml:3: optimizer.lr: must be > 0, got -1\nx.yaml:2: train.epochs: must be >= 1, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseErr(t, "seed: 1\n"+tt.yml, "data.dir=.")
			if got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestValidateLocation checks where a validation error points: the key's
// line, the closest section written in the file, the file alone, or the
// override that set the value.
func TestValidateLocation(t *testing.T) {
	tests := []struct {
		name, yml string
		overrides []string
		want      string
	}{
		{"missing data.dir, no data section", "seed: 3\n", nil, "x.yaml: data.dir: required: the folder holding the dataset files (relative to the config file's folder)"},
		{"missing data.dir, data section on line 2", "seed: 3\ndata:\n  val_split: 0\n", nil, "x.yaml:2: data.dir: required: the folder holding the dataset files (relative to the config file's folder)"},
		{"range error from --set", "data: {dir: .}\n", []string{"optimizer.lr=-1"}, "--set optimizer.lr=-1: optimizer.lr: must be > 0, got -1"},
		{"--set overrides a file value", "data: {dir: .}\noptimizer:\n  lr: 0.1\n", []string{"optimizer.lr=0"}, "--set optimizer.lr=0: optimizer.lr: must be > 0, got 0"},
		{"default out of range because of another key", "data: {dir: .}\noptimizer:\n  lr: 0.1\n", []string{"train.epochs=1", "schedule.warmup_epochs=1"}, "--set schedule.warmup_epochs=1: schedule.warmup_epochs: must be < train.epochs (1), got 1"},
		{"list element from --set", "data: {dir: .}\n", []string{"model.hidden=[8, 0]"}, "--set model.hidden=[8, 0]: model.hidden[1]: must be >= 1, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseErr(t, tt.yml, tt.overrides...)
			if got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestValidateInCode(t *testing.T) {
	c := Default()
	if err := c.Validate(); err == nil || err.Error() != "data.dir: required: the folder holding the dataset files (relative to the config file's folder)" {
		t.Errorf("Default().Validate() = %v, want only the data.dir error", err)
	}
	c.Data.Dir = "/data"
	if err := c.Validate(); err != nil {
		t.Errorf("Default() with data.dir: %v", err)
	}
	c.Optimizer.LR = -1
	c.Train.Epochs = 0
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	if got, want := err.Error(), "optimizer.lr: must be > 0, got -1\ntrain.epochs: must be >= 1, got 0"; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	var e *Error
	if !errors.As(err, &e) || e.Path != "optimizer.lr" || e.File != "" || e.Line != 0 {
		t.Errorf("errors.As: %+v", e)
	}
	// A NaN never slips through a comparison.
	c = Default()
	c.Data.Dir = "/data"
	nan := 0.0
	nan /= nan
	c.Optimizer.Momentum = nan
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "optimizer.momentum: must be a finite number, got .nan") {
		t.Errorf("NaN momentum: %v", err)
	}
}

func TestValidEdgeValues(t *testing.T) {
	for _, yml := range []string{
		"data: {val_split: 0.999999}",
		"data: {val_split: 1}",
		"data: {val_split: 99, train_limit: 100}",
		"optimizer: {momentum: 0.999, nesterov: true}",
		"schedule: {type: step, gamma: 1, step_size: 1}",
		"schedule: {type: cosine, min_lr: 0.00999}",
		"schedule: {warmup_epochs: 9.99}",
		"train: {epochs: 1}\nschedule: {warmup_epochs: 0.5}",
		"seed: 0",
		"name: a.b-c_D9",
		"model: {hidden: []}",
		"model: {arch: layers, layers: [{type: linear, name: A_1, out: 1}]}",
	} {
		mustParse(t, yml, "data.dir=.")
	}
}
