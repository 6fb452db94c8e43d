package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/lrsched"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/optim"
)

const fixtures = "../../testdata/config/"

// abs is filepath.Abs that fails the test on error.
func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func ptr[T any](v T) *T { return &v }

// mustParse parses a YAML snippet as file "x.yaml" and fails on error.
func mustParse(t *testing.T, yml string, overrides ...string) *Config {
	t.Helper()
	c, err := Parse([]byte(yml), "x.yaml", overrides)
	if err != nil {
		t.Fatalf("Parse(%q, %q): %v", yml, overrides, err)
	}
	return c
}

// parseErr parses a YAML snippet as file "x.yaml" and returns the error
// text, failing when there is none.
func parseErr(t *testing.T, yml string, overrides ...string) string {
	t.Helper()
	c, err := Parse([]byte(yml), "x.yaml", overrides)
	if err == nil {
		t.Fatalf("Parse(%q, %q) = %+v, want an error", yml, overrides, c)
	}
	return err.Error()
}

func TestLoadValidFixtures(t *testing.T) {
	dataDir := abs(t, fixtures+"../fashion-mnist-small")
	tests := []struct {
		file string
		want func() *Config
	}{
		{"minimal.yaml", func() *Config {
			c := Default()
			c.Name = "minimal"
			c.Data.Dir = abs(t, fixtures)
			c.Output.Dir = filepath.Join("runs", "minimal")
			return c
		}},
		{"full.yaml", func() *Config {
			return &Config{
				Version:    1,
				Name:       "full-example_1.0",
				Seed:       42,
				Data:       data.Spec{Dir: dataDir, Format: "idx", ValSplit: 200, TrainLimit: 1800},
				Preprocess: data.PreprocessConfig{Method: "none"},
				Model: func() model.Spec {
					m := Default().Model
					m.Hidden, m.Activation, m.Init, m.InitStd, m.HeadInitScale = []int{512, 128}, "tanh", "normal", 0.05, 0.5
					return m
				}(),
				Optimizer: func() optim.Spec {
					o := Default().Optimizer
					o.LR, o.Momentum, o.Nesterov = 0.1, 0.9, true
					return o
				}(),
				Regularization: optim.Penalty{L2: 0.0005},
				Schedule: func() lrsched.Spec {
					s := Default().Schedule
					s.Type, s.StepSize, s.Gamma, s.MinLR, s.WarmupEpochs = "cosine", 5, 0.5, 0.001, 0.5
					return s
				}(),
				Train: func() Train {
					tr := Default().Train
					tr.Epochs, tr.BatchSize, tr.EvalBatchSize = 20, 64, 500
					return tr
				}(),
				EMA:         Default().EMA,
				SWA:         Default().SWA,
				Checkpoint:  Default().Checkpoint,
				Monitor:     Default().Monitor,
				Distributed: Default().Distributed,
				Output:      Output{Dir: "out/full"},
			}
		}},
		{"layers.yaml", func() *Config {
			c := Default()
			c.Name = "layers"
			c.Data.Dir = dataDir
			c.Model.Arch = "layers"
			c.Model.Hidden = nil
			c.Model.Layers = []model.LayerSpec{
				{Type: "flatten"},
				{Type: "linear", Name: "fc1", Out: 256, Bias: ptr(true)},
				{Type: "relu"},
				{Type: "linear", Name: "head", Out: 10, Bias: ptr(false), Init: "normal"},
			}
			c.Optimizer.LR = 0.05
			c.Optimizer.Momentum = 0.9
			c.Schedule.Type, c.Schedule.StepSize, c.Schedule.Gamma = "step", 3, 0.5
			c.Train.Epochs = 6
			c.Output.Dir = filepath.Join("runs", "layers")
			return c
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := Load(fixtures+tt.file, nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.want(); !reflect.DeepEqual(got, want) {
				t.Errorf("Load(%s) =\n%+v\nwant\n%+v", tt.file, got, want)
			}
		})
	}
}

func TestLoadBadFixtures(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"bad_unknown_key.yaml", fixtures + `bad_unknown_key.yaml:7: optimizer.moment: unknown key; did you mean "momentum"?`},
		{"bad_type.yaml", fixtures + `bad_type.yaml:9: train.epochs: must be an integer, got "ten"`},
		{"bad_range.yaml", fixtures + "bad_range.yaml:5: optimizer.lr: must be > 0, got -1\n" +
			fixtures + "bad_range.yaml:6: optimizer.nesterov: requires optimizer.momentum > 0\n" +
			fixtures + "bad_range.yaml:8: train.batch_size: must be >= 1, got 0"},
		{"bad_syntax.yaml", fixtures + "bad_syntax.yaml:5: invalid YAML: mapping values are not allowed in this context"},
		{"bad_not_mapping.yaml", fixtures + "bad_not_mapping.yaml:1: a config must be a mapping of sections (version, name, seed, data, preprocess, augment, model, optimizer, regularization, schedule, train, ema, swa, checkpoint, monitor, distributed, output, search), got a list"},
		{"bad_duplicate.yaml", fixtures + "bad_duplicate.yaml:5: train.epochs: duplicate key (first set at line 4)"},
		{"empty.yaml", fixtures + "empty.yaml: empty config: no keys (at least data.dir must be set)"},
		{"nope.yaml", "config " + fixtures + "nope.yaml: no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, err := Load(fixtures+tt.file, nil)
			if err == nil {
				t.Fatalf("Load(%s) = %+v, want an error", tt.file, c)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Load(%s) error:\n%s\nwant:\n%s", tt.file, got, tt.want)
			}
		})
	}
}

