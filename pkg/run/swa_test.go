package run

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/nettrain/nettrain/pkg/engine"
)

// TestSWA: a run with swa keeps the equal-weight average of its weights at
// the end of epochs start..epochs in checkpoints/swa.ckpt, scores it, and
// with batch norm re-estimates the average's statistics.
func TestSWA(t *testing.T) {
	t.Run("mlp: the mean of the averaged epochs", func(t *testing.T) {
		res, dir := trainRun(t, testConfig(t, "train.epochs=4", "checkpoint.every=1", "swa.enabled=true", "swa.start=2", "swa.lr=0.01"))
		if res.SWA == nil || res.SWAVal == nil || res.SWA.N != res.Test.N {
			t.Fatalf("result swa %+v val %+v", res.SWA, res.SWAVal)
		}
		avg := tensorsOf(t, filepath.Join(dir, CheckpointDir, SWACheckpoint))
		var epochs []map[string][]float32
		for e := 2; e <= 4; e++ {
			epochs = append(epochs, tensorsOf(t, ckptPath(dir, "epoch-"+string(rune('0'+e))+".ckpt")))
		}
		for name, got := range avg {
			for j, v := range got {
				var want float64
				for _, ep := range epochs {
					want += float64(ep[name][j])
				}
				want /= 3
				if math.Abs(float64(v)-want) > 1e-6*math.Max(1, math.Abs(want)) {
					t.Fatalf("%s[%d] = %v, want the mean of epochs 2-4 %v", name, j, v, want)
				}
			}
		}
		r, err := EvaluateCheckpoint(filepath.Join(dir, CheckpointDir, SWACheckpoint), EvalOptions{})
		if err != nil || r.Correct != res.SWA.Correct {
			t.Errorf("eval of swa.ckpt: %v, %+v; training reported %d correct", err, r, res.SWA.Correct)
		}
	})
	t.Run("cnn: batch norm re-estimated", func(t *testing.T) {
		cnn := append(transferCNN, "train.epochs=3", "swa.enabled=true", "swa.start=2")
		_, on := trainRun(t, testConfig(t, cnn...))
		_, off := trainRun(t, testConfig(t, append(cnn, "swa.bn_update=false")...))
		a := engine.BatchNormLayers(mustLoad(t, filepath.Join(on, CheckpointDir, SWACheckpoint)).Model)
		b := engine.BatchNormLayers(mustLoad(t, filepath.Join(off, CheckpointDir, SWACheckpoint)).Model)
		if sameBits(a[0].RunningVar.Value.Data, b[0].RunningVar.Value.Data) {
			t.Error("swa.bn_update left the averaged running variance as it was")
		}
		if !sameBits(tensorsOf(t, filepath.Join(on, CheckpointDir, SWACheckpoint))["stage1.conv1.weight"],
			tensorsOf(t, filepath.Join(off, CheckpointDir, SWACheckpoint))["stage1.conv1.weight"]) {
			t.Error("the weights of the two averages differ: bn_update must change only the statistics")
		}
	})
	t.Run("off: no swa.ckpt", func(t *testing.T) {
		res, dir := trainRun(t, testConfig(t, "train.epochs=1"))
		if _, err := os.Stat(filepath.Join(dir, CheckpointDir, SWACheckpoint)); err == nil || res.SWA != nil {
			t.Error("a run without swa wrote swa.ckpt")
		}
	})
}
