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
	"inline/swa":                  "data: {dir: /d}\ntrain: {epochs: 12}\nswa: {enabled: true, start: 9, lr: 0.01, anneal_epochs: 2, anneal_strategy: linear, bn_update: false}",
	"inline/transfer":             "data: {dir: /d, classes: [5, 6, 7, 8, 9]}\nmodel: {init_from: /pre/best.ckpt, init_include: ['stage*'], init_exclude: ['fc1.*']}\ntrain: {epochs: 4, freeze: ['stage1.*'], freeze_bn: true, unfreeze_at: 2}",
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
	"Default":                                         "91680d28ed8eaa14dad0503575c04b4361ebe6c6cea8b1dfd67f5f478dad6250",
	"configs/bench/cnn.yaml":                          "97b1b6288a59ffb2eefd555009e41392b775248e19c0e56843277f9307b295eb",
	"configs/bench/mlp.yaml":                          "7d0fe89ea5b4694cf8be59674f4f59420bbab4c19c9fa4ba89dbb6262be4e3fe",
	"configs/bench/resnet20-rgb.yaml":                 "d67263c908ea95d0e19bbcda90139523b9e6cb45b2ece1ea30d49cf5ef9579a3",
	"configs/bench/resnet8.yaml":                      "c4bf88759d3e741d3e5d03c5991e95d7af21228b3899422186e32a6a6b62ea94",
	"configs/bench/vgg-rgb.yaml":                      "e0f33723dfc44858149c3c5718d190f5c505e4836418705a53dae6b4a0929427",
	"configs/fashion-cnn.yaml":                        "89277a3f510cf9a9a930b38a20d28d6e7e3a3a00d353b2941639ef2ab1cd3242",
	"configs/fashion-lenet5.yaml":                     "abccffa715a74f9df86592339fda5fc6830763d983ac6b2a282ad45e9965a8d2",
	"configs/fashion-mlp.yaml":                        "be3d48bbdc372c8f9cc9cd607552e0fd7988d907cca30a36409f383efc4ecfc2",
	"configs/fashion-resnet-aug.yaml":                 "33c4f0a1cafbf1a5955d6465cd8c4cb849dc25f92e105542d2c25bbb377b2e07",
	"configs/fashion-resnet.yaml":                     "792c7aaef015abf676d3a56b86f9c53dd565762d890fde620c4984433ae5a997",
	"configs/lessons/deep-init.yaml":                  "1a3301aa9569fc17b95e889d258721a342a14151bff7752f2c146b21e03cfde1",
	"configs/lessons/regularization-cnn.yaml":         "5c69074cca515c65ac8265b4fce55df8da699bfd8e5b4c747d10676fdd98a84c",
	"configs/lessons/regularization-resnet.yaml":      "ad8ec8b981c109680d2f9cf40fc46d3d1cd84f457bc1d828f4cb266fe0374651",
	"configs/quickstart.yaml":                         "455c0ca5184297262fdf2a21ec15f98c3bdb72863da993973c6ef6d48c0e7564",
	"configs/recipes/finetune-adamw-linear.yaml":      "d645149c757c03ccbad9eb96783aa69dcbb94ef37c4844632670be9f4136ef88",
	"configs/recipes/large-batch-linear-scaling.yaml": "750336c4b889bbebcfa2b066e10b6acd5ccf1a8b3d53e61d70b36a0c8a928cd9",
	"configs/speedrun.yaml":                           "08de6404f171b9ba891b1fe6bb62609ab1c76cdf369a4ee32fc1dd605e77ac2c",
	"configs/recipes/scratch-sgd-cosine.yaml":         "8d11266f86e43a5a3ee5daef87423d4df7ee5e5d661d1ebba2a3de3fb0145eee",
	"configs/search/fashion-mlp-asha.yaml":            "a7922e0815ddfcd78ad6b0d2db4df180b8e8f6e857fb14ce2c56b161b2af4684",
	"configs/search/fashion-mlp-coarse-fine.yaml":     "b2d692c7ef3b27d601377c4835f73cada14cc6233465bd798c83684d287e4947",
	"configs/search/fashion-mlp-grid.yaml":            "6f210fae6f3d8af14499273f2a9d61efe1652cd20cce8e3a42b5163a48a69f73",
	"configs/search/fashion-mlp-random.yaml":          "53a1c30e89315254f90eea9eeed48556266103632e83e8e6bf45e584b4aa6deb",
	"configs/transfer/pretrain-0-4.yaml":              "676969779b062f2c904d6424937b7a4d642b87ec4802dd9aa5a1784afd84dacd",
	"configs/transfer/target-features.yaml":           "e7f11be1d385a73871e988c5ce6ed424589f95eb05eca382ae1ceaceeeb465df",
	"configs/transfer/target-finetune.yaml":           "d8e36d37bdf9903e08ace087f48d09b74333c33753c594f82c14bc11cd24c6f7",
	"configs/transfer/target-scratch-3x.yaml":         "8467a9c6426c8ba23e88b76fe5bc146eed24aa9146158e3938772124b5cd3504",
	"configs/transfer/target-scratch.yaml":            "f266074890e8b3ae2405c0f9abe6f44f2e3f53d961a2532493abbd1d658ffcc0",
	"configs/transfer/target-staged.yaml":             "fbf7a0e5614b56df67e30adb1f3e690827cd975aa907129c0fed4a8d5891b9f1",
	"inline/adagrad":                                  "c5928dd917502e830cb1ea827c13f549ad11f4d24cc6357c4f1abe936f6ad821",
	"inline/adam":                                     "e88d73da70fd1b924020b37fe3dbea40232a939891fdc4f1d82f84d53a8c3c43",
	"inline/augment":                                  "7b40f456e1b3a168be2fd4972eb75e0636fcdf3d9a6f093e83ff86033326493c",
	"inline/cnn":                                      "3b546ea200a3f47011d7aff1315699a67b1b801690b8727774f135e99ffc1882",
	"inline/deprecated normalize":                     "9592cf6c69d7733618de17a9e6b39bf226a1ea39213b2b76fa9982815944615e",
	"inline/layers":                                   "82b3c4da4bb80524d120e0d20792240db5cd48bdf2cb064f531536ad5c14e2e8",
	"inline/lenet5":                                   "e81df0d78d6253f9083a9033c49d2b53fa80212306db787ed82f0c3a8a2be02b",
	"inline/onecycle":                                 "1405deb86b836faffd5d9bc132eb64458a7e196c49821d824cbf3ea194767212",
	"inline/overrides":                                "b7cc2604e8df6d88f25f99688896468e62f70d7e9d8579e794c9fc59651b865e",
	"inline/poly":                                     "75fb2da0f2dc831076ba366409f3e82343c218e7becd879ab9daab40824a3b1c",
	"inline/resnet":                                   "26a9caa7c1d9dea79515b88378e2d82c9e2e0a03ca1e65d0ef79e924472ae5ab",
	"inline/rmsprop":                                  "6f5b0848cb6e2f0209609c64cfa20c89a7c920a451fd8df7b52fce52d784d5d4",
	"inline/search":                                   "60ddb2066444ab309974d96099fb36238b52f9fedfae07395ecefa85e8535993",
	"inline/swa":                                      "7522dc19b3bc7f7ef56ff4986dd4fa8418958a106596c0e70e6285b544cc7dfe",
	"inline/transfer":                                 "f8e1264dab4714484ab677d83bc9b7780d6a4681b1a9da3af95186c41eeac5e7",
	"inline/zca":                                      "98e04ec7298446054633d0afac9e338fedc80ba6b01f8c31bf8c2eced09fdb45",
	"testdata/config/full.yaml":                       "a5ff33b6c297f70d48c7c178b53bc12a7e063a75e0baa4d616792e82ff7b9b10",
	"testdata/config/layers.yaml":                     "9ad7e12016ec98e2effab22faf369b5913cd014c289e62ff879deb361367692c",
	"testdata/config/minimal.yaml":                    "68f5caa54180070583b1bb149e123839c948fa2f21ff75f463035d0d8899ec16",
}

// marshalGoldenConfigs loads every case of TestMarshalGolden: the shipped
// configs, the valid fixtures, the inline cases and Default. data.dir is
// set to "/data", and a model.init_from to its path from the repository,
// so that the hash does not depend on where the repository is checked out.
func marshalGoldenConfigs(t *testing.T) map[string]*Config {
	t.Helper()
	cfgs := map[string]*Config{}
	add := func(name string, c *Config, err error) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c.Data.Dir = "/data"
		if i := strings.Index(c.Model.InitFrom, "/runs/"); i >= 0 {
			c.Model.InitFrom = c.Model.InitFrom[i+1:]
		}
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
