package config

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var printMarshalHashes = flag.Bool("print-marshal-hashes", false, "print the Marshal hashes of TestMarshalGolden as Go source")

// marshalCases are inline configs for TestMarshalGolden: together with the
// shipped configs and fixtures they set every section and every kind of
// value (archs, layer keys, optimizer types, schedules, augment steps).
var marshalCases = map[string]string{
	"inline/cnn":     "data: {dir: /d}\nmodel: {arch: cnn, pool: fractional, dropout: 0.2, dropconnect: 0.1, hidden: [64]}",
	"inline/resnet":  "data: {dir: /d}\nmodel: {arch: resnet, depth: 8, stochastic_depth: 0.1, zero_init_residual: true, activation: prelu, prelu_per_channel: true}",
	"inline/lenet5":  "data: {dir: /d, format: csv}\nmodel: {arch: lenet5, activation: gelu, gelu_approximate: tanh, init: uniform, init_bound: 0.1}",
	"inline/layers":  "data: {dir: /d}\nmodel: {arch: layers, stochastic_depth: 0.2, stochastic_depth_mode: constant, layers: [{type: conv2d, out: 8, kernel: 3, padding: 1, dropconnect: 0.1}, {type: batchnorm}, {type: leaky_relu, slope: 0.2}, {type: maxpool2d, kernel: 2}, {type: basic_block, out: 16, stride: 2, drop: 0.1}, {type: fractional_maxpool2d, overlapping: true, pseudo_random: true, test_draws: 2}, {type: elu, alpha: 0.5}, {type: global_avgpool}, {type: flatten}, {type: dropout}, {type: linear, name: head, out: 10, bias: false, init: xavier_normal}]}",
	"inline/adam":    "data: {dir: /d, val_split: 0}\noptimizer: {type: adam, betas: [0.8, 0.99], amsgrad: true, weight_decay: 1e-4, clip_grad_norm: 1, groups: [{pattern: '*.bias', weight_decay: 0}, {pattern: 'fc1.*', lr_scale: 0.1}]}",
	"inline/rmsprop": "data: {dir: /d}\noptimizer: {type: rmsprop, momentum: 0.9, centered: true, alpha: 0.9, clip_grad_value: 0.5}\nregularization: {l1: 1e-5, include: ['*.weight'], exclude: ['classifier.*']}",
	"inline/adagrad": "data: {dir: /d}\noptimizer: {type: adagrad, lr_decay: 0.01, initial_accumulator: 0.1}\nschedule: {type: multistep, milestones: [2, 4], gamma: 0.5, scale_rule: sqrt, base_batch_size: 64}",
	"inline/onecycle": "data: {dir: /d}\nschedule: {type: onecycle, max_lr: 0.1, pct_start: 0.25, three_phase: true, anneal_strategy: linear, interval: step, plateau: {enabled: true, metric: val_acc, patience: 2}}\n" +
		"train: {epochs: 3, accumulate: 2, divergence_factor: 4, label_smoothing: 0.1, mixup: {alpha: 0.2}, cutmix: {alpha: 1, p: 0.5}, early_stopping: {enabled: true, metric: val_acc, patience: 3, min_delta: 0.001}}\n" +
		"ema: {enabled: true, decay: 0.99, warmup: true}\ncheckpoint: {monitor: val_loss, keep_best: 3, every: 2}",
	"inline/augment":              "data: {dir: /d}\npreprocess: {method: pca_whiten, components: 20}\naugment: [{op: crop, pad: 2, fill: reflect}, {op: hflip, p: 0.5}, {op: resized_crop, scale: [0.5, 1]}, {op: color_jitter, brightness: 0.2, contrast: 0.2}, {op: translate, translate: [0.1, 0.1], fill: constant, fill_value: 0.5}, {op: rotate, degrees: 10}, {op: stretch, stretch: [0.9, 1.1]}, {op: lens, k: [-0.1, 0.1]}, {op: erase, fill: noise}, {op: cutout, size: 8}, {op: randaugment, n: 1, magnitude: 5, ops: [rotate, shear_x]}]",
	"inline/zca":                  "data: {dir: /d}\npreprocess: {method: zca}\nschedule: {type: cosine_restarts, t0: 2, t_mult: 2, min_lr: 0.001, warmup_epochs: 0.5, warmup_start_factor: 0.1}",
	"inline/poly":                 "data: {dir: /d}\nschedule: {type: poly, power: 2, total_iters: 100}\nmodel: {init: normal, init_std: 0.02, init_mode: fan_out, init_value: 0.5, head_init_scale: 0.1, activation: leaky_relu, activation_slope: 0.1, activation_alpha: 2}",
	"inline/deprecated normalize": "data: {dir: /d}\npreprocess: {normalize: none}",
	"inline/search":               "data: {dir: /d}\ntrain: {max_loss_factor: 3}\nsearch: {trials: 8, epochs: 9, space: [{key: optimizer.lr, min: 1e-4, max: 1, log: true}, {key: train.batch_size, min: 32, max: 256, int: true}, {key: model.activation, values: [relu, gelu]}], scheduler: {type: asha}, stages: [{top_k: 2}]}",
}

