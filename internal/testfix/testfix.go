// Package testfix holds the test fixtures that the engine, run, report and
// command tests share: a small, fast experiment on the in-repo
// Fashion-MNIST subset, thread pools that close with the test, and hashes
// of a run folder's metrics and checkpoints. It is for tests only.
package testfix

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/pkg/checkpoint"
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
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "fashion-mnist-small")
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

// MetricsWithoutTimings returns runDir's metrics.csv without its two timing
// columns (epoch_seconds, images_per_second: the last two), rows joined by
// newlines.
func MetricsWithoutTimings(t testing.TB, runDir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(runDir, "metrics.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 3 {
			t.Fatalf("%s: short row %q", runDir, line)
		}
		rows = append(rows, strings.Join(f[:len(f)-2], ","))
	}
	return strings.Join(rows, "\n")
}

// TensorsHash hashes every tensor of the checkpoint at path (name, shape,
// float32 bits, in file order): the first 16 hex digits of the SHA-256.
func TensorsHash(t testing.TB, path string) string {
	t.Helper()
	f, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	var buf [8]byte
	for _, ten := range f.Tensors {
		h.Write([]byte(ten.Name))
		for _, d := range ten.Shape {
			binary.LittleEndian.PutUint64(buf[:], uint64(d))
			h.Write(buf[:])
		}
		for _, v := range ten.Data {
			binary.LittleEndian.PutUint32(buf[:4], math.Float32bits(v))
			h.Write(buf[:4])
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// SearchCSVWithoutTimes returns a search folder's search.csv without its
// seconds column (the second-to-last), rows joined by newlines.
func SearchCSVWithoutTimes(t testing.TB, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "search.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 2 {
			t.Fatalf("%s: short row %q", dir, line)
		}
		rows = append(rows, strings.Join(append(f[:len(f)-2:len(f)-2], f[len(f)-1]), ","))
	}
	return strings.Join(rows, "\n")
}

// SameBits reports whether a and b hold the same float32 values bit for
// bit (so -0 differs from +0 and a NaN equals only the same NaN).
func SameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
