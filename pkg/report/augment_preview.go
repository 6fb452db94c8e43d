package report

import (
	"io"

	"github.com/nettrain/nettrain/pkg/augment"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/engine"
)

// AugmentPreview writes a PNG grid of cfg's training augmentation to w: one
// row per training example (the first n of the training split, after
// train_limit and the validation split), the original first, then its
// augmented versions in epochs 0 … k−1 — exactly what training feeds the
// model in those epochs before mixing and preprocessing. The data loads on
// up to workers goroutines. A config without an augment list is an
// *InputError.
func AugmentPreview(cfg *config.Config, n, k, workers int, w io.Writer) error {
	if len(cfg.Augment) == 0 {
		return engine.InputErrorf("augment: the config has no augment list, so there is nothing to preview (add one, e.g. augment: [{op: hflip, p: 0.5}])")
	}
	if n < 1 || k < 1 {
		return engine.InputErrorf("--n and --k must be >= 1, got %d and %d", n, k)
	}
	c := *cfg
	c.Preprocess = data.PreprocessConfig{Method: data.MethodNone}
	s, err := engine.LoadTrainSplits(&c, workers)
	if err != nil {
		return err
	}
	d, pipe := s.Train, s.Augmenter
	n = min(n, d.N)
	originals := make([]augment.Image, n)
	augmented := make([][]augment.Image, n)
	for i := range n {
		originals[i] = augment.Image{C: d.C, H: d.H, W: d.W, Pix: d.Example(i)}
		for e := range k {
			img := originals[i].Clone()
			pipe.Apply(&img, cfg.Seed, e, i)
			augmented[i] = append(augmented[i], img)
		}
	}
	if err := augment.WriteGrid(w, originals, augmented); err != nil {
		return &engine.InputError{Err: err}
	}
	return nil
}
