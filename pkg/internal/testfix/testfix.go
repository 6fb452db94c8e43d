// Package testfix holds the test fixtures the engine, run and report
// packages share: a small, fast experiment on the in-repo Fashion-MNIST
// subset. It is for tests only.
package testfix

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// BaseYAML is a small, fast experiment on the first 600 images of the
// in-repo subset: 500 train / 100 val, 500 test, MLP 784-32-10. The eval
// batch size leaves partial batches on every split. %q is data.dir.
const BaseYAML = `seed: 1
data:
  dir: %q
  val_split: 100
  train_limit: 600
model:
  hidden: [32]
  head_init_scale: 0.1
optimizer:
  lr: 0.05
  momentum: 0.9
train:
  epochs: 2
  batch_size: 32
  eval_batch_size: 128
`

// TrainLimit is data.train_limit of BaseYAML.
const TrainLimit = 600

// SmallData is the absolute path of the in-repo Fashion-MNIST subset
// (testdata/fashion-mnist-small).
func SmallData(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testfix: cannot locate the repository")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "fashion-mnist-small")
}

// Config parses BaseYAML with --set style overrides.
func Config(t testing.TB, overrides ...string) *config.Config {
	t.Helper()
	cfg, err := config.Parse(fmt.Appendf(nil, BaseYAML, SmallData(t)), "engine_test.yaml", overrides)
	if err != nil {
		t.Fatalf("config %v: %v", overrides, err)
	}
	return cfg
}

// FirstN returns the first n training examples of the subset.
func FirstN(t testing.TB, n int) *data.Dataset {
	t.Helper()
	full, err := data.LoadIDXDir(SmallData(t), "train")
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return full.Subset(idx)
}

// Pool returns a pool of threads compute threads that is closed when the
// test ends.
func Pool(t testing.TB, threads int) *tensor.Pool {
	p := tensor.NewPool(threads)
	t.Cleanup(p.Close)
	return p
}
