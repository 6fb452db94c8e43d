package config

import (
	"reflect"
	"testing"

	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/optim"
)

func TestOverrides(t *testing.T) {
	tests := []struct {
		name      string
		yml       string
		overrides []string
		got       func(*Config) any
		want      any
	}{
		{"number", "", []string{"optimizer.lr=0.05"}, func(c *Config) any { return c.Optimizer.LR }, 0.05},
		{"replaces a file value", "optimizer: {lr: 0.1}", []string{"optimizer.lr=0.2"}, func(c *Config) any { return c.Optimizer.LR }, 0.2},
		{"later wins", "", []string{"optimizer.lr=0.2", "optimizer.lr=0.3"}, func(c *Config) any { return c.Optimizer.LR }, 0.3},
		{"bool", "optimizer: {momentum: 0.9}", []string{"optimizer.nesterov=true"}, func(c *Config) any { return c.Optimizer.Nesterov }, true},
		{"flow list", "", []string{"model.hidden=[128,64]"}, func(c *Config) any { return c.Model.Hidden }, []int{128, 64}},
		{"flow list with spaces", "model: {hidden: [1]}", []string{"model.hidden=[128, 64]"}, func(c *Config) any { return c.Model.Hidden }, []int{128, 64}},
		{"empty list", "", []string{"model.hidden=[]"}, func(c *Config) any { return c.Model.Hidden }, []int(nil)},
		{"empty value resets to default", "optimizer: {lr: 0.5}", []string{"optimizer.lr="}, func(c *Config) any { return c.Optimizer.LR }, 0.01},
		{"string", "", []string{"schedule.type=cosine"}, func(c *Config) any { return c.Schedule.Type }, "cosine"},
		{"spaces around key", "", []string{" train.epochs =3"}, func(c *Config) any { return c.Train.Epochs }, 3},
		{"value with =", "", []string{"output.dir=runs/a=b"}, func(c *Config) any { return c.Output.Dir }, "runs/a=b"},
		{"creates the section", "seed: 1", []string{"schedule.gamma=0.5"}, func(c *Config) any { return c.Schedule.Gamma }, 0.5},
		{"fills a null section", "schedule:\n", []string{"schedule.gamma=0.5"}, func(c *Config) any { return c.Schedule.Gamma }, 0.5},
		{"whole section", "optimizer: {lr: 0.5, momentum: 0.5}", []string{"optimizer={lr: 0.2}"}, func(c *Config) any { return c.Optimizer }, optim.Spec{Type: "sgd", LR: 0.2, Betas: []float64{0.9, 0.999}, Eps: 1e-8, Alpha: 0.99}},
		{"top-level key", "", []string{"seed=7"}, func(c *Config) any { return c.Seed }, uint64(7)},
		{"layers replaced whole", "model: {arch: layers, layers: [{type: flatten}]}",
			[]string{"model.layers=[{type: flatten}, {type: linear, out: 10, bias: false}]"},
			func(c *Config) any { return c.Model.Layers },
			[]model.LayerSpec{{Type: "flatten"}, {Type: "linear", Out: 10, Bias: ptr(false)}}},
		{"aliased section is copied", "optimizer: &o {lr: 0.5}\nregularization: {l2: 0}", []string{"optimizer.momentum=0.5"},
			func(c *Config) any { return c.Optimizer }, optim.Spec{Type: "sgd", LR: 0.5, Momentum: 0.5, Betas: []float64{0.9, 0.999}, Eps: 1e-8, Alpha: 0.99}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, "data: {dir: .}\n"+tt.yml, tt.overrides...)
			if got := tt.got(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestOverrideErrors(t *testing.T) {
	tests := []struct {
		name      string
		yml       string
		overrides []string
		want      string
	}{
		{"bad number", "", []string{"optimizer.lr=abc"}, `--set optimizer.lr=abc: optimizer.lr: must be a number, got "abc"`},
		{"bad int", "", []string{"train.epochs=1.5"}, `--set train.epochs=1.5: train.epochs: must be an integer, got 1.5`},
		{"bad bool", "", []string{"optimizer.nesterov=yes"}, `--set optimizer.nesterov=yes: optimizer.nesterov: must be true or false, got "yes"`},
		{"bad list", "", []string{"model.hidden=128"}, `--set model.hidden=128: model.hidden: must be a list of integers, got 128; for one element write [128]`},
		{"bad list element", "", []string{"model.hidden=[128,x]"}, `--set model.hidden=[128,x]: model.hidden[1]: must be an integer, got "x"`},
		{"scalar for section", "", []string{"optimizer=sgd"}, `--set optimizer=sgd: optimizer: must be a mapping with keys type, lr, momentum, dampening, nesterov, betas, eps, alpha, centered, amsgrad, weight_decay, lr_decay, initial_accumulator, clip_grad_norm, clip_grad_value, groups; got "sgd"`},
		{"unknown key in a flow mapping", "", []string{"optimizer={moment: 1}"}, `--set optimizer={moment: 1}: optimizer.moment: unknown key; did you mean "momentum"?`},
		{"unknown key", "", []string{"optimizer.moment=0.9"}, `--set optimizer.moment=0.9: optimizer.moment: unknown key; did you mean "momentum"?`},
		{"unknown section", "", []string{"optimiser.lr=0.1"}, `--set optimiser.lr=0.1: optimiser: unknown key; did you mean "optimizer"?`},
		{"unknown, nothing close", "", []string{"train.qqqq=1"}, `--set train.qqqq=1: train.qqqq: unknown key; known keys: epochs, batch_size, eval_batch_size, accumulate, divergence_factor, max_loss_factor, early_stopping, label_smoothing, mixup, cutmix, freeze, ghost_batch_size, freeze_bn, unfreeze_at`},
		{"key under a scalar key", "", []string{"optimizer.lr.x=1"}, `--set optimizer.lr.x=1: optimizer.lr: is a number, not a section: set it with --set optimizer.lr=VALUE`},
		{"key under a list", "", []string{"model.hidden.0=1"}, `--set model.hidden.0=1: model.hidden: is a list of integers, not a section: set it whole, e.g. --set model.hidden=[...]`},
		{"no =", "", []string{"optimizer.lr"}, `--set optimizer.lr: malformed override: want key.path=value, e.g. --set optimizer.lr=0.1`},
		{"empty path", "", []string{"=0.1"}, `--set =0.1: malformed override: empty key path before '='`},
		{"empty segment", "", []string{"optimizer..lr=0.1"}, `--set optimizer..lr=0.1: malformed override: empty key in path "optimizer..lr"`},
		{"trailing dot", "", []string{"optimizer.=0.1"}, `--set optimizer.=0.1: malformed override: empty key in path "optimizer."`},
		{"invalid YAML value", "", []string{"model.hidden=[1,"}, `--set model.hidden=[1,: model.hidden: invalid YAML value: did not find expected node content`},
		{"section is a scalar in the file", "optimizer: sgd", []string{"optimizer.lr=0.1"}, `x.yaml:2: optimizer: must be a mapping, got "sgd" (so --set optimizer.lr=0.1 cannot apply)`},
		{"range", "", []string{"optimizer.lr=-1"}, `--set optimizer.lr=-1: optimizer.lr: must be > 0, got -1`},
		{"cross-key", "", []string{"optimizer.nesterov=true"}, `--set optimizer.nesterov=true: optimizer.nesterov: requires optimizer.momentum > 0`},
		{"all malformed overrides reported", "", []string{"a", "b=1"},
			"--set a: malformed override: want key.path=value, e.g. --set optimizer.lr=0.1\n" +
				`--set b=1: b: unknown key; known keys: version, name, seed, data, preprocess, augment, model, optimizer, regularization, schedule, train, ema, swa, checkpoint, monitor, distributed, output, search`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseErr(t, "data: {dir: .}\n"+tt.yml, tt.overrides...)
			if got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}
