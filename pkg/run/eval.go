package run

import (
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// EvalOptions select what EvaluateCheckpoint scores.
type EvalOptions struct {
	// DataDir overrides the data folder stored in the checkpoint's config.
	DataDir string
	// Split is "test" (default), "val" or "train"; val and train are carved
	// exactly as in training (same seed, val_split and train_limit).
	Split string
	// BatchSize overrides train.eval_batch_size when > 0. Results do not
	// depend on it except for float rounding in the mean loss.
	BatchSize int
	// EMA scores the checkpoint's EMA weights (ema.enabled) instead of the
	// raw ones; a checkpoint without them is an *InputError.
	EMA bool
	// FlipTTA averages each example's predicted probabilities with those of
	// its horizontal mirror (test-time augmentation, as predict --tta flip):
	// the raw image is mirrored, then preprocessed.
	FlipTTA bool
	// Pool is the thread budget of the evaluation and of loading its data
	// (nil: the calling goroutine). Results do not depend on it.
	Pool *tensor.Pool
}

// EvalReport is the result of scoring one checkpoint.
type EvalReport struct {
	Checkpoint string   `json:"checkpoint"`
	Split      string   `json:"split"`
	DataDir    string   `json:"data_dir"`
	Epoch      int      `json:"epoch"`
	EMA        bool     `json:"ema"`           // the EMA weights were scored
	TTA        string   `json:"tta,omitempty"` // "flip" when FlipTTA averaged each example with its mirror
	ClassNames []string `json:"class_names,omitempty"`
	engine.EvalMetrics
}

// EvaluateCheckpoint loads the checkpoint at path and scores it on a data
// split with the preprocessing stored in it.
func EvaluateCheckpoint(path string, o EvalOptions) (*EvalReport, error) {
	m, err := loadMember(path, o)
	if err != nil {
		return nil, err
	}
	r := m.report(o)
	if m.mirror == nil {
		r.EvalMetrics = engine.Evaluate(m.loaded.Model, m.data, m.batchSize, o.Pool)
	} else {
		r.EvalMetrics = engine.Score(m.probabilities(o.Pool), m.data.Y, m.loaded.Model.Classes)
	}
	if err := engine.ReadError(m.data); err != nil {
		return nil, err
	}
	return r, nil
}

// probabilities are the member's predicted probabilities per example,
// (N, classes), averaged with its mirror's under FlipTTA.
func (m *member) probabilities(pool *tensor.Pool) []float64 {
	probs := engine.Probabilities(m.loaded.Model, m.data, m.batchSize, pool)
	if m.mirror != nil {
		for i, q := range engine.Probabilities(m.loaded.Model, m.mirror, m.batchSize, pool) {
			probs[i] = (probs[i] + q) / 2
		}
	}
	return probs
}

// member is a checkpoint with the split it scores, preprocessed as it was
// trained.
type member struct {
	path      string
	loaded    *Loaded
	data      *data.Dataset
	dir       string
	batchSize int
	mirror    *data.Dataset // FlipTTA: the mirrored examples, preprocessed; else nil
}

// loadMember loads the checkpoint at path and the split o names with its
// stored preprocessing.
func loadMember(path string, o EvalOptions) (*member, error) {
	load := LoadCheckpoint
	if o.EMA {
		load = LoadCheckpointEMA
	}
	l, err := load(path)
	if err != nil {
		return nil, err
	}
	if o.Split == "" {
		o.Split = "test"
	}
	dir := l.Config.Data.Dir
	if o.DataDir != "" {
		dir = o.DataDir
	}
	prep := l.Prep
	if o.FlipTTA {
		if err := checkMirror(l, path); err != nil {
			return nil, err
		}
		// Load the raw images, mirror a copy, then preprocess both (any
		// method: the fitted statistics see the mirror as a new image).
		if prep, err = data.NewPreprocessor(data.PreprocessConfig{Method: data.MethodNone}); err != nil {
			return nil, err
		}
	}
	d, err := engine.LoadSplit(l.Config, dir, o.Split, prep, o.Pool.Threads())
	if err != nil {
		return nil, err
	}
	var mirror *data.Dataset
	if o.FlipTTA {
		mirror = d.Mirrored()
		for _, v := range []*data.Dataset{d, mirror} {
			if err := l.Prep.Apply(v, o.Pool.Threads()); err != nil {
				return nil, engine.InputErrorf("%s: %v", dir, err)
			}
		}
	}
	if err := engine.CheckCompatible(d, l.Model.InShape, l.Model.Classes, dir); err != nil {
		return nil, err
	}
	bs := l.Config.Train.EvalBatchSize
	if o.BatchSize > 0 {
		bs = o.BatchSize
	}
	return &member{path: path, loaded: l, data: d, dir: dir, batchSize: bs, mirror: mirror}, nil
}

// checkMirror refuses flip test-time augmentation for a checkpoint whose
// raw inputs are one value wide (a table's features): there is nothing to
// mirror. eval and predict share it.
func checkMirror(l *Loaded, path string) error {
	if in := rawShape(l); in[2] == 1 {
		return engine.InputErrorf("--tta flip: %s takes inputs of (C,H,W) %v, one value wide (a table's features): nothing to mirror; flip needs images", path, in)
	}
	return nil
}

// report is the member's report without metrics.
func (m *member) report(o EvalOptions) *EvalReport {
	split := o.Split
	if split == "" {
		split = "test"
	}
	r := &EvalReport{Checkpoint: m.path, Split: split, DataDir: m.dir, Epoch: m.loaded.Epoch, EMA: o.EMA,
		ClassNames: classNames(m.data, m.loaded.Model.Classes)}
	if o.FlipTTA {
		r.TTA = "flip"
	}
	return r
}

// classNames returns the data set's class names, or nil if it has none for
// every class.
func classNames(d *data.Dataset, classes int) []string {
	if len(d.ClassNames) != classes {
		return nil
	}
	return d.ClassNames
}
