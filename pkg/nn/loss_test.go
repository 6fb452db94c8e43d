package nn_test

import (
	"math"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/nn/nntest"
	"github.com/nettrain/nettrain/pkg/tensor"
)

func TestSoftmaxCrossEntropySmoothingByHand(t *testing.T) {
	// logits (0, ln 3) → p = (1/4, 3/4); label 1, ε = 0.2, C = 2:
	// target (0.1, 0.9), loss = −0.1·log(1/4) − 0.9·log(3/4).
	ce := nn.SoftmaxCrossEntropy{Smoothing: 0.2}
	logits := tensor.FromData([]float32{0, float32(math.Log(3))}, 1, 2)
	loss, correct := ce.Forward(logits, []int32{1})
	want := -0.1*math.Log(0.25) - 0.9*math.Log(0.75)
	if math.Abs(loss-want) > 1e-6 || correct != 1 {
		t.Fatalf("loss %v correct %d, want %v and 1", loss, correct, want)
	}
	d := ce.Backward().Data
	if math.Abs(float64(d[0])-(0.25-0.1)) > 1e-6 || math.Abs(float64(d[1])-(0.75-0.9)) > 1e-6 {
		t.Fatalf("gradient %v, want softmax − target = (0.15, −0.15)", d)
	}
	// The same target given as a soft target gives the same loss and
	// gradient without smoothing.
	var soft nn.SoftmaxCrossEntropy
	l2, c2 := soft.ForwardSoft(logits, tensor.FromData([]float32{0.1, 0.9}, 1, 2))
	if math.Abs(l2-want) > 1e-6 || c2 != 1 {
		t.Fatalf("soft loss %v correct %d, want %v and 1", l2, c2, want)
	}
	d2 := soft.Backward().Data
	if math.Abs(float64(d2[0]-d[0])) > 1e-7 || math.Abs(float64(d2[1]-d[1])) > 1e-7 {
		t.Fatalf("soft gradient %v, smoothed label gradient %v", d2, d)
	}
}

func TestSoftmaxCrossEntropySoftTargetsByHand(t *testing.T) {
	// Row 0: logits (0, 0, ln 2) → p = (1/4, 1/4, 1/2), target (0.5, 0, 0.5):
	// loss −0.5·log(1/4) − 0.5·log(1/2); arg-maxes 2 and 0 differ.
	// Row 1: logits (1, 1, 1) → p = 1/3 each, one-hot target on class 1:
	// loss log 3; arg-max 0 vs 1 differ. Both rows /2 for the mean.
	var ce nn.SoftmaxCrossEntropy
	logits := tensor.FromData([]float32{0, 0, float32(math.Log(2)), 1, 1, 1}, 2, 3)
	targets := tensor.FromData([]float32{0.5, 0, 0.5, 0, 1, 0}, 2, 3)
	loss, correct := ce.ForwardSoft(logits, targets)
	want := (-0.5*math.Log(0.25) - 0.5*math.Log(0.5) + math.Log(3)) / 2
	if math.Abs(loss-want) > 1e-6 || correct != 0 {
		t.Fatalf("loss %v correct %d, want %v and 0", loss, correct, want)
	}
	d := ce.Backward().Data
	wantD := []float64{(0.25 - 0.5) / 2, 0.25 / 2, 0, 1.0 / 6, (1.0/3 - 1) / 2, 1.0 / 6}
	for i, w := range wantD {
		if math.Abs(float64(d[i])-w) > 1e-6 {
			t.Fatalf("gradient %v, want %v", d, wantD)
		}
	}
	// Soft targets equal to one-hot labels reproduce Forward exactly, with
	// and without smoothing.
	x := nntest.RandomInput(5, 4, 6)
	labels := []int32{5, 0, 2, 2}
	onehot := tensor.New(4, 6)
	for i, y := range labels {
		onehot.Data[i*6+int(y)] = 1
	}
	for _, eps := range []float64{0, 0.1} {
		a := nn.SoftmaxCrossEntropy{Smoothing: eps}
		b := nn.SoftmaxCrossEntropy{Smoothing: eps}
		la, ca := a.Forward(x, labels)
		lb, cb := b.ForwardSoft(x, onehot)
		if math.Abs(la-lb) > 1e-6 || ca != cb {
			t.Fatalf("ε=%v: labels loss %v (%d correct), one-hot soft loss %v (%d)", eps, la, ca, lb, cb)
		}
		da, db := a.Backward().Data, b.Backward().Data
		for i := range da {
			if math.Abs(float64(da[i]-db[i])) > 1e-7 {
				t.Fatalf("ε=%v: gradients differ at %d: %v vs %v", eps, i, da[i], db[i])
			}
		}
	}
}

func TestSoftmaxCrossEntropySmoothingGradient(t *testing.T) {
	x := nntest.RandomInput(4, 5, 7)
	labels := []int32{0, 6, 3, 3, 1}
	ce := nn.SoftmaxCrossEntropy{Smoothing: 0.15}
	ce.Forward(x, labels)
	grad := ce.Backward().Clone()
	nntest.CheckFunc(t, "logits", x.Data, grad.Data, func() float64 {
		l, _ := ce.Forward(x, labels)
		return l
	}, nntest.Options{})
}

func TestSoftmaxCrossEntropySoftGradient(t *testing.T) {
	x := nntest.RandomInput(4, 5, 7)
	tg := nntest.RandomInput(6, 5, 7)
	for i := 0; i < 5; i++ { // rows: positive, summing to 1
		row := tg.Data[i*7 : (i+1)*7]
		var s float32
		for j, v := range row {
			row[j] = float32(math.Abs(float64(v)))
			s += row[j]
		}
		for j := range row {
			row[j] /= s
		}
	}
	for _, eps := range []float64{0, 0.2} {
		ce := nn.SoftmaxCrossEntropy{Smoothing: eps}
		ce.ForwardSoft(x, tg)
		grad := ce.Backward().Clone()
		nntest.CheckFunc(t, "logits", x.Data, grad.Data, func() float64 {
			l, _ := ce.ForwardSoft(x, tg)
			return l
		}, nntest.Options{})
	}
}

func TestSoftmaxCrossEntropyRejects(t *testing.T) {
	for _, f := range []func(){
		func() {
			ce := nn.SoftmaxCrossEntropy{Smoothing: 1.5}
			ce.Forward(tensor.New(1, 2), []int32{0})
		},
		func() {
			var ce nn.SoftmaxCrossEntropy
			ce.ForwardSoft(tensor.New(2, 3), tensor.New(2, 2))
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("want a panic")
				}
			}()
			f()
		}()
	}
}

func TestSoftmaxCrossEntropyDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	x := nntest.RandomInput(4, 8, 10)
	labels := []int32{0, 1, 2, 3, 4, 5, 6, 7}
	tg := tensor.New(8, 10)
	for i := range tg.Data {
		tg.Data[i] = 0.1
	}
	ce := nn.SoftmaxCrossEntropy{Smoothing: 0.1}
	ce.Forward(x, labels)
	ce.Backward()
	if n := testing.AllocsPerRun(10, func() {
		ce.Forward(x, labels)
		ce.Backward()
		ce.ForwardSoft(x, tg)
		ce.Backward()
	}); n != 0 {
		t.Fatalf("%v allocations per step", n)
	}
}
