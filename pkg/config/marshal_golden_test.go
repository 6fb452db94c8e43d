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
	"Default":                                         "9945611632d274ee27620f5959c159d492428694016ad88efc41575996bee96e",
	"configs/bench/cnn.yaml":                          "c167970441b4091feb5a019fe47dde0ab18544f451c11b45e9c9fd7821bde948",
	"configs/bench/mlp.yaml":                          "05336937276ceb35bdb2ebbc3e6ff1801d40a3ed7485ea520410617ab4e2c652",
	"configs/bench/resnet8.yaml":                      "3cedfe38f0f71b185c06fea33080c99e685e80f742e3a76be03a00d43dfaaaff",
	"configs/fashion-cnn.yaml":                        "28cfb4796fcd2a2af297d9765fc8e5ec7d4fd9b6d87552bd3f76e0a9e431659e",
	"configs/fashion-mlp.yaml":                        "21f495dbdbebfe61b5925768d43ac2cf15d72cb1c9b01bc92324ad1380ea52ce",
	"configs/fashion-resnet-aug.yaml":                 "3aad27056945ac32b4bd42312ca48bbe3fdeb47cf5cb6facf3ad6670775c3c1e",
	"configs/fashion-resnet.yaml":                     "23c3ee0bda162416a0ed5cf87743e76efdbd333b1c3931c38b30c12fbdd478ea",
	"configs/lessons/deep-init.yaml":                  "4bd78f590d08451a2276a8c9105882885d3c330019d1b3103c91fda145fb2df0",
	"configs/lessons/regularization-cnn.yaml":         "36aeec59a9c322e88108693aa71e2625461600a2c8223cd341fbec40ab5e85fa",
	"configs/lessons/regularization-resnet.yaml":      "d309e4c213b85070d965cd3a65225b24c21d8b4a169898337f0960da24aec3d5",
	"configs/quickstart.yaml":                         "91f6f94b9086dc319d6461c3a34be4beeb258699efdbff717002b1cfeb6e612c",
	"configs/recipes/finetune-adamw-linear.yaml":      "4d71707d5b5303125ce6a0069823d97cd51c34f41cc9c431acc2a8727de9926e",
	"configs/recipes/large-batch-linear-scaling.yaml": "a4e9e9d89e6993d76b37a2ba40889a0faf26ba998e299610ab696b1db0ffc412",
	"configs/recipes/scratch-sgd-cosine.yaml":         "588b5bde1369f701bdaebc3c33f8150eb0e221a48f099831eb0d478d506240c5",
	"configs/search/fashion-mlp-asha.yaml":            "99f90b2f2f9d5e5b47366c49e38f2a85db7a40eaa025d36a2d749339b4c59c02",
	"configs/search/fashion-mlp-coarse-fine.yaml":     "bfbbd3bd4b3bfb6eb54a115953ccb5678de38d37147787b8bca154f1e43fe981",
	"configs/search/fashion-mlp-grid.yaml":            "d1cd9ea608bf7f2f6156a6f82db43816a8eb2a8e67d4de53bb1098112328ecc1",
	"configs/search/fashion-mlp-random.yaml":          "aeb43afbf53b1b0006db4bfc631dba42bf6544c179ab485f39c4dd01b936f4f6",
	"inline/adagrad":                                  "6c4572c2d1c1eec42c58c6a58eb62f5d72d1b5c08e47636aedee1f49a7b4ee82",
	"inline/adam":                                     "ec263a255de33eb79def71cf31aa3d3b742b9cf03f4cc6b2cb8088e4699115dc",
	"inline/augment":                                  "6448538f1a3b114dbf5fa4d6f092568e4ff3cda073f4aa7ab9ed4109d44fc944",
	"inline/cnn":                                      "f53e3802dd3db27b2886bf624bf1b4452124233b2d239d086fe63b7afebbed1e",
	"inline/deprecated normalize":                     "817fe6aaf63fd07a28a90e6a9fffe693aed1e7a4302d6321d12ea2842e0b9170",
	"inline/layers":                                   "884c8032a264cc3c6e96c2de2ed0a92c5fb2c8b148564d089a098480e65471ec",
	"inline/lenet5":                                   "9155b0f068c0a49fa4e1d6ba4744a6051a97b7f1b446cd25da9e9b8aae519024",
	"inline/onecycle":                                 "beecc166bc743b1399a4112461696f77ef8b2afa7aa1cccf0be360d50d72ab1b",
	"inline/overrides":                                "c047ec63f913c8fcec990d34ae9b4e1f3844645319050672697308854ef8561e",
	"inline/poly":                                     "6b95e75f4254edb0c20886459549195024320788acd963fa9bf60aa442b61af5",
	"inline/resnet":                                   "b509ffcd6cca675ff931f2c2dfde6d36a0a0079256399d617ee681c81a11f4e1",
	"inline/rmsprop":                                  "a452559ce5b16644684606c8a10478f044b4e898c20d123ddbe927065277609e",
	"inline/search":                                   "cc262c52d5bd4fe562b1c05915dd5cd70255eeb1533ee3802acd5637ea78627c",
	"inline/transfer":                                 "c95d7e2041e1e831b654b1a1c066fb895f8d9e529ad507061bf45fc253b63a37",
	"inline/zca":                                      "3a65fafd72cb8261b47940bd6e62cdf0823df556f4b7f31209387192a955b16e",
	"testdata/config/full.yaml":                       "4812cbb3ea47f7311e837a41f7764b5bed9d54b387e6c5730474087a40b8712b",
	"testdata/config/layers.yaml":                     "dd4c758715e39de63df15608408a3139ea0faba08d073158e3687c7dc8f22f04",
	"testdata/config/minimal.yaml":                    "f27ffa883a04f1280ebc8fb182d4869eec7881436d5e7ab9bd038901a8d2e0b4",
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
