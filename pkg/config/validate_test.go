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
		{"accumulate", "train: {accumulate: 0}", `x.yaml:2: train.accumulate: must be >= 1, got 0`},
		{"divergence_factor", "train: {divergence_factor: 0.5}", `x.yaml:2: train.divergence_factor: must be > 1 (0 = off), got 0.5`},
		{"early stopping metric", "train: {early_stopping: {enabled: true, metric: val_f1}}", `x.yaml:2: train.early_stopping.metric: must be one of "val_loss", "val_acc", "train_loss", "train_acc", got "val_f1"`},
		{"early stopping without val", "data: {val_split: 0}\ntrain: {early_stopping: {enabled: true, metric: val_acc}}", `x.yaml:3: train.early_stopping.metric: val_acc needs a validation split (data.val_split is 0); use train_loss or train_acc`},
		{"early stopping patience", "train: {early_stopping: {patience: 0}}", `x.yaml:2: train.early_stopping.patience: must be >= 1, got 0`},
		{"ema decay", "ema: {decay: 1}", `x.yaml:2: ema.decay: must be > 0 and < 1, got 1`},
		{"checkpoint keep_best", "checkpoint: {keep_best: 0}", `x.yaml:2: checkpoint.keep_best: must be >= 1, got 0`},
		{"checkpoint mode", "checkpoint: {mode: up}", `x.yaml:2: checkpoint.mode: must be one of "min", "max", got "up"`},
		{"version", "version: 2", `x.yaml:2: version: unsupported schema version 2; this nettrain reads version 1`},
		{"name chars", "name: my run", `x.yaml:2: name: must match [A-Za-z0-9._-]+ (it names the run folder), got "my run"`},
		{"name dotdot", "name: ..", `x.yaml:2: name: must not be ".." (it names the run folder)`},
		{"name empty", `name: ""`, `x.yaml:2: name: must match [A-Za-z0-9._-]+ (it names the run folder), got ""`},
		{"data.format", "data: {format: tfrecord}", `x.yaml:2: data.format: must be one of "idx", "folder", "csv", "packed", got "tfrecord"`},
		{"label_column without csv", "data: {label_column: y}", `x.yaml:2: data.label_column: only used by data.format csv (format is "idx")`},
		{"preprocess method", "preprocess: {method: whiten}", `x.yaml:2: preprocess.method: must be one of "none", "global", "channel", "feature", "pca", "pca_whiten", "zca", got "whiten"`},
		{"normalize and method", "preprocess: {normalize: none, method: zca}", `x.yaml:2: preprocess.normalize: is the deprecated spelling of preprocess.method; remove it (preprocess.method is "zca")`},
		{"normalize bad", "preprocess: {normalize: pca}", `x.yaml:2: preprocess.normalize: must be one of "global", "none", got "pca"`},
		{"components without pca", "preprocess: {components: 50}", `x.yaml:2: preprocess.components: only used by preprocess.method pca and pca_whiten (method is "global")`},
		{"components and variance", "preprocess: {method: pca, components: 50, variance: 0.9}", `x.yaml:2: preprocess.variance: set only one of preprocess.components (50) and preprocess.variance`},
		{"variance range", "preprocess: {method: pca_whiten, variance: 1.5}", `x.yaml:2: preprocess.variance: must be in (0, 1] (0 = keep every component), got 1.5`},
		{"epsilon negative", "preprocess: {method: zca, epsilon: -1}", `x.yaml:2: preprocess.epsilon: must be >= 0, got -1`},
		{"augment unknown op", "augment: [{op: rotat, degrees: 10}]", `x.yaml:2: augment[0].op: unknown op "rotat"; did you mean "rotate"? known: color_jitter, crop, cutout, erase, hflip, lens, randaugment, resized_crop, rotate, shear, stretch, translate, vflip`},
		{"augment p", "augment: [{op: hflip, p: 1.5}]", `x.yaml:2: augment[0].p: hflip: must be in [0, 1], got 1.5`},
		{"augment misplaced key", "augment: [{op: hflip, degrees: 10}]", `x.yaml:2: augment[0].degrees: hflip: does not apply to hflip (it takes no parameters)`},
		{"augment range", "augment: [{op: erase, scale: [0.1]}]", `x.yaml:2: augment[0].scale: must be two numbers [min, max], got 1`},
		{"l1 negative", "regularization: {l1: -1}", `x.yaml:2: regularization.l1: must be >= 0, got -1`},
		{"penalty pattern", "regularization: {l2: 1e-4, exclude: ['[']}", `x.yaml:2: regularization.exclude[0]: bad glob "[": syntax error in pattern`},
		{"dropconnect", "model: {dropconnect: 1}", `x.yaml:2: model.dropconnect: must be in [0, 1), got 1`},
		{"stochastic depth arch", "model: {stochastic_depth: 0.1}", `x.yaml:2: model.stochastic_depth: only used by model.arch resnet and layers (arch is "mlp")`},
		{"stochastic depth mode", "model: {arch: resnet, stochastic_depth: 0.1, stochastic_depth_mode: cubic}", `x.yaml:2: model.stochastic_depth_mode: must be one of "linear", "constant", got "cubic"`},
		{"pool ratio", "model: {arch: cnn, pool: fractional, pool_ratio: 2}", `x.yaml:2: model.pool_ratio: must be in (1, 2) (√2 ≈ 1.414 in the paper), got 2`},
		{"pool ratio without fractional", "model: {arch: cnn, pool_ratio: 1.5}", `x.yaml:2: model.pool_ratio: only used with model.pool fractional (pool is "max")`},
		{"fractional layer ratio", "model: {arch: layers, layers: [{type: fractional_maxpool2d, ratio: 2.5}]}", `x.yaml:2: model.layers[0].ratio: must be in (1, 2) (√2 ≈ 1.414 in the paper), got 2.5`},
		{"layer dropconnect", "model: {arch: layers, layers: [{type: flatten}, {type: linear, out: 10, dropconnect: 1.5}]}", `x.yaml:2: model.layers[1].dropconnect: must be in [0, 1), got 1.5`},
		{"drop on linear", "model: {arch: layers, layers: [{type: flatten}, {type: linear, out: 10, drop: 0.1}]}", `x.yaml:2: model.layers[1].drop: not used by a "linear" layer (it takes: out, bias, init, dropconnect)`},
		{"label smoothing", "train: {label_smoothing: 1}", `x.yaml:2: train.label_smoothing: must be in [0, 1), got 1`},
		{"mixup alpha", "train: {mixup: {alpha: -1}}", `x.yaml:2: train.mixup.alpha: must be >= 0 (0 = off; typical 0.2 for mixup, 1 for cutmix), got -1`},
		{"cutmix p", "train: {cutmix: {alpha: 1, p: 2}}", `x.yaml:2: train.cutmix.p: must be in [0, 1], got 2`},
		{"val_split negative", "data: {val_split: -0.1}", `x.yaml:2: data.val_split: must be >= 0 (a fraction 0 < v < 1, a count >= 1, or 0 for none), got -0.1`},
		{"val_split fractional count", "data: {val_split: 1.5}", `x.yaml:2: data.val_split: must be a whole number when >= 1 (a count of examples; use 0 < v < 1 for a fraction), got 1.5`},
		{"val_split nan", "data: {val_split: .nan}", `x.yaml:2: data.val_split: must be a finite number, got .nan`},
		{"val_split >= train_limit", "data: {val_split: 100, train_limit: 100}", `x.yaml:2: data.val_split: 100 validation examples leave none for training out of data.train_limit 100`},
		{"train_limit", "data: {train_limit: -5}", `x.yaml:2: data.train_limit: must be >= 0 (0 = all examples), got -5`},
		{"normalize", "preprocess: {normalize: minmax}", `x.yaml:2: preprocess.normalize: must be one of "global", "none", got "minmax"`},
		{"arch empty", `model: {arch: ""}`, `x.yaml:2: model.arch: must not be empty ("mlp" or "layers")`},
		{"hidden element", "model:\n  hidden: [128, 0]", `x.yaml:3: model.hidden[1]: must be >= 1, got 0`},
		{"hidden with arch layers", "model: {arch: layers, hidden: [3], layers: [{type: flatten}]}", `x.yaml:2: model.hidden: only used by model.arch mlp and cnn (arch is "layers")`},
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
		{"layer out negative", "model:\n  arch: layers\n  layers:\n    - {type: linear, out: -3}", `x.yaml:5: model.layers[0].out: required for a "linear" layer: must be >= 1, got -3`},
		{"out on flatten", "model:\n  arch: layers\n  layers:\n    - {type: flatten, out: 3}", `x.yaml:5: model.layers[0].out: not used by a "flatten" layer (it takes: no other keys)`},
		{"bias on relu", "model:\n  arch: layers\n  layers:\n    - type: relu\n      bias: true", `x.yaml:6: model.layers[0].bias: not used by a "relu" layer (it takes: slope, alpha, approximate, per_channel)`},
		{"init on relu", "model:\n  arch: layers\n  layers:\n    - {type: relu, init: normal}", `x.yaml:5: model.layers[0].init: not used by a "relu" layer (it takes: slope, alpha, approximate, per_channel)`},
		{"optimizer type", "optimizer: {type: lbfgs}", `x.yaml:2: optimizer.type: must be one of "sgd", "adam", "adamw", "rmsprop", "adagrad", got "lbfgs"`},
		{"momentum with adam", "optimizer: {type: adam, momentum: 0.9}", `x.yaml:2: optimizer.momentum: only used by optimizer.type sgd and rmsprop (type is "adam")`},
		{"betas length", "optimizer: {type: adam, betas: [0.9]}", `x.yaml:2: optimizer.betas: must be two numbers [beta1, beta2], e.g. [0.9, 0.999]`},
		{"group pattern", "optimizer: {groups: [{lr_scale: 2}]}", `x.yaml:2: optimizer.groups[0].pattern: required: a glob on parameter names, e.g. "*.bias"`},
		{"lr negative", "optimizer:\n  lr: -1", `x.yaml:3: optimizer.lr: must be > 0, got -1`},
		{"lr zero", "optimizer: {lr: 0}", `x.yaml:2: optimizer.lr: must be > 0, got 0`},
		{"lr inf", "optimizer: {lr: .inf}", `x.yaml:2: optimizer.lr: must be a finite number, got .inf`},
		{"momentum 1", "optimizer: {momentum: 1}", `x.yaml:2: optimizer.momentum: must be >= 0 and < 1, got 1`},
		{"momentum negative", "optimizer: {momentum: -0.5}", `x.yaml:2: optimizer.momentum: must be >= 0 and < 1, got -0.5`},
		{"nesterov without momentum", "optimizer:\n  nesterov: true", `x.yaml:3: optimizer.nesterov: requires optimizer.momentum > 0`},
		{"nesterov with momentum 0", "optimizer:\n  momentum: 0\n  nesterov: true", `x.yaml:4: optimizer.nesterov: requires optimizer.momentum > 0`},
		{"l2 negative", "regularization: {l2: -1e-4}", `x.yaml:2: regularization.l2: must be >= 0, got -0.0001`},
		{"schedule type", "schedule: {type: linear_warm}", `x.yaml:2: schedule.type: must be one of "constant", "step", "multistep", "exponential", "cosine", "cosine_restarts", "linear", "poly", "invsqrt", "onecycle", got "linear_warm"`},
		{"plateau factor", "schedule: {plateau: {enabled: true, factor: 1}}", `x.yaml:2: schedule.plateau.factor: must be in (0, 1), got 1`},
		{"milestones order", "schedule: {type: multistep, milestones: [5, 3]}", `x.yaml:2: schedule.milestones[1]: must be greater than the previous milestone (5), got 3`},
		{"multistep needs milestones", "schedule: {type: multistep}", `x.yaml:2: schedule.milestones: required for schedule.type multistep, e.g. [30, 60, 90]`},
		{"step_size", "schedule: {type: step, step_size: 0}", `x.yaml:2: schedule.step_size: must be >= 1, got 0`},
		{"gamma zero", "schedule: {gamma: 0}", `x.yaml:2: schedule.gamma: must be > 0 and <= 1, got 0`},
		{"gamma above 1", "schedule: {gamma: 1.5}", `x.yaml:2: schedule.gamma: must be > 0 and <= 1, got 1.5`},
		{"min_lr negative", "schedule: {min_lr: -1}", `x.yaml:2: schedule.min_lr: must be >= 0, got -1`},
		{"min_lr >= lr", "schedule:\n  type: cosine\n  min_lr: 0.01", `x.yaml:4: schedule.min_lr: must be < optimizer.lr (0.01), got 0.01`},
		{"warmup negative", "schedule: {warmup_epochs: -1}", `x.yaml:2: schedule.warmup_epochs: must be >= 0, got -1`},
		{"warmup >= epochs", "schedule: {warmup_epochs: 10}", `x.yaml:2: schedule.warmup_epochs: must be < train.epochs (10), got 10`},
		{"epochs", "train: {epochs: 0}", `x.yaml:2: train.epochs: must be >= 1, got 0`},
		{"one class", "data: {classes: [3]}", `x.yaml:2: data.classes: needs at least 2 labels (or none: every class), got [3]`},
		{"repeated class", "data: {classes: [3, 4, 3]}", `x.yaml:2: data.classes[2]: label 3 is already classes[0]`},
		{"negative class", "data: {classes: [-1, 2]}", `x.yaml:2: data.classes[0]: must be >= 0, got -1`},
		{"freeze_bn alone", "train: {freeze_bn: true}", `x.yaml:2: train.freeze_bn: only used with train.freeze (the batch norms it freezes)`},
		{"unfreeze_at alone", "train: {unfreeze_at: 2}", `x.yaml:2: train.unfreeze_at: only used with train.freeze`},
		{"unfreeze_at too late", "train: {freeze: ['fc1.*'], unfreeze_at: 10}", `x.yaml:2: train.unfreeze_at: must be < train.epochs (10), got 10`},
		{"freeze bad glob", "train: {freeze: ['fc[']}", `x.yaml:2: train.freeze[0]: bad glob "fc[": syntax error in pattern`},
		{"init_exclude alone", "model: {init_exclude: ['fc2.*']}", `x.yaml:2: model.init_exclude: only used with model.init_from`},
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

