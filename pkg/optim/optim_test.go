package optim

import (
	"math"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/nn/nntest"
	"github.com/nettrain/nettrain/pkg/tensor"
)

func param(name string, decay bool, v ...float32) *nn.Param {
	return &nn.Param{Name: name, Value: tensor.FromData(v, len(v)), Grad: tensor.New(len(v)), Decay: decay}
}

// reference runs torch.optim.SGD's update rule in float64 for a constant
// gradient sequence.
func reference(w0 float64, grads []float64, lr, mu float64, nesterov bool) float64 {
	w, b := w0, 0.0
	for i, g := range grads {
		if mu != 0 {
			if i == 0 {
				b = g
			} else {
				b = mu*b + g
			}
			if nesterov {
				g = g + mu*b
			} else {
				g = b
			}
		}
		w -= lr * g
	}
	return w
}

func TestSGDMatchesTorchRule(t *testing.T) {
	grads := []float64{0.5, -0.25, 1, 0.125, -2}
	cases := []struct {
		name     string
		mu       float64
		nesterov bool
	}{{"plain", 0, false}, {"momentum", 0.9, false}, {"nesterov", 0.9, true}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := param("w", true, 1)
			opt, err := NewSGD([]*nn.Param{p}, SGDConfig{Momentum: tc.mu, Nesterov: tc.nesterov}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range grads {
				p.Grad.Data[0] = float32(g)
				opt.Step(0.1)
			}
			want := reference(1, grads, 0.1, tc.mu, tc.nesterov)
			if math.Abs(float64(p.Value.Data[0])-want) > 1e-6 {
				t.Fatalf("w = %v, want %v", p.Value.Data[0], want)
			}
		})
	}
}

// TestSGDPoolBitIdentical checks that the parallel momentum update gives
// the same bits on a pool of 3 threads as on the caller, for a parameter of
// several chunks.
func TestSGDPoolBitIdentical(t *testing.T) {
	pool := tensor.NewPool(3)
	defer pool.Close()
	n := 3*sgdChunk + 77
	for _, cfg := range []SGDConfig{{Momentum: 0.9, WeightDecay: 0.01}, {Momentum: 0.9, Nesterov: true}, {Momentum: 0.5, Dampening: 0.3}} {
		var got [2][]float32
		for i, p := range []*tensor.Pool{nil, pool} {
			w := nntest.RandomInput(1, n)
			prm := &nn.Param{Name: "w", Value: w, Grad: tensor.New(n), Decay: true}
			opt, err := NewSGD([]*nn.Param{prm}, cfg, p)
			if err != nil {
				t.Fatal(err)
			}
			for step := range 3 {
				copy(prm.Grad.Data, nntest.RandomInput(uint64(10+step), n).Data)
				opt.Step(0.1)
			}
			got[i] = w.Data
		}
		for j := range got[0] {
			if math.Float32bits(got[0][j]) != math.Float32bits(got[1][j]) {
				t.Fatalf("%+v: w[%d] = %v on 3 threads, %v on the caller", cfg, j, got[1][j], got[0][j])
			}
		}
	}
}

func TestSGDRejectsBadSettings(t *testing.T) {
	for _, cfg := range []SGDConfig{{Momentum: 1}, {Momentum: -0.1}, {Nesterov: true}, {Momentum: 0.9, Dampening: 0.1, Nesterov: true}} {
		if _, err := NewSGD(nil, cfg, nil); err == nil {
			t.Errorf("%+v: want error", cfg)
		}
	}
}

func TestL2PenaltyGradient(t *testing.T) {
	w := param("fc.weight", true, 0.5, -1.5, 2)
	b := param("fc.bias", false, 3)
	params := []*nn.Param{w, b}
	const lambda = 0.3
	got := AddL2(params, lambda)
	if want := lambda * (0.25 + 2.25 + 4); math.Abs(got-want) > 1e-9 {
		t.Fatalf("penalty %v, want %v", got, want)
	}
	if b.Grad.Data[0] != 0 {
		t.Fatal("biases are not penalized")
	}
	nntest.CheckFunc(t, "weight", w.Value.Data, w.Grad.Data, func() float64 { return L2(params, lambda) }, nntest.Options{})
}