func TestLoadMissingFileIsNotExist(t *testing.T) {
	_, err := Load("configs/nope.yaml", nil)
	if err == nil || err.Error() != "config configs/nope.yaml: no such file" {
		t.Fatalf("got %v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false", err)
	}
}

func TestLoadDirectory(t *testing.T) {
	_, err := Load(fixtures, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "config "+fixtures+": ") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Load(folder) error = %v, want one line naming the folder", err)
	}
}

// TestDocumentErrors covers documents that are not a config at all: each is
// one line naming the file (and the line when known).
func TestDocumentErrors(t *testing.T) {
	tests := []struct {
		name, yml, want string
	}{
		{"empty", "", "x.yaml: empty config: no keys (at least data.dir must be set)"},
		{"comments only", "# nothing here\n\n", "x.yaml: empty config: no keys (at least data.dir must be set)"},
		{"null document", "~\n", "x.yaml: empty config: no keys (at least data.dir must be set)"},
		{"document marker only", "---\n", "x.yaml: empty config: no keys (at least data.dir must be set)"},
		{"scalar", "hello\n", `x.yaml:1: a config must be a mapping of sections (version, name, seed, data, preprocess, augment, model, optimizer, regularization, schedule, train, ema, swa, checkpoint, monitor, distributed, output, search), got "hello"`},
		{"list", "\n- 1\n- 2\n", "x.yaml:2: a config must be a mapping of sections (version, name, seed, data, preprocess, augment, model, optimizer, regularization, schedule, train, ema, swa, checkpoint, monitor, distributed, output, search), got a list"},
		{"syntax: bad indent", "data:\n  dir: .\n bad: 1\n", "x.yaml:3: invalid YAML: did not find expected key"},
		{"syntax: unclosed flow", "data: {dir: .\n", "x.yaml:1: invalid YAML: did not find expected ',' or '}'"},
		{"syntax: unclosed flow on line 2", "data:\n  dir: [unclosed\n", "x.yaml:2: invalid YAML: did not find expected ',' or ']'"},
		{"syntax: tab indent", "data:\n\tdir: .\n", "x.yaml:2: invalid YAML: found character that cannot start any token"},
		{"two documents", "data: {dir: .}\n---\ndata: {dir: ..}\n", "x.yaml:2: invalid YAML: more than one document (a config is one document; remove the second ---)"},
		{"second document broken", "data: {dir: .}\n---\n[\n", "x.yaml:3: invalid YAML: did not find expected node content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseErr(t, tt.yml)
			if got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
			if strings.Contains(got, "\n") {
				t.Errorf("error is not one line: %q", got)
			}
		})
	}
}