// TestArchAndLayerKeys covers the keys of the cnn, resnet and layers
// architectures: defaults per arch, keys used by the wrong arch or layer
// type, and ranges.
func TestArchAndLayerKeys(t *testing.T) {
	cases := []struct {
		name, yaml, wantErr string
		check               func(t *testing.T, c *Config)
	}{
		{name: "cnn defaults", yaml: "model: {arch: cnn}", check: func(t *testing.T, c *Config) {
			m := c.Model
			if len(m.Widths) != 2 || m.Widths[0] != 32 || m.ConvsPerStage != 2 || !m.BatchNorm || m.Pool != "max" || m.Hidden != nil || m.Depth != 0 {
				t.Errorf("cnn defaults: %+v", m)
			}
		}},
		{name: "resnet defaults", yaml: "model: {arch: resnet}", check: func(t *testing.T, c *Config) {
			if c.Model.Depth != 20 || c.Model.Width != 16 || c.Model.Widths != nil || c.Model.BatchNorm {
				t.Errorf("resnet defaults: %+v", c.Model)
			}
		}},
		{name: "cnn batch_norm off", yaml: "model: {arch: cnn, batch_norm: false, widths: [8]}", check: func(t *testing.T, c *Config) {
			if c.Model.BatchNorm || len(c.Model.Widths) != 1 {
				t.Errorf("got %+v", c.Model)
			}
		}},
		{name: "layer defaults", yaml: "model:\n  arch: layers\n  layers:\n    - {type: conv2d, out: 4, kernel: 3}\n    - {type: maxpool2d, kernel: 2}\n    - {type: dropout}\n    - {type: basic_block, out: 8}",
			check: func(t *testing.T, c *Config) {
				l := c.Model.Layers
				if l[0].Stride != 1 || l[0].Bias == nil || !*l[0].Bias || l[1].Stride != 2 || l[2].P != 0.5 || l[3].Stride != 1 {
					t.Errorf("layer defaults: %+v", l)
				}
			}},
		{name: "widths on mlp", yaml: "model: {widths: [8]}", wantErr: `x.yaml:2: model.widths: only used by model.arch cnn (arch is "mlp")`},
		{name: "depth on cnn", yaml: "model: {arch: cnn, depth: 20}", wantErr: `x.yaml:2: model.depth: only used by model.arch resnet (arch is "cnn")`},
		{name: "bad depth", yaml: "model: {arch: resnet, depth: 10}", wantErr: `x.yaml:2: model.depth: must be 6n+2 with n >= 1 (8, 14, 20, 32, 44, 56, ...), got 10`},
		{name: "bad pool", yaml: "model: {arch: cnn, pool: min}", wantErr: `model.pool`},
		{name: "bad dropout", yaml: "model: {dropout: 1}", wantErr: `x.yaml:2: model.dropout: must be in [0, 1), got 1`},
		{name: "conv without kernel", yaml: "model:\n  arch: layers\n  layers:\n    - {type: conv2d, out: 4}", wantErr: `model.layers[0].kernel: required for a "conv2d" layer: must be >= 1, got 0`},
		{name: "p on linear", yaml: "model:\n  arch: layers\n  layers:\n    - {type: linear, out: 4, p: 0.5}", wantErr: `model.layers[0].p: not used by a "linear" layer (it takes: out, bias, init, dropconnect)`},
		{name: "dropout p 1", yaml: "model:\n  arch: layers\n  layers:\n    - {type: dropout, p: 1}", wantErr: `model.layers[0].p: must be in [0, 1), got 1`},
		{name: "gelu approximate", yaml: "model:\n  arch: layers\n  layers:\n    - {type: gelu, approximate: fast}", wantErr: `model.layers[0].approximate`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte("data: {dir: .}\n"+tc.yaml), "x.yaml", nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
			// The resolved config must parse back to the same config.
			b, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(b, "x.yaml", nil); err != nil {
				t.Fatalf("resolved config does not parse: %v\n%s", err, b)
			}
		})
	}
}

// TestMonitorDefaults checks the derived defaults of the monitored metrics
// and their modes.
func TestMonitorDefaults(t *testing.T) {
	c := mustParse(t, "data: {dir: .}")
	if c.Checkpoint.Monitor != "val_acc" || c.Checkpoint.Mode != "max" || c.Train.EarlyStopping.Metric != "val_loss" || c.Train.EarlyStopping.Mode != "min" {
		t.Errorf("with validation: %+v %+v", c.Checkpoint, c.Train.EarlyStopping)
	}
	c = mustParse(t, "data: {dir: ., val_split: 0}")
	if c.Checkpoint.Monitor != "train_acc" || c.Train.EarlyStopping.Metric != "train_loss" {
		t.Errorf("without validation: %+v %+v", c.Checkpoint, c.Train.EarlyStopping)
	}
	c = mustParse(t, "data: {dir: .}\ncheckpoint: {monitor: val_loss}")
	if c.Checkpoint.Mode != "min" {
		t.Errorf("monitor val_loss: mode %q, want min", c.Checkpoint.Mode)
	}
}
