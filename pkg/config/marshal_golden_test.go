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
	"Default":                                         "6215e3200647e1abcc16b12483b15fcbc40dac9eee7708c598f5344a0aa132a8",
	"configs/bench/cnn.yaml":                          "2530a8fe3c7856e6d4dff28fad39f4afcdebf99b4eb74ae676d3f7441effbe3e",
	"configs/bench/mlp.yaml":                          "c4371bb6145e2ce2b8342f23a18085837c2f7d2907fe8c7de45571d005cda5f5",
	"configs/bench/resnet8.yaml":                      "a919e385a29137d42d69c9ae7e363dee60748857e3dc889dd817520d3e3db3af",
	"configs/fashion-cnn.yaml":                        "7ea45a829232c63d650b8202e4e51e18e218f99f3e1d6dcdb1076d813d9597dd",
	"configs/fashion-mlp.yaml":                        "0dc2ab47b532d77a03e3193d86928f06ba7c98ea804c99966ae5c2174cff0409",
	"configs/fashion-resnet-aug.yaml":                 "297e32ece2b997758271c4b95d9502e2c2892ae7ae2362d1f6f47e94211b96d4",
	"configs/fashion-resnet.yaml":                     "31e7ebafcf49ea6307a692ead4cd45ff54da864e9fb04d81ed8ddaf06f689b9f",
	"configs/lessons/deep-init.yaml":                  "8d156a5e86bdae892d95a7887d5ea9f8a04e2fde1a8e6ab7998d951b2dc5126e",
	"configs/lessons/regularization-cnn.yaml":         "9162af5a04985939be22c05edff802dfc44fbc5d68c99e25443b84c1187e38bb",
	"configs/lessons/regularization-resnet.yaml":      "d35629f41793ba2949db518905dd2d05214a84632081e3a6828b9f7e6054fe7b",
	"configs/quickstart.yaml":                         "c185d3f8dfe2bfa365a7a0aec93054ffd6edb117840e827d935f966e0b30e1ce",
	"configs/recipes/finetune-adamw-linear.yaml":      "a8045dc9405c4f5c4ba874d3cb62d37308df1f5240cda83effee070d0610fb9d",
	"configs/recipes/large-batch-linear-scaling.yaml": "325b5afd8631001fc277ad032f8bc56c6b73621fa3ccc3d80f6b43a171027734",
	"configs/recipes/scratch-sgd-cosine.yaml":         "3e9088cb00cdab2c9c5fb9561d7e5e2f83a7a0b890cb5e9c5c721baf0e8ed221",
	"configs/search/fashion-mlp-asha.yaml":            "aa41b8dc206fc2d9e1254bc48a16aeb721ee85910c4fcaf370391a759c5c6e80",
	"configs/search/fashion-mlp-coarse-fine.yaml":     "434131941eda5f773f48d72aef43807b4357a6b2677f62bb1668985173ea43b0",
	"configs/search/fashion-mlp-grid.yaml":            "83e3e8b588fdd088072c9f3210320bf1c18843f1dc2c6dc11f383d07ec52e709",
	"configs/search/fashion-mlp-random.yaml":          "79b0e0b0dc0a402d03ec6fb6f48898733405405769546bda522f1cfde28fe882",
	"inline/adagrad":                                  "1434a2132d0e7a478749c9f77371139534fc0507e6a11cc1251d7d65f81e0680",
	"inline/adam":                                     "bcdbac5ce36c42dda61d1f72c9d5b9740290d886ecad285ce94e29e5aebe33a4",
	"inline/augment":                                  "c79473ea31895570e0ff3682ad8c4b176012183fe319a20c33f48248d52743b7",
	"inline/cnn":                                      "492a73c4f8cafd39d93f5e929fb7d1436b6f59b47e84a2d598a0a62d53904e6a",
	"inline/deprecated normalize":                     "034eee4750c900d3a320d3126dfb08b898fc925ffb4baf3a59938072b0734a39",
	"inline/layers":                                   "70d341b2533881d1322dc44cc424a29a5c471ce18493f3057e3c510a9a1721fd",
	"inline/lenet5":                                   "8229632a13d58c1c8d9dbc3185a95a466dbc492560cc671bd303d497248f51cb",
	"inline/onecycle":                                 "13ccd4fcd6be1bf1292be834899b226799bbeaee3dbfb4aea0934e034e16fe4b",
	"inline/overrides":                                "f95205ee1cd7eff92251febe085672bea3e0b98aabecfc8cd0dd95fc16ce34ae",
	"inline/poly":                                     "c35077918d408f9bdc92c164faaae6ed5c9113b2f7bd0213f8ff3ce34d85daba",
	"inline/resnet":                                   "922ef3f6ce4b6ab77de885f4fb92aae3366669144bd95a415ee95ac0355df823",
	"inline/rmsprop":                                  "3cda2f3b9be582a61b0ae38a24e9e52de183362a27aeef066aa6e4d88a0623b2",
	"inline/search":                                   "75dbb86dd80723fa00166be082a75f589d237977ef335c340951a184ea4eb50c",
	"inline/zca":                                      "61864dfe360616f948a1ff2c523ff5a4aff3f00c09765f265e1e2e89c1be0f3a",
	"testdata/config/full.yaml":                       "33c62153c0ace016d06c33ed1038b34ab2d39649d8470aadbe98e208725aa682",
	"testdata/config/layers.yaml":                     "de550f60cfb12fef850a2a8fde34ec8cb3d8447cbb82c835021b30f65cf9efe6",
	"testdata/config/minimal.yaml":                    "ff155f620b65a76dfbd23d419fb31b289829c401bb0b6f043b0b67db890e9791",
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
