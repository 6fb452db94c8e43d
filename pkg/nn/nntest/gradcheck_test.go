package nntest

import (
	"fmt"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, a...))
}

// wrongScale is the identity with a Backward that is off by a factor.
type wrongScale struct {
	nn.Flatten
	factor float32
	dx     *tensor.Tensor
}

func (w *wrongScale) Forward(_ *nn.Context, x *tensor.Tensor) *tensor.Tensor { return x }
func (w *wrongScale) Backward(_ *nn.Context, dy *tensor.Tensor) *tensor.Tensor {
	w.dx = dy.Clone()
	for i := range w.dx.Data {
		w.dx.Data[i] *= w.factor
	}
	return w.dx
}

// TestCheckLayerCatchesWrongGradient: a gradient off by 10%, by 1.5% or by
// 1% everywhere fails (the last two pass every per-entry bound: only the
// whole-tensor bound catches them); one off by 0.02% passes.
func TestCheckLayerCatchesWrongGradient(t *testing.T) {
	for _, tc := range []struct {
		factor   float32
		wantFail bool
	}{{1, false}, {1.1, true}, {0, true}, {1.015, true}, {0.99, true}, {1.0002, false}} {
		r := &recorder{TB: t}
		CheckLayer(r, &wrongScale{factor: tc.factor}, RandomInput(1, 3, 4), Options{})
		if got := len(r.failures) > 0; got != tc.wantFail {
			t.Errorf("factor %v: failed=%v, want %v (%v)", tc.factor, got, tc.wantFail, r.failures)
		}
	}
}
