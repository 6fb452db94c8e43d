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
	"Default":                                         "23d169e92881d216b555443427e392f9b1fe265b25f738408bc9bbbcf0d35a74",
	"configs/bench/cnn.yaml":                          "787d7f7aa9b0609c1c4f70ec2a8f40fb08cafea07d163520510a7648e055385d",
	"configs/bench/mlp.yaml":                          "2e548eee5988d66cd4b8a48b8f2ab985023205a0d3c05e238bbd709df72a6b8f",
	"configs/bench/resnet20-rgb.yaml":                 "dbcc693f3a7e011c5eace14d06960f9c3077a0305160d088b86e859302e0943e",
	"configs/bench/resnet8.yaml":                      "ff869d8f8ed64c3cb905b3bef56982652b71beac7578b1e93b718b3f54715af3",
	"configs/bench/vgg-rgb.yaml":                      "6d3d4600d84baac253811e4338c20fc2c83f5c0e3e2827400af304ba00df5ff5",
	"configs/datascale/cnn32.yaml":                    "100b8537b99b7ccaf14b97c782fa5a9254cef2b98b9f6d8b3fda20d36192d4d4",
	"configs/datascale/cnn64.yaml":                    "902c6cf8fdd059c0702b74fbff26cea88bb7c6335caf3ac9f7b848e6a31f1732",
	"configs/fashion-cnn.yaml":                        "a8b0ea9b1871be5ed6ef1de2effabb12fdf195d6c5e46c66b3007bf61cf8d285",
	"configs/fashion-lenet5.yaml":                     "af891814fdbb817d1d8665756f7ae9894e9f584882b4c01da48a739477aff47b",
	"configs/fashion-mlp.yaml":                        "5324cee81d15de44c8e07fc6669434ff4eb106087ef2eed19af1edea8086faa9",
	"configs/fashion-resnet-aug.yaml":                 "7d17479d2d459a0b499be9d3c719079d65659b07434dcf90b0c621379a6a2fba",
	"configs/fashion-resnet.yaml":                     "fefc7430eb799101e953e563187b9f207314db53bf1d2e2f0bbb2a6545c9a86a",
	"configs/lessons/deep-init.yaml":                  "8e3ceff5bf2d4d7febc68107d232c1256fbc32cf43fdea6b8efba4af3378b077",
	"configs/lessons/regularization-cnn.yaml":         "132b1dd73fa1021b4ce1daa0d11a5841a87ccc12fcbdfc51b50b48ab651ce6f3",
	"configs/lessons/regularization-resnet.yaml":      "6eff1b6cc619ec3ba4b93c427d424fcdce30decc497c030e0ede92dbf7779d57",
	"configs/quickstart.yaml":                         "ac4cb828e642c43890e59c2be41b575c91c2355c2e6c5e5d65fd623dd93327ab",
	"configs/recipes/finetune-adamw-linear.yaml":      "a5d68c5386fecf953913a5a2f3cae0e6c3964030090679f0e543dcd8fdf963d5",
	"configs/recipes/large-batch-linear-scaling.yaml": "59b9c146344e7d67012e6b7e64e4e002568b04a3774b232083c2b8cd7c1698ee",
	"configs/recipes/scratch-sgd-cosine.yaml":         "53e7474944b4207a8f0169dce694d1262a87b1277c20bc8026b5e3834b213409",
	"configs/search/fashion-mlp-asha.yaml":            "d5a480ef3ffdcc65025a8a834aa7632cd311ce58a178c0c55736e4d06d32f9b0",
	"configs/search/fashion-mlp-coarse-fine.yaml":     "378a4daa89131e1e186edfb67167e889340b5c2c08c78734ed579465b4c153a4",
	"configs/search/fashion-mlp-grid.yaml":            "3282ec27ce969c3a1a69374082eabf12f788181994d10ac6ce72620ac2f6dd47",
	"configs/search/fashion-mlp-random.yaml":          "f53f05d2f20d0d831ee324b8c511bdd8c277c6f32ef564629f05bd075dcf2b8e",
	"configs/speedrun.yaml":                           "2f9e70f84d01e742ccd156c540d57f4d9eaf2e616660ea697ed0acf707c31461",
	"configs/transfer/pretrain-0-4.yaml":              "53b51dbb2e0398562e4ae49cbfb3ce4701a89303da9fcfd6b83add2d24c18ea7",
	"configs/transfer/target-features.yaml":           "d8600769e3ffd19e985db4bb37b4c2b360d1470c7d8ccedba68eeac819c5e115",
	"configs/transfer/target-finetune.yaml":           "5ecddbbd91ade1bdfbffd7188db41c500b8c4881fce574a77ffd3a5654f79f61",
	"configs/transfer/target-scratch-3x.yaml":         "7d47a575cd8d7913023871d2c876e5a85bc2d159b0722c77e87c0ce0d892de1b",
	"configs/transfer/target-scratch.yaml":            "1bf9acb9399576b824061ffb47f6a0a8165c703755c85fd4df5873ecd34b0fca",
	"configs/transfer/target-staged.yaml":             "75bbd1d2d6255125e0d1513e02ac03027b72e53f9949373bb0cb98b7506644f2",
	"inline/adagrad":                                  "221ddd1a2ef96f7bb37f56d7cdc94aa14a2ece15434e5fd210bbd00eaeb330d1",
	"inline/adam":                                     "8f4be8af84f4c900b5de9e3dd17b7ca4c47830caf371db23bcb8a0076a3f323e",
	"inline/augment":                                  "101fb1327906347a11a371b33b3161ae75557c7d3de6e8acace30a55bc67627f",
	"inline/cnn":                                      "b9abac4ecb24aee25a477bc7f2345f0147c2d5daee6ebe1431831d47143a74b3",
	"inline/deprecated normalize":                     "6ccec817f4f0cb2c4c09b3ff5f63d3570370d827dbd1f3635397421510a9cbbe",
	"inline/layers":                                   "9aa0511b9af9e64ff414ed2eb94b5783ea30e0d0364edc694f6c8103b88b7dbe",
	"inline/lenet5":                                   "3fd496ad2e8591203162da6415c21f410007fdfc563fc94a268864cc793804de",
	"inline/onecycle":                                 "b4729c9c116b8a177eb3baef64fe660779fac8639f6f3b369b40fdfa0a5fa96c",
	"inline/overrides":                                "7188c03bd199663088f793b908af3014e11165d4b806a710483f6de87f1e04f2",
	"inline/poly":                                     "44f68e4a1a159ed5e37450592a462f3b207667f2c2419fcb09a1f99c2fb80861",
	"inline/resnet":                                   "ff984f018cf62b912de8f8b94a0744cd672088c9050575a1f4535f1893ebe89f",
	"inline/rmsprop":                                  "77b65f81fafa816bfbef6a16d5379f9910f9d3e55aa8e17314d1e939bb9fb729",
	"inline/search":                                   "9b1d179efcbc43044a8df308c36328350a43bad967c1f4e492e649801ad68625",
	"inline/swa":                                      "1090355542672935c5b30008dd3360bd247b1d96204e281a6c4fd266a9390c01",
	"inline/transfer":                                 "2c0b01fc236de7db59b91a00725dddc7eb20392cd59c4bb2505c752ef095c138",
	"inline/zca":                                      "588f01e601f4822076fc04b8054814a44a4b30be42660a82c5580c4151dd054b",
	"testdata/config/full.yaml":                       "5bac453c8366dc8eaaf6e15a0dd7e4c5addb5c837c0c0c67397a32dcfa446a55",
	"testdata/config/layers.yaml":                     "9b8e9845951274a3c582087587df3a9dc69bb876ce3cddf62bc122888981443a",
	"testdata/config/minimal.yaml":                    "cf95206fb657bcc949287192d6e84ecf49f038528614d3f40bedcb64ee9068ac",
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
