package lrsched

import (
	"math"
	"strings"
)

// ScaleRules lists the rules ScaleLR accepts.
var ScaleRules = []string{"none", "linear", "sqrt"}

// ScaleLR scales a learning rate tuned for batches of baseBatch examples to
// batches of batch examples:
//
//	linear: base · batch/baseBatch        (Goyal et al. 2017, "Accurate, Large Minibatch SGD")
//	sqrt:   base · sqrt(batch/baseBatch)  (Krizhevsky 2014; Hoffer et al. 2017)
//	none:   base                          ("" too)
//
// Large linear scale-ups are meant to be combined with a warmup (Goyal et
// al. use 5 epochs).
func ScaleLR(base float64, batch, baseBatch int, rule string) (float64, error) {
	switch {
	case !finite(base) || base <= 0:
		return 0, errorf("base_lr", "must be > 0 and finite, got %g", base)
	case batch < 1:
		return 0, errorf("batch", "must be >= 1, got %d", batch)
	case baseBatch < 1:
		return 0, errorf("base_batch", "must be >= 1, got %d", baseBatch)
	}
	r := float64(batch) / float64(baseBatch)
	switch rule {
	case "", "none":
		return base, nil
	case "linear":
		return base * r, nil
	case "sqrt":
		return base * math.Sqrt(r), nil
	}
	return 0, errorf("rule", "unknown scaling rule %q; known: %s", rule, strings.Join(ScaleRules, ", "))
}
