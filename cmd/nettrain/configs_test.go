package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/run"
)

// inCI reports whether the tests run in CI (the CI environment variable is
// true, as .ci/run and CI services set it). There every shipped config's
// data must be on the machine: .ci/run installs Fashion-MNIST.
func inCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// TestShippedConfigs loads every config under configs/ (subfolders
// included), loads its data folder and builds the model with a dry
// forward/backward pass (run.CheckConfig, what `nettrain validate`
// does). A data folder missing on this machine skips that check, except in
// CI, where it fails the test. With the full Fashion-MNIST (60,000 training
// images) it takes about 10 s on 2 cores.
func TestShippedConfigs(t *testing.T) {
	const root = "../../configs"
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no configs found under %s", root)
	}
	ci := inCI()
	for _, p := range paths {
		name, _ := filepath.Rel(root, p)
		t.Run(name, func(t *testing.T) {
			cfg, err := config.Load(p, nil)
			if err != nil {
				t.Fatalf("config.Load: %v", err)
			}
			if st, err := os.Stat(cfg.Data.Dir); err != nil || !st.IsDir() {
				if ci {
					t.Fatalf("data.dir %s is not on this machine (CI=true: .ci/run installs Debian's dataset-fashion-mnist)", cfg.Data.Dir)
				}
				t.Skipf("data.dir %s is not on this machine: data not loaded, model not built (`make data` installs Fashion-MNIST)", cfg.Data.Dir)
			}
			if _, err := os.Stat(cfg.Model.InitFrom); cfg.Model.InitFrom != "" && err != nil {
				// configs/transfer/target-*.yaml start from the run of
				// configs/transfer/pretrain-0-4.yaml: check the rest.
				t.Logf("model.init_from %s not trained here: not loaded", cfg.Model.InitFrom)
				cfg.Model.InitFrom, cfg.Model.InitInclude, cfg.Model.InitExclude = "", nil, nil
			}
			if _, err := run.CheckConfig(cfg, p, 2); err != nil {
				t.Errorf("CheckConfig: %v", err)
			}
		})
	}
}
