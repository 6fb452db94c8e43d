package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// goldenRuns are the hashes of three short runs recorded before the engine
// was reorganized (issue 11, on commit a0c7696): a refactor must not change
// a single bit of what training computes. metrics is the SHA-256 (first 16
// hex digits) of metrics.csv without its two timing columns; weights that of
// every tensor of best.ckpt (names, shapes and float32 bits, in file order);
// evalLoss the test loss `nettrain eval` prints, to the last digit. Each run
// is made on 1 and 2 threads and must give the same values on both. The
// values hold for the fused multiply-add GEMM kernels (tensor.Kernels
// avx512 or avx2); the pure-Go kernels round differently.
var goldenRuns = []struct {
	name     string
	args     []string
	metrics  string
	weights  string
	evalLoss string
}{
	{
		name: "quickstart", args: []string{"-c", quickstart},
		metrics: "1a9d3e5c9bd5dfa6", weights: "0360d42ac6036592", evalLoss: "0.5564848385251742",
	},
	{
		// BN + ReLU fusion, dropout, label smoothing.
		name: "fashion-cnn", args: []string{"-c", "../../configs/fashion-cnn.yaml", "--set", "data.dir=../../testdata/fashion-mnist-small", "--set", "data.val_split=200", "--set", "train.epochs=2"},
		metrics: "4d90d0caad779357", weights: "bcbd265e2498e1f2", evalLoss: "0.7728607259494428",
	},
	{
		// Residual blocks, warmup.
		name: "fashion-resnet", args: []string{"-c", "../../configs/fashion-resnet.yaml", "--set", "data.dir=../../testdata/fashion-mnist-small", "--set", "data.val_split=200", "--set", "train.epochs=2"},
		metrics: "59c234142f489b10", weights: "f2a927d26921b420", evalLoss: "1.7636176530124472",
	},
}

// metricsHash hashes metrics.csv without its timing columns.
func metricsHash(t *testing.T, runDir string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(testfix.MetricsWithoutTimings(t, runDir) + "\n"))
	return hex.EncodeToString(sum[:8])
}

// TestGoldenRuns trains each golden run on 1 and 2 threads and compares the
// metrics, the weights and the eval loss with the values recorded before the
// refactor.
func TestGoldenRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three models twice")
	}
	if k := tensor.Kernels(); k == "generic" {
		t.Skipf("the hashes were recorded with the fused multiply-add kernels (avx512, avx2: the same bits); this build runs %s", k)
	}
	for _, g := range goldenRuns {
		for _, threads := range []string{"1", "2"} {
			t.Run(g.name+"/threads="+threads, func(t *testing.T) {
				dir := t.TempDir()
				args := append([]string{"--threads", threads, "train", "--out", dir, "-q"}, g.args...)
				if code, out, errs := nettrain(t, args...); code != 0 {
					t.Fatalf("train exit %d\n%s\n%s", code, out, errs)
				}
				if got := metricsHash(t, dir); got != g.metrics {
					t.Errorf("metrics.csv hash %s, want %s", got, g.metrics)
				}
				if got := testfix.TensorsHash(t, filepath.Join(dir, "checkpoints", "best.ckpt")); got != g.weights {
					t.Errorf("best.ckpt weights hash %s, want %s", got, g.weights)
				}
				code, out, errs := nettrain(t, "eval", filepath.Join(dir, "checkpoints", "best.ckpt"), "--json")
				if code != 0 {
					t.Fatalf("eval exit %d\n%s\n%s", code, out, errs)
				}
				var rep struct {
					Loss float64 `json:"loss"`
				}
				if err := json.Unmarshal([]byte(out), &rep); err != nil {
					t.Fatalf("eval --json: %v\n%s", err, out)
				}
				if got := jsonFloat(rep.Loss); got != g.evalLoss {
					t.Errorf("eval loss %s, want %s", got, g.evalLoss)
				}
			})
		}
	}
}

// jsonFloat formats v as encoding/json does.
func jsonFloat(v float64) string {
	b, _ := json.Marshal(v)
	return string(b)
}
