package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/nettrain/nettrain/pkg/augment"
	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/rng"
)

// Splits are the prepared data of a run.
//
// Without augmentation (and without cutmix) the preprocessing is applied to
// the whole training split once, up front, and the batch pipeline only
// copies batches. With augmentation the training split stays raw (values
// in [0,1], as the loader produced them, which is what the augmentations
// expect) and the batch pipeline augments each batch and then applies the
// fitted preprocessing to it: Raw is set.
type Splits struct {
	// Train is the training split: preprocessed, or raw when Raw is set.
	Train *data.Dataset
	// Val is the preprocessed validation split; nil without one.
	Val *data.Dataset
	// Prep is the preprocessing, fitted on the raw training split only.
	Prep data.Preprocessor
	// Raw says Train holds raw examples that the batch pipeline augments
	// and preprocesses one batch at a time.
	Raw bool
}

// InShape returns the per-example shape the model sees: the training
// split's, after preprocessing.
func (s *Splits) InShape() []int {
	c, h, w := s.Train.C, s.Train.H, s.Train.W
	if s.Raw {
		c, h, w = s.Prep.OutShape(c, h, w)
	}
	return []int{c, h, w}
}

// rawBatches reports whether cfg makes the batch pipeline augment and
// preprocess each training batch (augment or cutmix set; cutmix pastes
// image boxes, which must happen before a pixel-mixing preprocessing such
// as pca or zca).
func rawBatches(cfg *config.Config) bool {
	return len(cfg.Augment) > 0 || cfg.Train.CutMix.Alpha > 0
}

// loadData loads one split ("train" or "test") of the data set at dir in
// cfg's data.format.
func loadData(cfg *config.Config, dir, split string) (*data.Dataset, error) {
	d, err := data.LoadWith(cfg.Data.Format, dir, split, data.LoadOptions{LabelColumn: cfg.Data.LabelColumn})
	if err != nil {
		return nil, &InputError{Err: err}
	}
	return d, nil
}

// loadTrainSplits loads the training set of cfg, keeps train_limit
// examples, carves the validation split and fits preprocessing on the
// training part only, applying it to the validation split and (unless the
// batches are augmented, see Splits) to the training split.
func loadTrainSplits(cfg *config.Config) (*Splits, error) {
	full, err := loadData(cfg, cfg.Data.Dir, "train")
	if err != nil {
		return nil, err
	}
	if lim := cfg.Data.TrainLimit; lim > 0 && lim < full.N {
		idx := make([]int, lim)
		for i := range idx {
			idx[i] = i
		}
		full = full.Subset(idx)
	}
	nVal := valCount(cfg.Data.ValSplit, full.N)
	if nVal >= full.N {
		return nil, inputErrorf("data.val_split: %g leaves no training examples out of %d", cfg.Data.ValSplit, full.N)
	}
	train, val, err := data.SplitValidation(full, nVal, rng.New(cfg.Seed, rng.Split).Uint64())
	if err != nil {
		return nil, inputErrorf("data.val_split: %w", err)
	}
	prep, err := data.Fit(cfg.Preprocess, train)
	if err != nil {
		return nil, &InputError{Err: err} // names the key, e.g. preprocess.components
	}
	s := &Splits{Train: train, Val: val, Prep: prep, Raw: rawBatches(cfg)}
	if s.Raw {
		if _, err := newAugmenter(cfg, train.C, train.H, train.W); err != nil {
			return nil, err
		}
	} else if err := prep.Apply(train); err != nil {
		return nil, &InputError{Err: err}
	}
	if val != nil {
		if err := prep.Apply(val); err != nil {
			return nil, &InputError{Err: err}
		}
	}
	return s, nil
}

// newAugmenter builds cfg's augmentation pipeline (nil without one) and
// checks it against the raw example shape (c,h,w): every step must fit the
// shape and keep it. Errors name the augment[i] key.
func newAugmenter(cfg *config.Config, c, h, w int) (*augment.Pipeline, error) {
	if len(cfg.Augment) == 0 {
		return nil, nil
	}
	p, err := augment.New(cfg.Augment)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	oc, oh, ow, err := p.OutShape(c, h, w)
	if err != nil {
		return nil, inputErrorf("%v (the examples are (%d,%d,%d))", err, c, h, w)
	}
	if oc != c || oh != h || ow != w {
		return nil, inputErrorf("augment: the pipeline turns (%d,%d,%d) examples into (%d,%d,%d): every step must keep the size (crop: leave size at 0 or set it to the image side)", c, h, w, oc, oh, ow)
	}
	return p, nil
}

// valCount turns data.val_split into a number of examples: a fraction of n
// below 1, a count from 1 up.
func valCount(v float64, n int) int {
	if v <= 0 {
		return 0
	}
	if v < 1 {
		return int(math.Round(v * float64(n)))
	}
	return int(v)
}

