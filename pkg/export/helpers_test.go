package export

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// buildModel builds the model of a config's model section (YAML, indented
// under "model:") for per-example inputs of shape in, with 10 classes.
func buildModel(t testing.TB, modelYAML string, in []int) *model.Model {
	t.Helper()
	cfg, err := config.Parse([]byte("data:\n  dir: .\nmodel:\n"+modelYAML), "test.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := engine.BuildModel(cfg, "test.yaml", in, 10)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// randomize gives every bias, batch-norm scale, shift and running
// statistic and every prelu slope a random value, so that the exports are
// checked on tensors that are neither 0 nor 1.
func randomize(m *model.Model, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	fill := func(v []float32, lo, hi float64) {
		for i := range v {
			v[i] = float32(lo + (hi-lo)*r.Float64())
		}
	}
	nn.Walk(m.Net, func(l nn.Layer) {
		switch l := l.(type) {
		case *nn.Linear:
			if l.Bias != nil {
				fill(l.Bias.Value.Data, -0.2, 0.2)
			}
		case *nn.Conv2d:
			if l.Bias != nil {
				fill(l.Bias.Value.Data, -0.2, 0.2)
			}
		case *nn.BatchNorm:
			fill(l.Weight.Value.Data, 0.5, 1.5)
			fill(l.Bias.Value.Data, -0.3, 0.3)
			fill(l.RunningMean.Value.Data, -0.5, 0.5)
			fill(l.RunningVar.Value.Data, 0.3, 2)
		case *nn.Activation:
			if l.Weight != nil {
				fill(l.Weight.Value.Data, 0, 0.5)
			}
		}
	})
}

// randomImages returns n examples of shape in with values in [0, 1).
func randomImages(n int, in []int, seed uint64) *data.Dataset {
	r := rand.New(rand.NewPCG(seed, 11))
	d := &data.Dataset{N: n, C: in[0], H: in[1], W: in[2], Classes: 10, Y: make([]int32, n)}
	d.X = make([]float32, n*d.FeatureLen())
	for i := range d.X {
		d.X[i] = float32(r.Float64())
	}
	return d
}

// fitPrep fits the preprocessing cfg on random images of shape in.
func fitPrep(t testing.TB, cfg data.PreprocessConfig, in []int) data.Preprocessor {
	t.Helper()
	p, err := data.Fit(cfg, randomImages(96, in, 3), 1)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// logits returns nettrain's logits of m for the examples of d (raw
// inputs, preprocessed with p first when p is not nil), (N, classes).
func logits(t testing.TB, m *model.Model, p data.Preprocessor, d *data.Dataset) []float32 {
	t.Helper()
	var x []float32
	for i := range d.N {
		e := slices.Clone(d.Example(i))
		if p != nil {
			var err error
			if e, err = p.ApplyExample(e); err != nil {
				t.Fatal(err)
			}
		}
		x = append(x, e...)
	}
	shape := append([]int{d.N}, m.InShape...)
	y := m.Net.Forward(&nn.Context{}, tensor.FromData(x, shape...))
	return slices.Clone(y.Data)
}
