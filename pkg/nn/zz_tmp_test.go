package nn_test

import (
	"fmt"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/nn/nntest"
)

func TestTmpSeeds(t *testing.T) {
	for _, eps := range []float64{3e-3, 1e-3} {
	tot, sk := 0, 0
	for seed := uint64(10); seed < 30; seed++ {
		for _, proj := range []bool{false, true} {
			for _, act := range []string{"relu", "prelu"} {
				for _, train := range []bool{true, false} {
					t.Run(fmt.Sprint(eps, seed, proj, act, train), func(t *testing.T) {
						ks := &kinks{}
						outC, stride := 4, 1
						if proj {
							outC, stride = 8, 2
						}
						b, _ := nn.NewBasicBlock(4, outC, stride, ks.factory(act, outC))
						randomizeBlock(b, seed)
						x := nntest.RandomInput(seed+100, 3, 4, 5, 5)
						ks.reset()
						nntest.CheckLayer(t, b, x, nntest.Options{Seed: seed, Eps: eps, AbsTol: 5e-3, Context: &nn.Context{Train: train}, Kinked: ks.kinked})
						tot += x.Len() + nn.CountParams(b.Params())
						sk += ks.skipped
					})
				}
			}
		}
	}
	t.Logf("eps %g: skipped %d of %d", eps, sk, tot)
	}
}
