package run

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// Metadata keys of an averaged checkpoint (SaveModel's extra keys).
const (
	metaAveragedFrom = "averaged_from" // JSON list of the averaged checkpoints
	metaBNUpdate     = "bn_update"     // "true" when the batch-norm statistics were re-estimated
)

// AverageOptions say how AverageCheckpoints averages.
type AverageOptions struct {
	// BNUpdate re-estimates the batch-norm running statistics of the
	// average by one pass over the training split (engine.UpdateBatchNorm);
	// false averages the members' statistics like the weights.
	BNUpdate bool
	// DataDir overrides the data folder of the stored config (the
	// training split BNUpdate reads).
	DataDir string
	// BatchSize is the batch size of the BNUpdate pass; 0 takes the
	// stored train.batch_size.
	BatchSize int
	// Pool is the thread budget (nil: the calling goroutine).
	Pool *tensor.Pool
}

// AverageReport says what AverageCheckpoints did.
type AverageReport struct {
	Out     string   `json:"out"`
	Members []string `json:"members"`
	// BatchNorms is the number of batch norms whose statistics were
	// re-estimated, over Examples training examples (0 without BNUpdate or
	// batch norm).
	BatchNorms int `json:"batch_norms"`
	Examples   int `json:"examples"`
}

// AverageCheckpoints writes to out the uniform average of the weights of
// the checkpoints at paths (accumulated in float64), which must share one
// architecture: the same parameter and buffer names and shapes. The
// config, preprocessing and class names are the first member's. With
// o.BNUpdate the batch-norm statistics are re-estimated on the first
// member's training split instead of averaged. out is written atomically
// and holds the model only (SaveModel). Bad input is an *InputError naming
// the member.
func AverageCheckpoints(paths []string, out string, o AverageOptions) (*AverageReport, error) {
	if len(paths) == 0 {
		return nil, engine.InputErrorf("average: no checkpoints given")
	}
	var first *Loaded
	var sum [][]float64 // per model tensor (params then buffers), Σ members
	var dst []*tensorRef
	for _, p := range paths {
		l, err := LoadCheckpoint(p)
		if err != nil {
			return nil, err
		}
		ts := engine.ModelTensors(l.Model)
		if first == nil {
			first = l
			sum = make([][]float64, len(ts))
			for i, t := range ts {
				sum[i] = make([]float64, len(t.Data))
				dst = append(dst, &tensorRef{name: t.Name, shape: t.Shape, data: t.Data})
			}
		} else if err := sameArchitecture(paths[0], dst, p, ts); err != nil {
			return nil, err
		}
		for i, t := range ts {
			for j, v := range t.Data {
				sum[i][j] += float64(v)
			}
		}
		first.Epoch = max(first.Epoch, l.Epoch)
	}
	for i, d := range dst {
		for j := range d.data {
			d.data[j] = float32(sum[i][j] / float64(len(paths)))
		}
	}
	rep := &AverageReport{Out: out, Members: slices.Clone(paths)}
	if o.BNUpdate && len(engine.BatchNormLayers(first.Model)) > 0 {
		dir := first.Config.Data.Dir
		if o.DataDir != "" {
			dir = o.DataDir
		}
		train, err := engine.LoadSplit(first.Config, dir, "train", first.Prep, o.Pool.Threads())
		if err != nil {
			return nil, err
		}
		bs := first.Config.Train.BatchSize
		if o.BatchSize > 0 {
			bs = o.BatchSize
		}
		rep.BatchNorms = engine.UpdateBatchNorm(first.Model, train, bs, first.Config.Seed, o.Pool)
		if err := engine.ReadError(train); err != nil {
			return nil, err
		}
		rep.Examples = train.N
	}
	from, _ := json.Marshal(paths)
	meta := map[string]string{metaAveragedFrom: string(from), metaBNUpdate: strconv.FormatBool(rep.BatchNorms > 0)}
	if err := SaveModel(out, first, meta); err != nil {
		return nil, err
	}
	return rep, nil
}

// tensorRef is one tensor of the average: the first member's, overwritten.
type tensorRef struct {
	name  string
	shape []int
	data  []float32
}

// sameArchitecture checks that member path has the tensors of the first.
func sameArchitecture(firstPath string, want []*tensorRef, path string, got []checkpoint.Tensor) error {
	if len(got) != len(want) {
		return engine.InputErrorf("average: %s has %d tensors, %s %d: members must have the same architecture", path, len(got), firstPath, len(want))
	}
	for i, w := range want {
		if got[i].Name != w.name || !slices.Equal(got[i].Shape, w.shape) {
			return engine.InputErrorf("average: %s has tensor %q %v where %s has %q %v: members must have the same architecture",
				path, got[i].Name, got[i].Shape, firstPath, w.name, w.shape)
		}
	}
	return nil
}

// RankedCheckpoints returns the top k of the checkpoints a run folder kept
// (checkpoints/*.ckpt, one per epoch: best.ckpt and best-1.ckpt of the same
// epoch count once, last.ckpt only if no other has its epoch), ranked by
// the metric each recorded at its epoch (val_acc, val_loss, train_acc or
// train_loss; max for accuracies, min for losses), best first; k <= 0
// returns them all. A run folder without checkpoints is an *InputError.
func RankedCheckpoints(runDir, metric string, k int) ([]string, error) {
	if !slices.Contains(config.MonitoredMetrics, metric) {
		return nil, engine.InputErrorf("--metric %q: allowed: %s", metric, strings.Join(config.MonitoredMetrics, ", "))
	}
	dir := filepath.Join(runDir, CheckpointDir)
	paths, err := filepath.Glob(filepath.Join(dir, "*.ckpt"))
	if err != nil || len(paths) == 0 {
		return nil, engine.InputErrorf("%s: no checkpoints (*.ckpt) in it: give a run folder or checkpoint files", dir)
	}
	// Visit last.ckpt last so a kept checkpoint of its epoch is preferred.
	sort.SliceStable(paths, func(i, j int) bool {
		return filepath.Base(paths[j]) == LastCheckpoint && filepath.Base(paths[i]) != LastCheckpoint
	})
	type ranked struct {
		path  string
		value float64
	}
	var rs []ranked
	seen := map[int]bool{}
	for _, p := range paths {
		l, err := LoadCheckpoint(p)
		if err != nil {
			return nil, err
		}
		if seen[l.Epoch] {
			continue
		}
		seen[l.Epoch] = true
		if strings.HasPrefix(metric, "val_") && !l.Metrics.HasVal {
			return nil, engine.InputErrorf("--metric %s: %s recorded no validation metrics (data.val_split is 0): use train_acc or train_loss", metric, p)
		}
		rs = append(rs, ranked{p, engine.MetricValue(l.Metrics, metric)})
	}
	maxi := config.MetricMode(metric) == "max"
	sort.SliceStable(rs, func(i, j int) bool {
		if maxi {
			return rs[i].value > rs[j].value
		}
		return rs[i].value < rs[j].value
	})
	if k > 0 && k < len(rs) {
		rs = rs[:k]
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.path
	}
	return out, nil
}

// ExpandCheckpoints replaces every run folder among args by the top k of
// its kept checkpoints by metric (RankedCheckpoints); files stay as they
// are. It is how eval and average take "RUN_DIR" for "its checkpoints".
func ExpandCheckpoints(args []string, metric string, k int) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, engine.InputErrorf("%s: %v", a, unwrapPathError(err))
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		ps, err := RankedCheckpoints(a, metric, k)
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

// unwrapPathError drops the *PathError's own "stat NAME:" prefix.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return fmt.Errorf("%w", err)
}