// loadSplit loads one named split ("train", "val" or "test") of the data set
// at dir with the fitted preprocessing p, reproducing the run's split for
// "train" and "val".
func loadSplit(cfg *config.Config, dir, split string, p data.Preprocessor) (*data.Dataset, error) {
	var d *data.Dataset
	switch split {
	case "test":
		var err error
		if d, err = loadData(cfg, dir, "test"); err != nil {
			return nil, err
		}
	case "train", "val":
		c := *cfg
		c.Data.Dir = dir
		c.Preprocess = data.PreprocessConfig{Method: data.MethodNone}
		c.Augment = nil
		c.Train.CutMix.Alpha = 0
		s, err := loadTrainSplits(&c)
		if err != nil {
			return nil, err
		}
		d = s.Train
		if split == "val" {
			if s.Val == nil {
				return nil, inputErrorf("--split val: this run has no validation split (data.val_split is 0)")
			}
			d = s.Val
		}
	default:
		return nil, inputErrorf("--split: unknown split %q; allowed: train, val, test", split)
	}
	if err := p.Apply(d); err != nil {
		return nil, inputErrorf("%s: %v", dir, err)
	}
	return d, nil
}

// checkCompatible verifies that a data set matches the model's input shape
// and class count.
func checkCompatible(d *data.Dataset, in []int, classes int, what string) error {
	if d.C != in[0] || d.H != in[1] || d.W != in[2] {
		return inputErrorf("%s: examples are (%d,%d,%d) but the model takes %v", what, d.C, d.H, d.W, in)
	}
	if d.Classes > classes {
		return inputErrorf("%s: labels go up to %d but the model has %d classes", what, d.Classes-1, classes)
	}
	return nil
}

// legacyPreprocessing is the "preprocess" metadata of checkpoints written
// before the preprocessing methods: {"normalize": "global"|"none", "mean",
// "std"}.
type legacyPreprocessing struct {
	Normalize *string `json:"normalize"`
	Mean      float32 `json:"mean"`
	Std       float32 `json:"std"`
}

// preprocessMetadata returns the checkpoint form of a fitted
// preprocessing: the header JSON (metadata "preprocess") and its tensors,
// named preprocess.*.
func preprocessMetadata(p data.Preprocessor) (string, []checkpoint.Tensor) {
	st := p.State()
	h, _ := json.Marshal(st.Header)
	ts := make([]checkpoint.Tensor, len(st.Tensors))
	for i, t := range st.Tensors {
		ts[i] = checkpoint.Tensor{Name: t.Name, Shape: t.Shape, Data: t.Data}
	}
	return string(h), ts
}

// restorePreprocessing rebuilds the preprocessing stored in a checkpoint:
// the header JSON meta and the preprocess.* tensors of f. An old
// checkpoint's {"normalize", "mean", "std"} becomes method global (or none)
// for examples of shape in.
func restorePreprocessing(f *checkpoint.File, meta string, in []int) (data.Preprocessor, error) {
	var legacy legacyPreprocessing
	if err := json.Unmarshal([]byte(meta), &legacy); err != nil {
		return nil, err
	}
	var st data.PreprocessState
	if legacy.Normalize != nil {
		st.Header = data.PreprocessHeader{Version: 1, Method: *legacy.Normalize, InShape: [3]int{in[0], in[1], in[2]}, OutShape: [3]int{in[0], in[1], in[2]}}
		switch *legacy.Normalize {
		case data.MethodNone:
		case data.MethodGlobal:
			st.Tensors = []data.Tensor{
				{Name: data.TensorMean, Shape: []int{1}, Data: []float32{legacy.Mean}},
				{Name: data.TensorStd, Shape: []int{1}, Data: []float32{legacy.Std}},
			}
		default:
			return nil, fmt.Errorf("unknown normalize %q", *legacy.Normalize)
		}
		return data.RestorePreprocessor(st)
	}
	if err := json.Unmarshal([]byte(meta), &st.Header); err != nil {
		return nil, err
	}
	for _, t := range f.Tensors {
		if strings.HasPrefix(t.Name, data.PreprocessTensorPrefix) {
			st.Tensors = append(st.Tensors, data.Tensor{Name: t.Name, Shape: t.Shape, Data: t.Data})
		}
	}
	p, err := data.RestorePreprocessor(st)
	if err != nil {
		return nil, err
	}
	if st.Header.Method != data.MethodNone {
		h := st.Header.InShape
		if oc, oh, ow := p.OutShape(h[0], h[1], h[2]); oc != in[0] || oh != in[1] || ow != in[2] {
			return nil, fmt.Errorf("it outputs (%d,%d,%d) but the model takes %v", oc, oh, ow, in)
		}
	}
	return p, nil
}
