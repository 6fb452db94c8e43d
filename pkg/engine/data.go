package engine

import (
	"math"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/rng"
)

// Preprocessing is the fitted input transform, stored in every checkpoint
// and reapplied by eval.
type Preprocessing struct {
	Normalize string  `json:"normalize"` // "global" or "none"
	Mean      float32 `json:"mean"`
	Std       float32 `json:"std"`
}

// apply transforms d in place.
func (p Preprocessing) apply(d *data.Dataset) {
	if d != nil && p.Normalize == "global" {
		data.Standardizer{Mean: p.Mean, Std: p.Std}.Apply(d)
	}
}

// Splits are the prepared data of a run.
type Splits struct {
	Train, Val *data.Dataset // Val is nil without a validation split
	Prep       Preprocessing
}

// loadTrainSplits loads the training set of cfg, keeps train_limit
// examples, carves the validation split and fits preprocessing on the
// training part only, applying it to both.
func loadTrainSplits(cfg *config.Config) (*Splits, error) {
	full, err := data.LoadIDXDir(cfg.Data.Dir, "train")
	if err != nil {
		return nil, &InputError{Err: err}
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
	prep := Preprocessing{Normalize: cfg.Preprocess.Normalize}
	if prep.Normalize == "global" {
		s := data.FitStandardizer(train)
		prep.Mean, prep.Std = s.Mean, s.Std
	}
	prep.apply(train)
	prep.apply(val)
	return &Splits{Train: train, Val: val, Prep: prep}, nil
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
// at dir with the preprocessing p, reproducing the run's split for "train"
// and "val".
func loadSplit(cfg *config.Config, dir, split string, p Preprocessing) (*data.Dataset, error) {
	switch split {
	case "test":
		d, err := data.LoadIDXDir(dir, "test")
		if err != nil {
			return nil, &InputError{Err: err}
		}
		p.apply(d)
		return d, nil
	case "train", "val":
		c := *cfg
		c.Data.Dir = dir
		c.Preprocess.Normalize = "none"
		s, err := loadTrainSplits(&c)
		if err != nil {
			return nil, err
		}
		d := s.Train
		if split == "val" {
			if s.Val == nil {
				return nil, inputErrorf("--split val: this run has no validation split (data.val_split is 0)")
			}
			d = s.Val
		}
		p.apply(d)
		return d, nil
	}
	return nil, inputErrorf("--split: unknown split %q; allowed: train, val, test", split)
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
