package engine

import (
	"sync"
	"testing"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/dist"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// mustPlan resolves cfg.
func mustPlan(t testing.TB, cfg *config.Config) *Plan {
	t.Helper()
	p, err := NewPlan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newTestTrainerOn builds the trainer of cfg on its data for 1×28×28 inputs
// and 10 classes, on pool.
func newTestTrainerOn(t testing.TB, cfg *config.Config, pool *tensor.Pool) (*Trainer, *model.Model, *Splits) {
	t.Helper()
	s, err := LoadTrainSplits(cfg, pool.Threads())
	if err != nil {
		t.Fatal(err)
	}
	m, err := BuildModel(cfg, "", []int{1, 28, 28}, 10)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(mustPlan(t, cfg), m, s, pool)
	if err != nil {
		t.Fatal(err)
	}
	return tr, m, s
}

// eachRank runs f(r) for every rank r of comms at once, each on its own
// goroutine as a rank of a job would, closes the rank's communicator when
// f returns, and waits for all of them.
func eachRank(comms []dist.Comm, f func(r int)) {
	var wg sync.WaitGroup
	for r := range comms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer comms[r].Close()
			f(r)
		}()
	}
	wg.Wait()
}
