package optim

import (
	"math"
	"slices"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
)

// TestFrozenParamsAreSkipped: for every optimizer, a Frozen parameter keeps
// its value and its state (zero buffers, step 0) through steps with weight
// decay, while the other parameter moves exactly as in an optimizer
// without the frozen one.
func TestFrozenParamsAreSkipped(t *testing.T) {
	for _, cfg := range []Config{
		{Type: "sgd", Momentum: 0.9, WeightDecay: 0.1},
		{Type: "adam", WeightDecay: 0.1},
		{Type: "adamw", WeightDecay: 0.1},
		{Type: "rmsprop", Momentum: 0.5, WeightDecay: 0.1},
		{Type: "adagrad", WeightDecay: 0.1},
	} {
		t.Run(cfg.Type, func(t *testing.T) {
			a, frozen := param("a.weight", true, 1, -2), param("b.weight", true, 0.5, 3)
			alone := param("a.weight", true, 1, -2)
			frozen.Frozen = true
			both, err := New(cfg, []*nn.Param{a, frozen}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := New(cfg, []*nn.Param{alone}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for step := range 3 {
				for _, p := range []*nn.Param{a, frozen, alone} {
					for j := range p.Grad.Data {
						p.Grad.Data[j] = float32(math.Sin(float64(step + j)))
					}
				}
				both.Step(0.1)
				ref.Step(0.1)
			}
			if !slices.Equal(a.Value.Data, alone.Value.Data) {
				t.Errorf("trained parameter %v, alone %v", a.Value.Data, alone.Value.Data)
			}
			if !slices.Equal(frozen.Value.Data, []float32{0.5, 3}) {
				t.Errorf("frozen parameter moved to %v", frozen.Value.Data)
			}
			for name, s := range both.State() {
				if name[0] != 'b' {
					continue
				}
				want := float32(0)
				if cfg.Type == "adagrad" && name == "b.weight.sum" {
					want = float32(cfg.InitialAccumulator)
				}
				for _, v := range s.Data {
					if v != want {
						t.Errorf("state %s of the frozen parameter is %v", name, s.Data)
						break
					}
				}
			}
		})
	}
}