// marshalGolden holds the SHA-256 of Config.Marshal for every case of
// TestMarshalGolden, recorded before the config keys moved into their
// domain packages. Marshal's output is hashed into every checkpoint
// (config_sha256) and --resume compares that hash (or, failing it, the
// stored config re-read and marshalled by the new code), so a refactoring
// must keep every hash: a changed rendering of the same config would make
// runs started before it resume only with --force. A new key changes them
// all (the resolved config writes every key; such runs still resume, their
// stored configs resolving to the new default); then regenerate them,
// deliberately, with
// go test ./pkg/config -run TestMarshalGolden -args -print-marshal-hashes.
var marshalGolden = map[string]string{
	"Default":                                         "fb1cec204b0f23ef790e52de966e49cd12630b4ed2d274f1f7eda81dc05ad8aa",
	"configs/bench/cnn.yaml":                          "ec94f1c29a877ff9b2950f0f66d4111fe47f4b7eff2623665da96b30aa127263",
	"configs/bench/mlp.yaml":                          "76901845d92923cf1f964c21446eedad8aa51e2da5223c05463a6a11d4578cde",
	"configs/bench/resnet8.yaml":                      "2806b35f0e32a57daa879d7f5e2853d4d7deb2813a4e9438e6623e9d7983789c",
	"configs/fashion-cnn.yaml":                        "6a82b9237b1d078582c3935c1c669e7d928e9527940f044cb0afd8c788549e42",
	"configs/fashion-mlp.yaml":                        "5eda5470a0eba21b6988ee24391fe9ca2ca9e33ed9a58860d7aaeb11b1a0ae2e",
	"configs/fashion-resnet-aug.yaml":                 "8aceea379339500e9c9f9db2a6359e2d919270cd938e3f26439282c2a1d24c2b",
	"configs/fashion-resnet.yaml":                     "bb84926fa8e653309aefd5d61ed1902d7d64ebaccee19a7884c5dd3dcd369fab",
	"configs/lessons/deep-init.yaml":                  "27da41add6f5d3b3681543a27ebc7c46a7b45a9294e997e5e7741d2029897405",
	"configs/lessons/regularization-cnn.yaml":         "3ba8f3dd441f7b9bbd735b68deff5fdfc6f822636382bac1fba9b83fc667c7a4",
	"configs/lessons/regularization-resnet.yaml":      "1a319077a20a18600bcaa76f67467f0d36a9abd168a98bed6442a0d38f338bdc",
	"configs/quickstart.yaml":                         "9fdab79fb1cdd874db1f64e41ce57834b30f1791c1986bc0c26d59338cf90570",
	"configs/recipes/finetune-adamw-linear.yaml":      "4ea6052c9a6f915aecb419122c3ed678f292a6f7b60becdd35a30494d925686c",
	"configs/recipes/large-batch-linear-scaling.yaml": "ef132d46ab6393f2fd44b5bc813f140547e8ce7ff10d647eab7ccce36807e283",
	"configs/recipes/scratch-sgd-cosine.yaml":         "a96aa8c3aa115bf49c70965e29d96105751187d84fef20143a77fa20c45773f0",
	"configs/search/fashion-mlp-asha.yaml":            "bdd406b13420b2722845261278f03664b8b6a70abefa7ea9eb69df957a1e84da",
	"configs/search/fashion-mlp-coarse-fine.yaml":     "3ef4456370695f0f8ae08767879340743ccc3dd6d64b6110757ac4f52c63fd21",
	"configs/search/fashion-mlp-grid.yaml":            "3997b01a32fab33075496ad536522a9b4b704b3d116b453f25ab5a783a051418",
	"configs/search/fashion-mlp-random.yaml":          "b9340a4f7563b47dfecc9b846f5c831c01544eb6d42eb905f8f2f62ee3df3134",
	"inline/adagrad":                                  "7ea16698312e20983c132953386e5bc91dad4e209ab4ba5336273e3d8083ad8b",
	"inline/adam":                                     "4d2aedd4cda4d06385e7c68019fb93110af9a9431403a74fd57ddf4b8fc14985",
	"inline/augment":                                  "2c3d6c739e15bedaaaf2bc7b7432acf02a215c68e38c5fd72d1996374d714fda",
	"inline/cnn":                                      "3eb313faf4d6874b85e8c96d960d555519e2862db0f92268bf8eaa0d4aaf9db1",
	"inline/deprecated normalize":                     "a4e82a5b858c7fcdb093fbc7227179787e40e37c07c1c8c14f2d199e789fbc3b",
	"inline/layers":                                   "5c905aeb1dde2cd0c8af7938eb2a374cd26f6a128b912b78c59f02a49927ef44",
	"inline/lenet5":                                   "14378be46fec6cedda6b5ab7a965734fa621bd4965ddc4ba0238f7a7566a130a",
	"inline/onecycle":                                 "346117f18ebec3075591264c0dcf4f5f98f93254f451ba49bd7535d45e4c4ad6",
	"inline/overrides":                                "0cb772e096b3239eba901c1cba6dc78f2d0e416e778b10d117ff131b7260e493",
	"inline/poly":                                     "7d75e985dfc3369f3d971bfe6311f81ea62a2f01c85ca9df00730aebecb3191f",
	"inline/resnet":                                   "1153e0e31a175a90328af9bd13e236f2c1ae932a1bb7bf49f0459c04fff9d0a0",
	"inline/rmsprop":                                  "e45871fc3e4dd01819fc3d7b5ac9fb0a5cb63f92e7c62d30d2cf4bd82a1b0249",
	"inline/search":                                   "771cd0b536585808264426d3044b0f3937808e1f9641e2d9caaa24ce3daacd8a",
	"inline/zca":                                      "d779d6bfda249f7c32a1d31c210ee09c3023cb5090f93927761128e92b4af578",
	"testdata/config/full.yaml":                       "0b20037fb13ea8b69c8040d5eebffb3f002fb55d3a70ba7462b2d655ce8d6019",
	"testdata/config/layers.yaml":                     "7dd117da8be85cb1f8b302dc098ba22f1617ffe39c3c3798703293fd227b8e92",
	"testdata/config/minimal.yaml":                    "7563d85f0c379f4c04bbdafd23981f9c83a850ca15446103e89d32d5ef378428",
}

