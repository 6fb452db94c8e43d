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
	"Default":                                         "ed3326c5cd025082171bf3f4e25ad3ee2b607cbd94a8dc1da16b99cbb79a580e",
	"configs/bench/cnn.yaml":                          "8c8d055f24f61ae4c6c8b34f893f0a58bfaac1b93aeeb34d6e4cce3f5edf5def",
	"configs/bench/mlp.yaml":                          "2b30076e1453ae1063f7191d1f58994bae65f76d108b15a7985305b16b128db4",
	"configs/bench/resnet8.yaml":                      "245edfaaea6f0f436946c9a685d42b0514d77dca60e6b703554680652aa38e7f",
	"configs/fashion-cnn.yaml":                        "ed309a078e0ef50b9e279e0bb25f9ae126b198fd53b8564c304c13ba8fed51c4",
	"configs/fashion-mlp.yaml":                        "375f87f5a299a5f302e93b89782ca3fb8a25ba22a2ecd121247d00236827f638",
	"configs/fashion-resnet-aug.yaml":                 "72b59b1586b367af310a3ae9ff792826e9f0f0a98f89dc7881605e7be3a08b80",
	"configs/fashion-resnet.yaml":                     "13db3bfb31a3ceb4cf960f8be50ebe880d5b8aec2ac68f9791d5d1b689af0fb1",
	"configs/lessons/deep-init.yaml":                  "4c305846452b8fab2eec8c827db89111d050e257222ef36b6dd70904dfdd1b07",
	"configs/lessons/regularization-cnn.yaml":         "d477c02cea0071ee1aaa8fef47e0fd1c0870e9dd914a8b2e5d6c8e94db4cfd81",
	"configs/lessons/regularization-resnet.yaml":      "a4b52a49fb083a3bb1720ab07fe254df2e0987169e1df4f4b5de3788eeba0939",
	"configs/quickstart.yaml":                         "491e3eaa5ddb891106062b795fb0bdbf2c7cceaddf188a5056ed7aedd204e7aa",
	"configs/recipes/finetune-adamw-linear.yaml":      "53d1ad3e72aa789f877a8dc5912e29317b66591fd9ed1168f742b7a44d7702df",
	"configs/recipes/large-batch-linear-scaling.yaml": "e313d9a72d48cdf44f3dc281f6a56bb7e97fb15c535357b2c5fcce29ea16bc60",
	"configs/recipes/scratch-sgd-cosine.yaml":         "36734b3a91e03e27ce3a0939cb86aa7b4b6260eaa3f394654030d16b52f8774e",
	"inline/adagrad":                                  "d2540b86895b932f1039335dcbd6920bd49e8de1887f5a044f9a8e908b050b81",
	"inline/adam":                                     "471c6dd34180d6703ff493987531fc3fc74a249920915f5940a38842117b97f3",
	"inline/augment":                                  "1f1ed6a21ac20bb8f46c525878d8b87b5de7e9d711c0d88dbe9d3be349ca26ed",
	"inline/cnn":                                      "4df0846d16f2377753ae8cc95f20bdfd694c4fe50dcb80f3e9a378fc320134b2",
	"inline/deprecated normalize":                     "8748067a69af8cb416fc3cea7c70819c07426aae5722aed6539ee881d7022cbc",
	"inline/layers":                                   "bfd2dc41d13221c5e3d32b3a18c2f292377f58a0c7b8527a43ef7682e090caa1",
	"inline/lenet5":                                   "56525322ad9caceb1c6f6beada3e004a10dca13e79fa4b21b60fe581442b53b4",
	"inline/onecycle":                                 "41126424a16e2f0b831c276fb6d9b090262f2366a2307757eec96c726226ed88",
	"inline/overrides":                                "496cd4eb7f80635d274ae5bcd128f84da17848c18ed5e71966ae9cc81b606fff",
	"inline/poly":                                     "7d051e5f72365744c8a3e3fec4eb5e5cdcf53ddf96c77d24fe0f2419d77353fe",
	"inline/resnet":                                   "b8873ee0db28bc6e9dfba245591b152511eadb7e58db255aeb27c7f3f6f337cb",
	"inline/rmsprop":                                  "abccd9a4a07a3eea73df913c64b357e1bc6c9ccc6c4dde536f5ab5632305c5de",
	"inline/zca":                                      "34cde851ed575edb4e738fc29fcbe9144ef3a52e1b1fd7824b4aa1888a7e0b07",
	"testdata/config/full.yaml":                       "c63589cc5d4f1cb9caae3d13464d2ca4234b13f933d77e4df916b8aedbbb7dfe",
	"testdata/config/layers.yaml":                     "c1b64a313d797534224dd8acf87ee7d74a1b97e9ab2411db7a3ed0362b4ccfd2",
	"testdata/config/minimal.yaml":                    "2e0be4db9f6fac5ae69f446df81c212b78cc5a0c46bfb271526a6d3844812db4",
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
