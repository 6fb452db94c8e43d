package engine

import (
	"math"

	"github.com/nettrain/nettrain/pkg/augment"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/rng"
)

// Splits are the prepared data of a run.
//
// Without augmentation (and without cutmix) the preprocessing is applied to
// the whole training split once, up front, and the batch pipeline only
// copies batches; on 8-bit images (byte storage, see data.Dataset) the
// standardization methods are applied as each batch is read instead, so
// the split stays a quarter of its float32 size. With augmentation the
// training split stays raw (values in [0,1], as the loader produced them,
// which is what the augmentations expect) and the batch pipeline augments
// each batch and then applies the fitted preprocessing to it: Raw is set.
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
	// Augmenter is the augmentation pipeline, built (and checked against
	// the examples' shape) once here; nil without augmentation.
	Augmenter *augment.Pipeline
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
// as pca or zca; or a streamed folder under a projection, which would
// otherwise be projected, and held, as a whole).
func rawBatches(cfg *config.Config) bool {
	return len(cfg.Augment) > 0 || cfg.Train.CutMix.Alpha > 0 ||
		cfg.Data.Stream && !data.Elementwise(cfg.Preprocess.Method)
}

// loadData loads one split ("train" or "test") of the data set at dir in
// cfg's data.format, on up to workers goroutines, keeping data.classes.
func loadData(cfg *config.Config, dir, split string, workers int) (*data.Dataset, error) {
	d, err := data.LoadWith(cfg.Data.Format, dir, split, data.LoadOptions{LabelColumn: cfg.Data.LabelColumn, Workers: workers, MissingClasses: len(cfg.Data.Classes) > 0, Stream: cfg.Data.Stream})
	if err != nil {
		return nil, &InputError{Err: err}
	}
	if len(cfg.Data.Classes) > 0 {
		if d, err = d.SelectClasses(cfg.Data.Classes); err != nil {
			return nil, InputErrorf("data.%v (%s split of %s)", err, split, dir)
		}
	}
	return d, nil
}

// LoadTrainSplits loads the training set of cfg, keeps train_limit
// examples, carves the validation split and fits preprocessing on the
// training part only, applying it to the validation split and (unless the
// batches are augmented, see Splits) to the training split. Loading and
// preprocessing use up to workers goroutines.
func LoadTrainSplits(cfg *config.Config, workers int) (*Splits, error) {
	full, err := loadData(cfg, cfg.Data.Dir, "train", workers)
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
		return nil, InputErrorf("data.val_split: %g leaves no training examples out of %d", cfg.Data.ValSplit, full.N)
	}
	train := full // becomes the training split in place: no second copy at the peak
	val, err := data.SplitValidationInPlace(full, nVal, rng.New(cfg.Seed, rng.Split).Uint64())
	if err != nil {
		return nil, InputErrorf("data.val_split: %w", err)
	}
	prep, err := data.Fit(cfg.Preprocess, train, workers)
	if err != nil {
		return nil, &InputError{Err: err} // names the key, e.g. preprocess.components
	}
	s := &Splits{Train: train, Val: val, Prep: prep, Raw: rawBatches(cfg)}
	if s.Raw {
		if s.Augmenter, err = newAugmenter(cfg, train.C, train.H, train.W); err != nil {
			return nil, err
		}
	} else if err := prep.Apply(train, workers); err != nil {
		return nil, &InputError{Err: err}
	}
	if val != nil {
		if err := prep.Apply(val, workers); err != nil {
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
		return nil, InputErrorf("%v (the examples are (%d,%d,%d))", err, c, h, w)
	}
	if oc != c || oh != h || ow != w {
		return nil, InputErrorf("augment: the pipeline turns (%d,%d,%d) examples into (%d,%d,%d): every step must keep the size (crop: leave size at 0 or set it to the image side)", c, h, w, oc, oh, ow)
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

// LoadSplit loads one named split ("train", "val" or "test") of the data set
// at dir with the fitted preprocessing p, reproducing the run's split for
// "train" and "val", on up to workers goroutines.
func LoadSplit(cfg *config.Config, dir, split string, p data.Preprocessor, workers int) (*data.Dataset, error) {
	var d *data.Dataset
	switch split {
	case "test":
		var err error
		if d, err = loadData(cfg, dir, "test", workers); err != nil {
			return nil, err
		}
	case "train", "val":
		c := *cfg
		c.Data.Dir = dir
		c.Preprocess = data.PreprocessConfig{Method: data.MethodNone}
		c.Augment = nil
		c.Train.CutMix.Alpha = 0
		s, err := LoadTrainSplits(&c, workers)
		if err != nil {
			return nil, err
		}
		d = s.Train
		if split == "val" {
			if s.Val == nil {
				return nil, InputErrorf("--split val: this run has no validation split (data.val_split is 0)")
			}
			d = s.Val
		}
	default:
		return nil, InputErrorf("--split: unknown split %q; allowed: train, val, test", split)
	}
	if err := p.Apply(d, workers); err != nil {
		return nil, InputErrorf("%s: %v", dir, err)
	}
	return d, nil
}

// CheckCompatible verifies that a data set matches the model's input shape
// and class count.
func CheckCompatible(d *data.Dataset, in []int, classes int, what string) error {
	if d.C != in[0] || d.H != in[1] || d.W != in[2] {
		return InputErrorf("%s: examples are (%d,%d,%d) but the model takes %v", what, d.C, d.H, d.W, in)
	}
	if d.Classes > classes {
		return InputErrorf("%s: labels go up to %d but the model has %d classes", what, d.Classes-1, classes)
	}
	return nil
}