func TestEmptyDocumentWithOverrides(t *testing.T) {
	c, err := Parse(nil, "configs/e.yaml", []string{"data.dir=/data"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Data.Dir != "/data" || c.Name != "e" {
		t.Errorf("got data.dir %q name %q", c.Data.Dir, c.Name)
	}
}

func TestDataDirResolution(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, yml string
		overrides       []string
		want            string
	}{
		{"relative to the config folder", "configs/x.yaml", "data: {dir: ../data/fm}", nil, filepath.Join(wd, "data/fm")},
		{"dot is the config folder", "configs/sub/x.yaml", "data: {dir: .}", nil, filepath.Join(wd, "configs/sub")},
		{"file in the working directory", "x.yaml", "data: {dir: fm}", nil, filepath.Join(wd, "fm")},
		{"absolute config path", "/etc/nettrain/x.yaml", "data: {dir: fm}", nil, "/etc/nettrain/fm"},
		{"absolute data dir kept", "configs/x.yaml", "data: {dir: /srv/fm}", nil, "/srv/fm"},
		{"cleaned", "configs/x.yaml", "data: {dir: ./a/../fm/}", nil, filepath.Join(wd, "configs/fm")},
		{"--set is relative to the working directory", "configs/x.yaml", "data: {dir: .}", []string{"data.dir=fm"}, filepath.Join(wd, "fm")},
		{"--set absolute", "configs/x.yaml", "data: {dir: .}", []string{"data.dir=/srv/fm"}, "/srv/fm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if filepath.Separator != '/' && strings.HasPrefix(tt.want, "/") {
				t.Skip("POSIX absolute paths")
			}
			c, err := Parse([]byte(tt.yml), tt.file, tt.overrides)
			if err != nil {
				t.Fatal(err)
			}
			if c.Data.Dir != tt.want {
				t.Errorf("data.dir = %q, want %q", c.Data.Dir, tt.want)
			}
		})
	}
}

func TestOutputDirKeptAsWritten(t *testing.T) {
	tests := []struct {
		yml, want string
	}{
		{"data: {dir: .}", filepath.Join("runs", "x")},
		{"data: {dir: .}\nname: exp1", filepath.Join("runs", "exp1")},
		{"data: {dir: .}\noutput: {dir: ./out/../r}", "./out/../r"},
		{"data: {dir: .}\noutput: {dir: /abs/r}", "/abs/r"},
	}
	for _, tt := range tests {
		if got := mustParse(t, tt.yml).Output.Dir; got != tt.want {
			t.Errorf("%q: output.dir = %q, want %q", tt.yml, got, tt.want)
		}
	}
	// output.dir follows a name given with --set.
	if got := mustParse(t, "data: {dir: .}", "name=other").Output.Dir; got != filepath.Join("runs", "other") {
		t.Errorf("output.dir = %q after --set name=other", got)
	}
}

func TestNameDefault(t *testing.T) {
	tests := []struct {
		file, want string
	}{
		{"configs/mlp.yaml", "mlp"},
		{"configs/mlp.v2.yml", "mlp.v2"},
		{"configs/my exp (1).yaml", "my_exp_1_"},
		{"noext", "noext"},
		{"", "run"},
		{".yaml", "run"},
	}
	for _, tt := range tests {
		c, err := Parse([]byte("data: {dir: /d}"), tt.file, nil)
		if err != nil {
			t.Fatalf("%q: %v", tt.file, err)
		}
		if c.Name != tt.want {
			t.Errorf("file %q: name = %q, want %q", tt.file, c.Name, tt.want)
		}
	}
}