// marshalGoldenConfigs loads every case of TestMarshalGolden: the shipped
// configs, the valid fixtures, the inline cases and Default. data.dir is
// set to "/data" so that the hash does not depend on where the repository
// is checked out.
func marshalGoldenConfigs(t *testing.T) map[string]*Config {
	t.Helper()
	cfgs := map[string]*Config{}
	add := func(name string, c *Config, err error) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c.Data.Dir = "/data"
		cfgs[name] = c
	}
	err := filepath.WalkDir("../../configs", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		c, err := Load(p, nil)
		add(strings.TrimPrefix(p, "../../"), c, err)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"minimal.yaml", "full.yaml", "layers.yaml"} {
		c, err := Load(fixtures+f, nil)
		add("testdata/config/"+f, c, err)
	}
	for name, yml := range marshalCases {
		c, err := Parse([]byte(yml), "x.yaml", nil)
		add(name, c, err)
	}
	c, err := Parse([]byte("data: {dir: /d}"), "", []string{"optimizer.lr=0.5", "model.hidden=[8,4]", "seed=7"})
	add("inline/overrides", c, err)
	add("Default", Default(), nil)
	return cfgs
}

// TestMarshalGolden checks that Config.Marshal writes, byte for byte, what
// it wrote before the schema was split into the domain packages.
func TestMarshalGolden(t *testing.T) {
	cfgs := marshalGoldenConfigs(t)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range cfgs {
			if !yield(n) {
				return
			}
		}
	})
	var src strings.Builder
	for _, name := range names {
		out, err := cfgs[name].Marshal()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sum := sha256.Sum256(out)
		got := hex.EncodeToString(sum[:])
		fmt.Fprintf(&src, "\t%q: %q,\n", name, got)
		if *printMarshalHashes {
			continue
		}
		if want, ok := marshalGolden[name]; !ok {
			t.Errorf("%s: no recorded hash (new config? add %q)", name, got)
		} else if got != want {
			t.Errorf("%s: Marshal output changed (sha256 %s, recorded %s): resolved configs are hashed into checkpoints (see marshalGolden)\n%s", name, got, want, out)
		}
	}
	for name := range marshalGolden {
		if _, ok := cfgs[name]; !ok {
			t.Errorf("recorded hash %s has no config", name)
		}
	}
	if *printMarshalHashes {
		t.Logf("\n%s", src.String())
	}
}
