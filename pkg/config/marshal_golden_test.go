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
	"Default":                                         "1987b09888030bd7936a6542a9774b0ab2013c327a2b667bc99b2d3865b24a05",
	"configs/bench/cnn.yaml":                          "86d82f571043bb811538e77a25abd310260a9fa253efb205d478891e589ae92d",
	"configs/bench/mlp.yaml":                          "70e7bae351822f8614e46d0f5cd003a5074bc9308ba83511f7622cc61316f339",
	"configs/bench/resnet20-rgb.yaml":                 "1c9845356aa4a0ea993d66ad122f331b805ad22ca4366b2bd18bad283e47a70a",
	"configs/bench/resnet8.yaml":                      "73a3b8ab8b2cac71baebd39c4c72c71b168d71deab13930240c7c2709f7140cc",
	"configs/bench/vgg-rgb.yaml":                      "38a682c680a4d64f2bba5354abf800b066bbd659f144116a75f874be056e6099",
	"configs/fashion-cnn.yaml":                        "0e7aed2bb58b9649a8b5e7aa9c6230431f074e0700279684f6a24a9a3d4fe6d6",
	"configs/fashion-lenet5.yaml":                     "db590cfb1bb0ad12d3c2e59a435a48f0ca3f84ead5f9aede39cf904b6c3dae28",
	"configs/fashion-mlp.yaml":                        "fe0dba0cd4854e96ab711a9780814b450d864a78bed8086009725b619cc915ae",
	"configs/fashion-resnet-aug.yaml":                 "d727c49112db5983da1c50076fa5117cf207b8e21627b1737254a80491fc4da9",
	"configs/fashion-resnet.yaml":                     "962701bf86c588d8e0590a412972ea06d27fd61bba5a41b0c66a54f8ee655c4d",
	"configs/lessons/deep-init.yaml":                  "9c40c2675449f4aa378e13d4947842daf9d1f83586432285beea54dfa9da1c43",
	"configs/lessons/regularization-cnn.yaml":         "b877b78f9f116e134af0f7e9414782e062ae631225de70c1276c46faf9a7c19a",
	"configs/lessons/regularization-resnet.yaml":      "e2d3ebb3ab1aa6daa71166d39c248d5a640232f7137e822de36205d4ce0b8cd5",
	"configs/quickstart.yaml":                         "7da8c67e6b003e2620722ee4ececd216ee492151d3dd3e6cc7975603eb9790c1",
	"configs/recipes/finetune-adamw-linear.yaml":      "f5af9438ce4871446f58a6fa54d83dd76ced03adec4543c881a6c8b702c4f54c",
	"configs/recipes/large-batch-linear-scaling.yaml": "ddf784fafa75a14e40fd8a403585f1e2c3c8da65eb621f67bd391279478cef56",
	"configs/speedrun.yaml":                           "f74dd9d9eb88fac30edd8994ae08ff145a5cf8f7c5e4b0f89455113d2fa57eb4",
	"configs/recipes/scratch-sgd-cosine.yaml":         "017a721c9d29b0eb015341c599082465947d9d75a29bf6dfce237fbe99dea990",
	"configs/search/fashion-mlp-asha.yaml":            "8cd34041b0113336c6af8d16428f55b403d9b854e0c2a1d768a9e37ff4385dbd",
	"configs/search/fashion-mlp-coarse-fine.yaml":     "b63a67db03a52fdc7f2a13be1047d358310510526ea0b7d638cbad1fd4485d06",
	"configs/search/fashion-mlp-grid.yaml":            "53dd637f2e7ad58e611aaefed4ab702975a29a868209ef676669e1739ace7782",
	"configs/search/fashion-mlp-random.yaml":          "f170101536026a6c9678492ad94f821c2fbeb3e44cc94adf1801f2145a25a449",
	"configs/transfer/pretrain-0-4.yaml":              "2c648df7631429671b1c05c0a555c9b3f2412f584185ac8ed8dc4ccea3097cdb",
	"configs/transfer/target-features.yaml":           "5959c29b1fb5097db3d165a2f0650d40b6d270b78bd7c128a31349723a61a8e3",
	"configs/transfer/target-finetune.yaml":           "541713caaf9f795809a301eeb85d519c224933d2329edf38edb71dbdbef6e1a4",
	"configs/transfer/target-scratch-3x.yaml":         "6590c6363f350292242915f8e4ca56dce196d039f46d3c1fb6bf58f1c89b621f",
	"configs/transfer/target-scratch.yaml":            "35b921bb5802a1b9ae9054ddd6b08a55cced685d0074837836e028495b2f54a5",
	"configs/transfer/target-staged.yaml":             "1c87fbe971fd1371dc33238b0ec19d9aa62bc75f0577128256b0673939216787",
	"inline/adagrad":                                  "352584190fb2ea2d99310efdbf33ddb67778274ca1a9509b7d8c0bc53d2be11a",
	"inline/adam":                                     "18c159308a3216c21307ed422970efe0aae1dcd9c04b73420663df622912f06d",
	"inline/augment":                                  "037b6e3f000c80e75949fb03eb8365eeda99ef146e868f74b56a5a6e69843c34",
	"inline/cnn":                                      "368dd04dd8fe8e2f1e946a6ad27943db2c4ceaa5df23fe3c05b56a8870353822",
	"inline/deprecated normalize":                     "4d28abd63961502599d8627f3616397a72d461e3f8c9a4b0421ebacd6142da92",
	"inline/layers":                                   "aba35cfbb06368d0f688893755e5dcd849a0ea03fec3f2358a6180885f9a823f",
	"inline/lenet5":                                   "1a7011532b8b5ef8e099e42700069250b16120edf3527adbd018aa7590d1a293",
	"inline/onecycle":                                 "6c9960960eb05848d062d0995c255d4d6766a689a7737be3c42320e537d124b7",
	"inline/overrides":                                "ae04569fdbbedc6212a5b68c0eb1ce195a1224b9d20bbe54142b3ecea8c0bb2b",
	"inline/poly":                                     "d1c78705e3e35104026d0c4150e00cb943f437aaf4af623139a79b186d70e72f",
	"inline/resnet":                                   "78ef980457ba4146ec62d1a4918912c6de38f28318682b12c9722be144bc2f0c",
	"inline/rmsprop":                                  "09dfc252d39b42fd5f3df81211c4e3a9f822424379c41a4919762a6565b28da6",
	"inline/search":                                   "86f14101379c294f0f179a6ca23678f4dbab5d8fe234a1e4d2de8ff1a2a6ed61",
	"inline/swa":                                      "2bd793de9fc7e8b1b41a7fceec6b7315dd16fb61f8ae703ca01d2f9597351b7a",
	"inline/transfer":                                 "01493faab00a978fefc5b9c2207ec656292da96ccf211cb4f7be34ac83e1b98d",
	"inline/zca":                                      "943eca76aa8878dfe9700969304177842e4fc640e5ae7722d776a2972138cb0d",
	"testdata/config/full.yaml":                       "a5ff33b6c297f70d48c7c178b53bc12a7e063a75e0baa4d616792e82ff7b9b10",
	"testdata/config/layers.yaml":                     "10956a5a788279b0645998287cc8bbe5bb7ec70c7dbe5123a03f9a3293a4eaca",
	"testdata/config/minimal.yaml":                    "f1e7bc282eaa0abc8bd3d1508635aca2236596310cdffab5d98314ddfe4cb2ae",
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
