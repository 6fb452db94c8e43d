package run

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/engine"
)

// concurrentRun is one training run of TestConcurrentTrainers.
type concurrentRun struct {
	name string
	cfg  *config.Config
}

// runOutput is what a run leaves that must not depend on anything but its
// config: the result without its timings, metrics.csv without its timing
// columns, and every tensor of last.ckpt and best.ckpt (weights, batch-norm
// buffers, optimizer state) as float32 bits.
type runOutput struct {
	res     Result
	metrics string
	ckpts   map[string][]string // checkpoint → one line per tensor: name, shape, bits
}

// trainOutput trains cfg into dir on a fresh pool of threads threads and
// collects its output.
func trainOutput(cfg *config.Config, dir string, threads int) (*runOutput, error) {
	pool, err := engine.NewPool(threads)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	res, err := Train(cfg, Options{OutDir: dir, Pool: pool})
	if err != nil {
		return nil, err
	}
	out := &runOutput{res: *res, ckpts: map[string][]string{}}
	untime := func(m *engine.EpochMetrics) { m.EpochSeconds, m.ImagesPerSecond = 0, 0 }
	out.res.Epochs = append([]engine.EpochMetrics(nil), res.Epochs...)
	for i := range out.res.Epochs {
		untime(&out.res.Epochs[i])
	}
	untime(&out.res.Best)
	out.res.RunDir, out.res.TrainSeconds, out.res.TotalSeconds, out.res.PeakMemoryBytes = "", 0, 0, 0
	b, err := os.ReadFile(filepath.Join(dir, MetricsFile))
	if err != nil {
		return nil, err
	}
	var rows []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		cols := strings.Split(line, ",")
		rows = append(rows, strings.Join(cols[:len(cols)-2], ",")) // without epoch_seconds, images_per_second
	}
	out.metrics = strings.Join(rows, "\n")
	for _, name := range []string{LastCheckpoint, BestCheckpoint} {
		f, err := checkpoint.Load(filepath.Join(dir, CheckpointDir, name))
		if err != nil {
			return nil, err
		}
		for _, ten := range f.Tensors {
			var sb strings.Builder
			fmt.Fprintf(&sb, "%s %v", ten.Name, ten.Shape)
			for _, v := range ten.Data {
				fmt.Fprintf(&sb, " %08x", math.Float32bits(v))
			}
			out.ckpts[name] = append(out.ckpts[name], sb.String())
		}
	}
	return out, nil
}

// compareOutputs reports every way got differs from want.
func compareOutputs(t *testing.T, what string, got, want *runOutput) {
	t.Helper()
	if !reflect.DeepEqual(got.res, want.res) {
		t.Errorf("%s: result\n%+v\nwant\n%+v", what, got.res, want.res)
	}
	if got.metrics != want.metrics {
		t.Errorf("%s: metrics.csv\n%s\nwant\n%s", what, got.metrics, want.metrics)
	}
	for name, w := range want.ckpts {
		g := got.ckpts[name]
		if len(g) != len(w) {
			t.Errorf("%s: %s has %d tensors, want %d", what, name, len(g), len(w))
			continue
		}
		for i := range w {
			if g[i] != w[i] {
				t.Errorf("%s: %s tensor %s differs", what, name, strings.Fields(w[i])[0])
			}
		}
	}
}

// TestConcurrentTrainers trains two different models — the quickstart MLP
// and a small CNN with batch norm, dropout, augmentation and label
// smoothing — at the same time in this process, each on its own one-thread
// pool (and again on two-thread pools), and checks that each run's metrics,
// test result and every bit of its checkpoints are those of the same run
// made alone on one thread. Nothing the two runs compute is shared: each
// has its own pool (helpers, GEMM scratch, lock), and its data workers are
// sized by it.
func TestConcurrentTrainers(t *testing.T) {
	if testing.Short() {
		t.Skip("trains four small models")
	}
	small := smallData(t)
	load := func(path string, overrides ...string) *config.Config {
		t.Helper()
		cfg, err := config.Load(path, append([]string{"data.dir=" + small, "data.train_limit=600", "data.val_split=100", "train.epochs=2"}, overrides...))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	runs := []concurrentRun{
		{"quickstart-mlp", load("../../configs/quickstart.yaml")},
		{"cnn-bn", load("../../configs/fashion-cnn.yaml", "model.widths=[8,16]", "model.hidden=[32]", "train.batch_size=64",
			"augment=[{op: crop, pad: 2}, {op: hflip, p: 0.5}]")},
	}

	alone := make([]*runOutput, len(runs))
	for i, r := range runs {
		out, err := trainOutput(r.cfg, filepath.Join(t.TempDir(), r.name), 1)
		if err != nil {
			t.Fatalf("%s alone: %v", r.name, err)
		}
		alone[i] = out
	}

	// One thread each, as asked of two trainers sharing a machine; then
	// two threads each, so that both pools run helpers at the same time.
	for _, threads := range []int{1, 2} {
		together := make([]*runOutput, len(runs))
		errs := make([]error, len(runs))
		var wg sync.WaitGroup
		for i, r := range runs {
			dir := filepath.Join(t.TempDir(), r.name)
			wg.Add(1)
			go func() {
				defer wg.Done()
				together[i], errs[i] = trainOutput(r.cfg, dir, threads)
			}()
		}
		wg.Wait()
		for i, r := range runs {
			if errs[i] != nil {
				t.Fatalf("%s concurrently on %d threads: %v", r.name, threads, errs[i])
			}
			compareOutputs(t, fmt.Sprintf("%s trained concurrently on %d threads", r.name, threads), together[i], alone[i])
		}
	}
	if alone[0].metrics == alone[1].metrics {
		t.Fatal("the two runs gave the same metrics: they are not two different models")
	}
}
