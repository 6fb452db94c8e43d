package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/run"
)

// TestShippedConfigs loads every config under configs/ (subfolders
// included) and, where its data folder exists on this machine, checks that
// the data loads and the model builds.
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
	for _, p := range paths {
		name, _ := filepath.Rel(root, p)
		t.Run(name, func(t *testing.T) {
			cfg, err := config.Load(p, nil)
			if err != nil {
				t.Fatalf("config.Load: %v", err)
			}
			if st, err := os.Stat(cfg.Data.Dir); err != nil || !st.IsDir() {
				t.Logf("data.dir %s is not on this machine: CheckConfig not run", cfg.Data.Dir)
				return
			}
			if _, err := run.CheckConfig(cfg, p, 2); err != nil {
				t.Errorf("CheckConfig: %v", err)
			}
		})
	}
}
