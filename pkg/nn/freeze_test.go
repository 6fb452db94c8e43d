package nn_test

import (
	"math"
	"slices"
	"testing"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// bnInput is a (4, 3, 2, 2) input with per-channel offsets, so the batch
// statistics differ from the running ones.
func bnInput() *tensor.Tensor {
	x := tensor.New(4, 3, 2, 2)
	for i := range x.Data {
		x.Data[i] = float32(math.Sin(float64(i)*0.7)) + float32(i%3)
	}
	return x
}

// TestBatchNormFrozen: a frozen batch norm in training computes what an
// unfrozen one computes in evaluation (running statistics, forward and
// backward, alone and fused with the relu after it) and leaves its running
// statistics as they were.
func TestBatchNormFrozen(t *testing.T) {
	for _, withReLU := range []bool{false, true} {
		build := func() *nn.Sequential {
			codes := []string{"bn"}
			if withReLU {
				codes = append(codes, "relu")
			}
			s := seqOf(t, codes...)
			bn := s.Layers[0].Layer.(*nn.BatchNorm)
			for c := range 3 {
				bn.RunningMean.Value.Data[c] = 0.5 * float32(c)
				bn.RunningVar.Value.Data[c] = 1 + float32(c)
				bn.Weight.Value.Data[c] = 1.5 - 0.25*float32(c)
			}
			nn.Fuse(s)
			return s
		}
		frozen, eval := build(), build()
		frozen.Layers[0].Layer.(*nn.BatchNorm).Frozen = true
		x := bnInput()
		dy := bnInput()
		yf := frozen.Forward(&nn.Context{Train: true}, x).Clone()
		ye := eval.Forward(&nn.Context{}, x).Clone()
		dxf := frozen.Backward(&nn.Context{Train: true}, dy).Clone()
		dxe := eval.Backward(&nn.Context{}, dy).Clone()
		if !slices.Equal(yf.Data, ye.Data) || !slices.Equal(dxf.Data, dxe.Data) {
			t.Errorf("relu %v: a frozen batch norm in training differs from evaluation mode", withReLU)
		}
		bn := frozen.Layers[0].Layer.(*nn.BatchNorm)
		if bn.RunningMean.Value.Data[2] != 1 || bn.RunningVar.Value.Data[2] != 3 {
			t.Errorf("relu %v: running statistics moved: %v %v", withReLU, bn.RunningMean.Value.Data, bn.RunningVar.Value.Data)
		}
		be := eval.Layers[0].Layer.(*nn.BatchNorm)
		if !slices.Equal(bn.Weight.Grad.Data, be.Weight.Grad.Data) {
			t.Errorf("relu %v: weight gradients %v, evaluation mode %v", withReLU, bn.Weight.Grad.Data, be.Weight.Grad.Data)
		}
	}
}

// TestSetBackwardStop: skipping the first k steps leaves their parameter
// gradients at zero and gives the later steps the gradients of a full
// backward pass.
func TestSetBackwardStop(t *testing.T) {
	for _, stop := range []int{0, 1, 2, 3, 9} {
		full, part := seqOf(t, "conv", "relu", "conv", "flatten"), seqOf(t, "conv", "relu", "conv", "flatten")
		for i, p := range full.Params() {
			for j := range p.Value.Data {
				p.Value.Data[j] = float32(math.Sin(float64(j+7*i))) * 0.5
			}
			copy(part.Params()[i].Value.Data, p.Value.Data)
		}
		part.SetBackwardStop(stop)
		x := tensor.New(2, 3, 4, 4)
		for i := range x.Data {
			x.Data[i] = float32(math.Cos(float64(i)))
		}
		ctx := &nn.Context{Train: true}
		y := full.Forward(ctx, x)
		dy := tensor.New(y.Shape...)
		for i := range dy.Data {
			dy.Data[i] = float32(i%5) - 2
		}
		dxFull := full.Backward(ctx, dy)
		part.Forward(ctx, x)
		dx := part.Backward(ctx, dy)
		if (stop > 0) != (dx == nil) || (stop == 0 && !slices.Equal(dx.Data, dxFull.Data)) {
			t.Errorf("stop %d: input gradient %v", stop, dx != nil)
		}
		for i, p := range part.Params() {
			skipped := (p.Name == "l0.weight" && stop >= 1) || (p.Name == "l2.weight" && stop >= 3)
			zero := !slices.ContainsFunc(p.Grad.Data, func(v float32) bool { return v != 0 })
			if skipped != zero || (!skipped && !slices.Equal(p.Grad.Data, full.Params()[i].Grad.Data)) {
				t.Errorf("stop %d: %s gradient zero %v, want skipped %v (and the full pass's otherwise)", stop, p.Name, zero, skipped)
			}
		}
	}
}
