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
	"Default":                                         "697cfb74a19b7ac2e6c68ee8a3fba4611e8cd362533f95b1abc86a91b29f9578",
	"configs/bench/cnn.yaml":                          "145ee47ec9202bc964fcefe55f4d658d9c8aa4bd07896747e95463369ac5c26f",
	"configs/bench/mlp.yaml":                          "03f9d5b6643b82d3b7f4b439eec0c93ef982336ee4d11ddeaa60b228c6fa7e85",
	"configs/bench/resnet20-rgb.yaml":                 "ada4449cbc5638a2fef259dddb4835a40992df0782f4d2b60bd39518fdf747c2",
	"configs/bench/resnet8.yaml":                      "5215c1eea5c79ccd3f861b3fa7c7080ae63ff982ae0e23a4ffcc20b8ba542a31",
	"configs/bench/vgg-rgb.yaml":                      "ed03b23291c9f4e47eb250e6b6f3d72adaa2bad0b23d0fcf417f8f0be27196b9",
	"configs/datascale/cnn32.yaml":                    "713b909f2033545ecb81f092f1b811cc7a4ee99c1e428ed64260df422e72e7a2",
	"configs/datascale/cnn64.yaml":                    "2759c60fd2b20ce6c80c8c8e097f601e1195283dc25c8a862ce7ddb90a00bced",
	"configs/fashion-cnn.yaml":                        "20a0f9479483ebb8a48e59a7f663d0dae94e0d82a7fef8ada8c293b4c8d0b66c",
	"configs/fashion-lenet5.yaml":                     "adddee0c57aa13fb8568d5bdd1c397d1662401fc853a6a156f7a3c0d1f92e60a",
	"configs/fashion-mlp.yaml":                        "ebff2f7f738e5ac545f641aa2a6e56fba85230d387c87212b39e770133acd868",
	"configs/fashion-resnet-aug.yaml":                 "ee0215a638a1991295e68993d9c25e7e7a37f59e4d771a5a0f587d30fb760f0c",
	"configs/fashion-resnet.yaml":                     "91209789b8441bf80f4a5ffd53aa15b2bd5261efc7e2899e671e85df2c1aaf40",
	"configs/lessons/deep-init.yaml":                  "b8723b568ba07d5f277575de92ce245e765d6ad8e9c651f8aae2c5d012462d6f",
	"configs/lessons/regularization-cnn.yaml":         "fdc733a85e0682bf150084486afc6ddba0dccaf2d8e70edd87fb1eaad85e0f48",
	"configs/lessons/regularization-resnet.yaml":      "c6dc9954870c3d99f5f11a5bf506430aba784cdd0c5fe12df56289351353c99c",
	"configs/quickstart.yaml":                         "1fc6929d9cc0d11d2bff498a1fb16fe90c50926c3134945b32032d38eada29e4",
	"configs/recipes/finetune-adamw-linear.yaml":      "1e875400f0b75da78e411bbb797307f22b749790ff11164628aa519af464b9b0",
	"configs/recipes/large-batch-linear-scaling.yaml": "246521b4b71c7400006b424c32c8087fd482c1642959c65e2ef3acb82f30784c",
	"configs/speedrun.yaml":                           "61beb1c06fbba2c5c007417819860f6ec53e86043d7c9fb7d6f973bb1cac8138",
	"configs/recipes/scratch-sgd-cosine.yaml":         "4d495539bc05e4824cc632988cd5da789f831043991c78e64c5c26f5f08240f3",
	"configs/search/fashion-mlp-asha.yaml":            "c75ba6a32d28c4494ed4564fb2aa89df1c6bdc1a4289c2886ceeb80416cd5b7a",
	"configs/search/fashion-mlp-coarse-fine.yaml":     "967d8f016852c75055a0a5416e3dd54bd1c54c555ad33aed0076da63dde78cfb",
	"configs/search/fashion-mlp-grid.yaml":            "314aafffd6030a8a3b6b62f011987a3cd8531cd8b9b0b38bec3b171b4f4d121a",
	"configs/search/fashion-mlp-random.yaml":          "7d75fb7a1f8d6e1b02c4d42dd1759c26bdbd0e8a124c775ee894f5be2c94b2a3",
	"configs/transfer/pretrain-0-4.yaml":              "5fe8dd49727d7cf4ea9ce823736dbf799faaff9b41111e9015052f20e27ee540",
	"configs/transfer/target-features.yaml":           "2d2aaa9125932318dc904829e61e5ded8749b133e1d62ebc7c28869d08b6b391",
	"configs/transfer/target-finetune.yaml":           "360be6e2b6fea6b68d7ff784187de968e7944578145ea62d0db9cc552608a004",
	"configs/transfer/target-scratch-3x.yaml":         "f56521e6f9e5790e8f288b5870330840373f6a01f1d4bae4569846340bab48f5",
	"configs/transfer/target-scratch.yaml":            "696c0a7dec24911b6dc2fe83a63c0745a3a331868fbe14ab7d8d5f01003274a9",
	"configs/transfer/target-staged.yaml":             "c3934edff924a1f005de8beee6f0f26aaf8b5f9ba15e61cebeccc51bd87cb0d6",
	"inline/adagrad":                                  "0db60ab7932890390f8968b902d23a61d7546d02661d541ae2fa29ef8d4f5376",
	"inline/adam":                                     "9f4d9fc1c892bd229747973de8fca79eaaadc83bc75ca6b00ad8ffc48b64e46c",
	"inline/augment":                                  "91d149f0e64ec2bf42cf9f70f8b0c152dbba7aeb4fc781a7cde3bbf07c6fc3d4",
	"inline/cnn":                                      "cbf470b23afa495ef9280a291ba9381bd6a122c27d5d8fef3ed088275091f4e4",
	"inline/deprecated normalize":                     "c3928a11ae4730280057e2624f834fb1c327c5b4392183c9e932f94ca1bda0e5",
	"inline/layers":                                   "cbd7cdd519a5bf994f0c4920ed9b19fb40c584ae51a9f28000fef24eaff060d0",
	"inline/lenet5":                                   "f3389c0b91b70e1594a428b16bf9c2cb0601733409c3904852504ca29dff59bc",
	"inline/onecycle":                                 "0f196c2eed893f47ff6e6b18834544b27d682c1b010818284b0da02380821fb1",
	"inline/overrides":                                "3235a4f971845d171e6714f110e8269a2c98ee4c156bf537899266bab75df608",
	"inline/poly":                                     "a0234231a53a3cfbbfbf1cbaf848a1441a68c7bdf965b2b7d8ee6ca05b198597",
	"inline/resnet":                                   "1fa139184bf8a76de5e5472ea63c3d8bd258bcd5cc3438163b6935986dea2517",
	"inline/rmsprop":                                  "d6585178e88e412e5fd775820f897f2537eae2c28372c0acf2536c04b7bc921c",
	"inline/search":                                   "faa66db274e935a8e1591c3a8effec26de7a88ec401ed1c79d92523aa27423b5",
	"inline/swa":                                      "f1a8ba8d6a96137cee2f2c71feeba64082dd52850a5fc4ae178b3ad3daf6a51c",
	"inline/transfer":                                 "113807eafde8bdd6c9cc27c91a0fa02d7355b3fe7dab03a259268361b5f3991d",
	"inline/zca":                                      "eec00a4b40d77ec28952db7c12c6e3527532b48923bca0fd4e78289d21663fff",
	"testdata/config/full.yaml":                       "7c8e768c75d7f086594a6f06557908a99d5061fffea1e0ec0b63952944e5b9a1",
	"testdata/config/layers.yaml":                     "415cd5e7e24a1fd73d8569757611586380cc9ac6783209ed55f8dc4a180e60e2",
	"testdata/config/minimal.yaml":                    "941392389217f7b3074e39161f16d2893167e40095cae10b33d0014aff20b840",
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
