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
	"Default":                                         "fd3ff7cb48f34ae2a3cef2338c7bfb5647d66c378076c929e770fbfb76f7a80c",
	"configs/bench/cnn.yaml":                          "c0c1821cb764dc942f3640c1b4b70b2f764b2caa84aa558bccabc75d6c7c2f4f",
	"configs/bench/mlp.yaml":                          "a941af26febe7812809dd260c55c60251a21de10b61ee13f9314c05d6088eca5",
	"configs/bench/resnet8.yaml":                      "6d2ec8b0db9f8c55e6c761c2ad56fc98445b8ca9f169e6137ab695c3b1a1bb8f",
	"configs/fashion-cnn.yaml":                        "59d56e5e4719cd0ea0d89ae0a63d389d44b3bb268deb01b8849d63287e6f5a34",
	"configs/fashion-mlp.yaml":                        "b695dfd07042a5211987213ac3d02aefc29b0b4507869b7db86ff3eb0580d4ad",
	"configs/fashion-resnet-aug.yaml":                 "68e8a16aea3f0d81c83d2d4812ccd84660836eadfeddf8e7eb07cad7e4d4f376",
	"configs/fashion-resnet.yaml":                     "cc90d45d6d6a0d195643737b1221483d03306cdc0ef053d2c43cd306f8267e27",
	"configs/lessons/deep-init.yaml":                  "e18d91b4054c90ce57360b2cad786f0d85e45992c11db628a00b678b0c38b661",
	"configs/lessons/regularization-cnn.yaml":         "e38a9aaad385f2f92265ede8f4d47e4fcc5dacca175823fce21e87bec35c8c22",
	"configs/lessons/regularization-resnet.yaml":      "936e6cb0fd4af9c716cfc6a7723cc4f122701cf0085e8d86a92a54e2081edba8",
	"configs/quickstart.yaml":                         "24626940ab357373e11fb9b09c38b351319224d6935f46a56c606b1a4f25940e",
	"configs/recipes/finetune-adamw-linear.yaml":      "e1870555e0ed30fa40d8099c118e2c0923e7b01f654ca9a1d0d24620cafbcc14",
	"configs/recipes/large-batch-linear-scaling.yaml": "bbcf802534b49a2892acb9169a9d1a56deefe8963b2aac7b1f5083ac8d963d45",
	"configs/recipes/scratch-sgd-cosine.yaml":         "887188d8697f4888dfc83c6080179e7fdfd157aa789ce5f9039d41547ee0c283",
	"configs/search/fashion-mlp-asha.yaml":            "e0651cd250a126640de94ab245d729dec2bebfc2261544f5c726e1ab3dcbad80",
	"configs/search/fashion-mlp-coarse-fine.yaml":     "38350704ff685777635a7bb2ab33d75dc44af44678aaa50e3bf56c61a1c3969c",
	"configs/search/fashion-mlp-grid.yaml":            "f5fb4d4d9869d1bde9ccc5e84e383b6e2b943822b9aaec3e9fec9409d58d640c",
	"configs/search/fashion-mlp-random.yaml":          "60285816c9f260324f7fb292079218d444bbd8fc5031d68495ab61e02c346bc4",
	"inline/adagrad":                                  "12f6589a3e88a9564e720827293d972c576c8f1decab61c0981089a64349e132",
	"inline/adam":                                     "5a522351b6bc28271412b5044f9f4f3cc17c1bd77ba027675d1bee9e7ac4dff2",
	"inline/augment":                                  "75865a9945cd6d0a1e4896afe0ac9c9fa67fe220471398272bf766ed765ed7cf",
	"inline/cnn":                                      "9262176b03c45b64832d0dd44d86a71ef0695a7f5c6914a4992411f4ee5c7ddd",
	"inline/deprecated normalize":                     "f673c3a8fb5c8f56157a857a51370cfe6ade739db2abefb034170cd7a93e6066",
	"inline/layers":                                   "6a15434bf89edb57cc4d47a448d0a1421336c32e0f18a4c71b4bd5143cba8cc9",
	"inline/lenet5":                                   "63b5a5ce8700d7b64e1a757657a15c1d4e03223849d0a312f21c73e683f016f4",
	"inline/onecycle":                                 "849f2abe1b56e8956f1169d99534d12fceb35567b914ac10e1f99c1dc5e93cad",
	"inline/overrides":                                "4bf350d128c610778fd5fba2423ab0828ab26769d1d3bc8be8ee48f51c6c16fd",
	"inline/poly":                                     "d293b022a3552e457c49ebaedd8f6ed34911dc648ff84ff98dcae4143f9f21a5",
	"inline/resnet":                                   "33184e8c29aa22f4fc60d27b4dd0188b20ebc3ed370feed0498974d250bf6316",
	"inline/rmsprop":                                  "caac20b1a07434bd166abb4bfadfe1ddadae4514235fc5be042d5c11f8b6d3ea",
	"inline/search":                                   "37a3d1047302a064e83600d9c395d3f1d1c27d28f450ebe8528ef93d9a745a72",
	"inline/zca":                                      "322531183ffd775b5178ebd28b9ea19b9c580340337c6a33d3e4fb74c55a712e",
	"testdata/config/full.yaml":                       "15dcba4c30d7a58a0f5f54a8b9927bd202e7552952871e63936c75006d44bd06",
	"testdata/config/layers.yaml":                     "f9756fa892c0d141a5a2741d3e897cf0870fb3bc7bf06161adb961156c1db052",
	"testdata/config/minimal.yaml":                    "3c2d57a8f9292fca2e4fd1afa697fa4f0a4ebefbfe67319a3171f7b160bc0fac",
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
