package config

import (
	"strings"
	"testing"
)

// TestSearchErrors: a bad search section is a config error naming the key
// (file and line), the bad value and what is allowed.
func TestSearchErrors(t *testing.T) {
	const lr = "{key: optimizer.lr, min: 1.0e-4, max: 1, log: true}"
	tests := []struct {
		name, yml, want string
	}{
		{"min > max", "search:\n  space:\n    - {key: optimizer.lr, min: 1, max: 0.1}", `x.yaml:4: search.space[0].min: must be < max (0.1), got 1`},
		{"log touching 0", "search:\n  space:\n    - {key: optimizer.weight_decay, min: 0, max: 0.01, log: true}", `x.yaml:4: search.space[0].min: must be > 0 for a log range (log of 0 is undefined): use a positive min such as 1.0e-6, or log: false`},
		{"unknown key in space", "search:\n  space:\n    - {key: optimizer.lrr, values: [0.1]}", `x.yaml:4: search.space[0].key: "optimizer.lrr" is not a config key that --set can set (did you mean "optimizer.lr"?); ` + "`nettrain schema` lists the keys"},
		{"unknown search key", "search:\n  tirals: 4\n  space: [" + lr + "]", `x.yaml:3: search.tirals: unknown key; did you mean "trials"?`},
		{"wrong type", "search:\n  method: grid\n  space:\n    - key: train.batch_size\n      values: [64, big]", `x.yaml:6: search.space[0].values[1]: train.batch_size=big: must be an integer, got "big"`},
		{"wrong type of a bound", "search:\n  space:\n    - {key: model.activation, min: 1, max: 2}", `x.yaml:4: search.space[0].min: model.activation=1: unknown activation "1"; known: elu, gelu, leaky_relu, prelu, relu, selu, sigmoid, tanh` + "\n" +
			`x.yaml:4: search.space[0].max: model.activation=2: unknown activation "2"; known: elu, gelu, leaky_relu, prelu, relu, selu, sigmoid, tanh`},
		{"grid larger than trials", "search:\n  method: grid\n  trials: 4\n  space:\n    - {key: optimizer.lr, values: [0.1, 0.01, 0.001]}\n    - {key: optimizer.weight_decay, values: [0, 1.0e-5]}", `x.yaml:4: search.trials: the grid has 6 points, more than trials 4 allows: raise trials, or set it to 0 for every point`},
		{"range under grid", "search:\n  method: grid\n  space: [" + lr + "]", `x.yaml:4: search.space[0]: method grid needs a list of values; a range (min, max) is sampled by method random`},
		{"values and range", "search:\n  space:\n    - {key: optimizer.lr, values: [0.1], min: 0.1, max: 1}", `x.yaml:4: search.space[0].values: a space element is either a list (values) or a range (min, max), not both`},
		{"empty space", "search: {trials: 3}", `x.yaml:2: search.space: must list at least one key to search, e.g. [{key: optimizer.lr, min: 1.0e-4, max: 1, log: true}]`},
		{"epochs not searchable", "search:\n  space:\n    - {key: train.epochs, values: [1, 2]}", `x.yaml:4: search.space[0].key: train.epochs cannot be searched: it is the trial's budget: set search.epochs (and the stages' epochs) instead`},
		{"duplicate key", "search:\n  space: [" + lr + ", " + lr + "]", `x.yaml:3: search.space[1].key: "optimizer.lr" is already searched by search.space[0]`},
		{"method", "search:\n  method: bayes\n  space: [" + lr + "]", `x.yaml:3: search.method: must be one of "grid", "random", got "bayes"`},
		{"scheduler", "search:\n  scheduler: {type: hyperband}\n  space: [" + lr + "]", `x.yaml:3: search.scheduler.type: must be one of "none", "asha", got "hyperband"`},
		{"reduction factor", "search:\n  scheduler: {type: asha, reduction_factor: 1}\n  space: [" + lr + "]", `x.yaml:3: search.scheduler.reduction_factor: must be >= 2, got 1`},
		{"grace > epochs", "search:\n  epochs: 2\n  scheduler: {type: asha, grace_period: 3}\n  space: [" + lr + "]", `x.yaml:4: search.scheduler.grace_period: must be <= search.epochs (2), got 3`},
		{"metric", "search:\n  metric: f1\n  space: [" + lr + "]", `x.yaml:3: search.metric: must be one of "val_loss", "val_acc", "train_loss", "train_acc", got "f1"`},
		{"a list value", "search:\n  space:\n    - {key: model.hidden, values: [[256], [512]]}", `x.yaml:4: search.space[0].values[0]: must be a number, a string or true/false, got a list` + "\n" +
			`x.yaml:4: search.space[0].values[1]: must be a number, a string or true/false, got a list`},
		{"int bounds", "search:\n  space:\n    - {key: train.batch_size, min: 32.5, max: 256, int: true}", `x.yaml:4: search.space[0].min: an int range needs whole-number bounds, got 32.5..256`},
		{"stage top_k", "search:\n  space: [" + lr + "]\n  stages: [{top_k: 0}]", `x.yaml:4: search.stages[0].top_k: must be >= 1, got 0`},
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

// TestSearchSection: the defaults are filled in, a config without the
// section marshals without it, and one with it reads back equal.
func TestSearchSection(t *testing.T) {
	c, err := Parse([]byte("train: {epochs: 5}\nsearch:\n  space:\n    - {key: optimizer.lr, min: 1.0e-4, max: 1, log: true}\n    - {key: model.activation, values: [relu, gelu]}\n    - {key: ema.enabled, values: [true, false]}\n"), "x.yaml", []string{"data.dir=."})
	if err != nil {
		t.Fatal(err)
	}
	s := c.Search
	if s.Method != "random" || s.Trials != 16 || s.Epochs != 5 || s.Metric != "val_acc" || s.Mode != "max" || s.Scheduler.Type != "none" || s.MaxLossFactor != 4 || s.Seed != 1 {
		t.Errorf("defaults: %+v", s)
	}
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "search:") || !strings.Contains(string(b), "values: [true, false]") {
		t.Errorf("marshalled search section:\n%s", b)
	}
	back, err := Parse(b, "x.yaml", nil)
	if err != nil {
		t.Fatalf("re-parse: %v\n%s", err, b)
	}
	b2, _ := back.Marshal()
	if string(b) != string(b2) {
		t.Errorf("round trip differs:\n%s\n---\n%s", b, b2)
	}
	plain, err := Parse([]byte("train: {epochs: 5}\n"), "x.yaml", []string{"data.dir=."})
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := plain.Marshal()
	if strings.Contains(string(pb), "search") {
		t.Errorf("a config without a search section marshals one:\n%s", pb)
	}
}
