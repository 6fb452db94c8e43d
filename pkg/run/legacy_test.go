package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// legacyRun is a run folder written by nettrain before reduce-on-plateau
// and the EMA kept their resume state as hooks (commit a0c7696; see
// testdata/legacy-run/README.md): stopped after epoch 2 of 4, with a
// plateau that has already cut the rate, an EMA, early stopping and the
// divergence factor.
const legacyRun = "../../testdata/legacy-run"

// legacyLastWeights is the hash of every tensor of last.ckpt (names, shapes,
// float32 bits) after the same config ran its 4 epochs uninterrupted on that
// older nettrain.
const legacyLastWeights = "46e9e9a70bf8cb03"

// TestResumeLegacyCheckpoint resumes the older run folder and checks that
// it ends exactly where the uninterrupted older run ended: the same
// metrics (the plateau's reduced rate and the EMA's update count come from
// the checkpoint's old train_state fields) and the same bits in last.ckpt.
func TestResumeLegacyCheckpoint(t *testing.T) {
	if k := tensor.Kernels(); k == "generic" {
		t.Skipf("the older run was made with the fused multiply-add kernels (avx512, avx2: the same bits); this build runs %s", k)
	}
	dir := filepath.Join(t.TempDir(), "run")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(legacyRun, "run"))); err != nil {
		t.Fatal(err)
	}
	// The folder's config names the data folder of the machine that wrote
	// it: point it here (and accept the changed config hash, --force).
	cfg, err := config.Load(filepath.Join(dir, ConfigFile), []string{"data.dir=" + testfix.SmallData(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Train(cfg, Options{OutDir: dir, Resume: true, Force: true, Pool: testfix.Pool(t, 2)}); err != nil {
		t.Fatalf("resume: %v", err)
	}
	want, err := os.ReadFile(filepath.Join(legacyRun, "expected_metrics.csv"))
	if err != nil {
		t.Fatal(err)
	}
	got := testfix.MetricsWithoutTimings(t, dir)
	if got != strings.TrimSpace(string(want)) {
		t.Errorf("metrics after the resume:\n%s\nwant (the uninterrupted older run):\n%s", got, want)
	}
	if h := testfix.TensorsHash(t, filepath.Join(dir, CheckpointDir, LastCheckpoint)); h != legacyLastWeights {
		t.Errorf("last.ckpt tensors hash %s, want %s (the uninterrupted older run)", h, legacyLastWeights)
	}
}
