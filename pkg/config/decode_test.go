package config

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/optim"
)

// TestZeroValueIsNotAbsent checks that a key written with its zero value
// overrides the default, while an absent or null key keeps it.
func TestZeroValueIsNotAbsent(t *testing.T) {
	tests := []struct {
		name string
		yml  string
		got  func(*Config) any
		want any
	}{
		{"val_split absent", "", func(c *Config) any { return c.Data.ValSplit }, 0.1},
		{"val_split: 0 means no validation", "data: {val_split: 0}", func(c *Config) any { return c.Data.ValSplit }, 0.0},
		{"val_split null keeps default", "data: {val_split: ~}", func(c *Config) any { return c.Data.ValSplit }, 0.1},
		{"val_split empty keeps default", "data:\n  val_split:\n", func(c *Config) any { return c.Data.ValSplit }, 0.1},
		{"hidden absent", "", func(c *Config) any { return c.Model.Hidden }, []int{256}},
		{"hidden: [] is a linear classifier", "model: {hidden: []}", func(c *Config) any { return c.Model.Hidden }, []int(nil)},
		{"hidden null keeps default", "model: {hidden: null}", func(c *Config) any { return c.Model.Hidden }, []int{256}},
		{"hidden block list", "model:\n  hidden:\n    - 64\n    - 32\n", func(c *Config) any { return c.Model.Hidden }, []int{64, 32}},
		{"hidden not defaulted for arch layers", "model: {arch: layers, layers: [{type: flatten}]}", func(c *Config) any { return c.Model.Hidden }, []int(nil)},
		{"hidden kept for another arch", "model: {arch: cnn}", func(c *Config) any { return c.Model.Hidden }, []int(nil)},
		{"hidden explicit for another arch", "model: {arch: cnn, hidden: [3]}", func(c *Config) any { return c.Model.Hidden }, []int{3}},
		{"momentum: 0", "optimizer: {momentum: 0}", func(c *Config) any { return c.Optimizer.Momentum }, 0.0},
		{"seed: 0", "seed: 0", func(c *Config) any { return c.Seed }, uint64(0)},
		{"seed absent", "", func(c *Config) any { return c.Seed }, uint64(1)},
		{"seed max", "seed: 18446744073709551615", func(c *Config) any { return c.Seed }, uint64(math.MaxUint64)},
		{"train_limit: 0", "data: {train_limit: 0}", func(c *Config) any { return c.Data.TrainLimit }, 0},
		{"section null keeps defaults", "optimizer:\n", func(c *Config) any { return c.Optimizer }, optim.Spec{Type: "sgd", LR: 0.01, Betas: []float64{0.9, 0.999}, Eps: 1e-8, Alpha: 0.99}},
		{"section empty mapping keeps defaults", "optimizer: {}", func(c *Config) any { return c.Optimizer }, optim.Spec{Type: "sgd", LR: 0.01, Betas: []float64{0.9, 0.999}, Eps: 1e-8, Alpha: 0.99}},
		{"name null means file name", "name: ~", func(c *Config) any { return c.Name }, "x"},
		{"bias defaults to true on linear only", "model: {arch: layers, layers: [{type: flatten}, {type: linear, out: 3}, {type: linear, out: 3, bias: ~}]}",
			func(c *Config) any { return c.Model.Layers },
			[]model.LayerSpec{{Type: "flatten"}, {Type: "linear", Out: 3, Bias: ptr(true)}, {Type: "linear", Out: 3, Bias: ptr(true)}}},
		{"bias: false kept", "model: {arch: layers, layers: [{type: linear, out: 3, bias: false}]}",
			func(c *Config) any { return *c.Model.Layers[0].Bias }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.yml, "data.dir=.")
			if got := tt.got(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestScalarForms checks the YAML spellings each scalar type accepts.
func TestScalarForms(t *testing.T) {
	tests := []struct {
		name string
		yml  string
		got  func(*Config) any
		want any
	}{
		{"int in float field", "optimizer: {lr: 1}", func(c *Config) any { return c.Optimizer.LR }, 1.0},
		{"exponent float", "optimizer: {lr: 1e-3}", func(c *Config) any { return c.Optimizer.LR }, 0.001},
		{"hex int", "train: {epochs: 0x10}", func(c *Config) any { return c.Train.Epochs }, 16},
		{"True", "optimizer: {momentum: 0.9, nesterov: True}", func(c *Config) any { return c.Optimizer.Nesterov }, true},
		{"false", "optimizer: {nesterov: false}", func(c *Config) any { return c.Optimizer.Nesterov }, false},
		{"number as string", "name: 2024", func(c *Config) any { return c.Name }, "2024"},
		{"date as string", "name: 2024-01-02", func(c *Config) any { return c.Name }, "2024-01-02"},
		{"quoted string", `model: {activation: "tanh"}`, func(c *Config) any { return c.Model.Activation }, "tanh"},
		{"anchor and alias", "optimizer: {lr: &lr 0.2}\nschedule: {type: cosine}\nregularization: {l2: *lr}", func(c *Config) any { return c.Regularization.L2 }, 0.2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, "data: {dir: .}\n"+tt.yml)
			if got := tt.got(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestDecodeErrors covers unknown keys, duplicate keys and wrong kinds and
// types: each names the file, line and key path, and what is allowed.
func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, yml, want string
	}{
		// Unknown keys.
		{"typo in section", "optimizer:\n  lr: 0.1\n  moment: 0.9\n", `x.yaml:4: optimizer.moment: unknown key; did you mean "momentum"?`},
		{"typo at top level", "seeed: 3\n", `x.yaml:2: seeed: unknown key; did you mean "seed"?`},
		{"case", "optimizer: {LR: 0.1}\n", `x.yaml:2: optimizer.LR: unknown key; did you mean "lr"?`},
		{"prefix", "schedule: {warmup: 2}\n", `x.yaml:2: schedule.warmup: unknown key; did you mean "warmup_epochs"?`},
		{"key of another section", "epochs: 3\n", `x.yaml:2: epochs: unknown key; did you mean "train.epochs" or "search.epochs"?`},
		{"key of two sections", "dir: x\n", `x.yaml:2: dir: unknown key; did you mean "data.dir" or "output.dir"?`},
		{"pytorch name", "train: {learning_rate: 0.1}\n", `x.yaml:2: train.learning_rate: unknown key; did you mean "optimizer.lr"?`},
		{"nothing close", "optimizer: {zzzzzz: 1}\n", `x.yaml:2: optimizer.zzzzzz: unknown key; known keys: type, lr, momentum, dampening, nesterov, betas, eps, alpha, centered, amsgrad, weight_decay, lr_decay, initial_accumulator, clip_grad_norm, clip_grad_value, groups`},
		{"unknown section", "foo: {a: 1}\n", `x.yaml:2: foo: unknown key; known keys: version, name, seed, data, preprocess, augment, model, optimizer, regularization, schedule, train, ema, swa, checkpoint, monitor, distributed, output, search`},
		{"unknown key with null value", "train:\n  epoch:\n", `x.yaml:3: train.epoch: unknown key; did you mean "epochs"?`},
		{"unknown layer key", "model:\n  arch: layers\n  layers:\n    - {type: linear, outt: 3}\n", `x.yaml:5: model.layers[0].outt: unknown key; did you mean "out"?`},
		{"merge key", "optimizer:\n  <<: {lr: 0.1}\n", `x.yaml:3: optimizer.<<: merge keys (<<) are not supported; write the keys out`},
		{"non-scalar key", "optimizer:\n  [a, b]: 1\n", `x.yaml:3: optimizer: keys must be plain names, got a list`},
		// Duplicates.
		{"duplicate key", "train:\n  epochs: 3\n  epochs: 4\n", `x.yaml:4: train.epochs: duplicate key (first set at line 3)`},
		{"duplicate section", "train: {}\ntrain: {}\n", `x.yaml:3: train: duplicate key (first set at line 2)`},
		{"duplicate data", "data: {dir: y}\n", `x.yaml:2: data: duplicate key (first set at line 1)`},
		// Kinds.
		{"scalar for section", "optimizer: sgd\n", `x.yaml:2: optimizer: must be a mapping with keys type, lr, momentum, dampening, nesterov, betas, eps, alpha, centered, amsgrad, weight_decay, lr_decay, initial_accumulator, clip_grad_norm, clip_grad_value, groups; got "sgd"`},
		{"list for section", "train: [1]\n", `x.yaml:2: train: must be a mapping with keys epochs, batch_size, eval_batch_size, accumulate, divergence_factor, max_loss_factor, early_stopping, label_smoothing, mixup, cutmix, freeze, ghost_batch_size, freeze_bn, unfreeze_at; got a list`},
		{"mapping for scalar", "optimizer: {lr: {value: 1}}\n", `x.yaml:2: optimizer.lr: must be a number, got a mapping`},
		{"list for scalar", "train: {epochs: [1]}\n", `x.yaml:2: train.epochs: must be an integer, got a list`},
		{"scalar for list", "model: {hidden: 256}\n", `x.yaml:2: model.hidden: must be a list of integers, got 256; for one element write [256]`},
		{"string for list", "model: {hidden: big}\n", `x.yaml:2: model.hidden: must be a list of integers, got "big"`},
		{"mapping for list", "model: {hidden: {a: 1}}\n", `x.yaml:2: model.hidden: must be a list of integers, got a mapping`},
		{"scalar for layer", "model: {arch: layers, layers: [flatten]}\n", `x.yaml:2: model.layers[0]: must be a mapping with keys type, name, out, bias, init, kernel, stride, padding, p, slope, alpha, approximate, per_channel, dropconnect, drop, ratio, overlapping, pseudo_random, test_draws; got "flatten"`},
		{"scalar for layers", "model: {arch: layers, layers: flatten}\n", `x.yaml:2: model.layers: must be a list of mappings with keys type, name, out, bias, init, kernel, stride, padding, p, slope, alpha, approximate, per_channel, dropconnect, drop, ratio, overlapping, pseudo_random, test_draws, got "flatten"`},
		// Types.
		{"string for int", "train:\n  epochs: ten\n", `x.yaml:3: train.epochs: must be an integer, got "ten"`},
		{"float for int", "train: {epochs: 1.5}\n", `x.yaml:2: train.epochs: must be an integer, got 1.5`},
		{"whole float for int", "train: {epochs: 10.0}\n", `x.yaml:2: train.epochs: must be an integer, got 10.0`},
		{"bool for int", "train: {epochs: true}\n", `x.yaml:2: train.epochs: must be an integer, got true`},
		{"quoted int", "train: {epochs: \"10\"}\n", `x.yaml:2: train.epochs: must be an integer, got "10" (quoted, so a string: remove the quotes)`},
		{"huge int", "train: {epochs: 99999999999999999999}\n", `x.yaml:2: train.epochs: must be an integer, got 99999999999999999999`},
		{"int64 overflow", "train: {epochs: 9223372036854775808}\n", `x.yaml:2: train.epochs: integer out of range, got 9223372036854775808`},
		{"string for float", "optimizer: {lr: abc}\n", `x.yaml:2: optimizer.lr: must be a number, got "abc"`},
		{"quoted float", "optimizer: {lr: '0.1'}\n", `x.yaml:2: optimizer.lr: must be a number, got "0.1" (quoted, so a string: remove the quotes)`},
		{"bool for float", "optimizer: {lr: false}\n", `x.yaml:2: optimizer.lr: must be a number, got false`},
		{"negative seed", "seed: -1\n", `x.yaml:2: seed: must be a non-negative integer, got -1`},
		{"seed too large", "seed: 18446744073709551616\n", `x.yaml:2: seed: must be a non-negative integer, got 18446744073709551616`},
		{"float seed", "seed: 1.5\n", `x.yaml:2: seed: must be a non-negative integer, got 1.5`},
		{"yes for bool", "optimizer: {nesterov: yes}\n", `x.yaml:2: optimizer.nesterov: must be true or false, got "yes"`},
		{"1 for bool", "optimizer: {nesterov: 1}\n", `x.yaml:2: optimizer.nesterov: must be true or false, got 1`},
		{"quoted bool", "optimizer: {nesterov: \"true\"}\n", `x.yaml:2: optimizer.nesterov: must be true or false, got "true" (quoted, so a string: remove the quotes)`},
		{"bool for string", "model: {activation: true}\n", `x.yaml:2: model.activation: must be a string, got true (quote it, e.g. "true", to mean the text)`},
		{"list for string", "name: [a]\n", `x.yaml:2: name: must be a string, got a list`},
		{"control character", "name: \"a\\tb\"\n", `x.yaml:2: name: must be printable UTF-8 text without control characters, got "a\tb"`},
		{"custom tag", "optimizer: {lr: !foo 1}\n", `x.yaml:2: optimizer.lr: must be a number, got !foo "1"`},
		{"bad list element", "model:\n  hidden: [128, x]\n", `x.yaml:3: model.hidden[1]: must be an integer, got "x"`},
		{"null list element", "model:\n  hidden:\n    - 128\n    -\n", `x.yaml:5: model.hidden[1]: must be an integer, got null`},
		{"float list element", "model: {hidden: [1.5]}\n", `x.yaml:2: model.hidden[0]: must be an integer, got 1.5`},
		{"bad layer field", "model:\n  arch: layers\n  layers:\n    - {type: linear, out: 10, bias: maybe}\n", `x.yaml:5: model.layers[0].bias: must be true or false, got "maybe"`},
		{"aliased section, unknown anchor holder", "x: &opt {lr: 0.3}\noptimizer: *opt\n", `x.yaml:2: x: unknown key; known keys: version, name, seed, data, preprocess, augment, model, optimizer, regularization, schedule, train, ema, swa, checkpoint, monitor, distributed, output, search`},
		// Several errors: all reported, one per line.
		{"several", "optimizer: {moment: 1, lr: x}\ntrain: {epochs: ten}\n",
			"x.yaml:2: optimizer.moment: unknown key; did you mean \"momentum\"?\n" +
				"x.yaml:2: optimizer.lr: must be a number, got \"x\"\n" +
				"x.yaml:3: train.epochs: must be an integer, got \"ten\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseErr(t, "data: {dir: .}\n"+tt.yml)
			if got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestDecodeErrorsAreCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("data: {dir: .}\nmodel:\n  hidden: [")
	for i := range 100 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("x")
	}
	b.WriteString("]\n")
	got := parseErr(t, b.String())
	if n := strings.Count(got, "\n") + 1; n != maxErrors {
		t.Errorf("%d error lines, want %d", n, maxErrors)
	}
}
