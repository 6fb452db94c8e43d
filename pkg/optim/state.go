package optim

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// base holds what every optimizer shares: the parameters with their group
// settings, per-parameter step counts and named per-parameter state
// buffers.
type base struct {
	params  []*nn.Param
	lrScale []float64 // learning-rate scale of each parameter's group
	decay   []float64 // weight decay of each parameter
	steps   []int64   // steps taken, per parameter (as PyTorch's state["step"])
	hasStep bool      // whether the state includes "<param>.step"
	slots   []slot
	pool    *tensor.Pool // runs the parallel parts of Step; nil: the caller
}

// slot is one kind of per-parameter state ("exp_avg"), one buffer per
// parameter, shaped like it.
type slot struct {
	key  string
	bufs []*tensor.Tensor
}

// addSlot adds a state buffer per parameter, filled with v.
func (b *base) addSlot(key string, v float32) []*tensor.Tensor {
	bufs := make([]*tensor.Tensor, len(b.params))
	for i, p := range b.params {
		bufs[i] = tensor.New(p.Value.Shape...)
		if v != 0 {
			for j := range bufs[i].Data {
				bufs[i].Data[j] = v
			}
		}
	}
	b.slots = append(b.slots, slot{key, bufs})
	return bufs
}

// stepKey is the state key of the step counts.
const stepKey = "step"

// State returns deep copies of the state tensors, named "<param>.<key>".
func (b *base) State() map[string]*tensor.Tensor {
	m := make(map[string]*tensor.Tensor)
	for i, p := range b.params {
		if b.hasStep {
			m[p.Name+"."+stepKey] = &tensor.Tensor{Shape: []int{}, Data: []float32{float32(b.steps[i])}}
		}
		for _, s := range b.slots {
			m[p.Name+"."+s.key] = s.bufs[i].Clone()
		}
	}
	return m
}

// LoadState checks every tensor first and then copies the values in, so
// that a failed load changes nothing.
func (b *base) LoadState(state map[string]*tensor.Tensor) error {
	want := make(map[string]bool)
	steps := make([]int64, len(b.params))
	for i, p := range b.params {
		if b.hasStep {
			name := p.Name + "." + stepKey
			want[name] = true
			t, ok := state[name]
			if !ok || t == nil {
				return fmt.Errorf("optim: state tensor %q is missing", name)
			}
			if t.Len() != 1 || len(t.Shape) > 1 {
				return fmt.Errorf("optim: state tensor %q has shape %v, want a scalar", name, t.Shape)
			}
			v := float64(t.Data[0])
			if !(v >= 0) || math.IsInf(v, 0) || v != math.Trunc(v) {
				return fmt.Errorf("optim: state tensor %q holds %v, not a step count", name, v)
			}
			steps[i] = int64(v)
		}
		for _, s := range b.slots {
			name := p.Name + "." + s.key
			want[name] = true
			t, ok := state[name]
			if !ok || t == nil {
				return fmt.Errorf("optim: state tensor %q is missing", name)
			}
			if !t.SameShape(p.Value.Shape) || t.Len() != p.Value.Len() {
				return fmt.Errorf("optim: state tensor %q has shape %v, want %v", name, t.Shape, p.Value.Shape)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(state)) {
		if !want[name] {
			return fmt.Errorf("optim: unexpected state tensor %q (not part of this optimizer's state)", name)
		}
	}
	copy(b.steps, steps)
	for i, p := range b.params {
		for _, s := range b.slots {
			copy(s.bufs[i].Data, state[p.Name+"."+s.key].Data)
		}
	}
	return nil
}

// lr returns parameter i's learning rate for base rate lr.
func (b *base) lr(i int, lr float64) float64 { return lr * b.lrScale[i] }

// gradWithDecay returns parameter i's gradient with its weight decay added
// (g + wd·θ, as PyTorch's grad.add(param, alpha=wd)), in scratch when there
// is a decay, else the gradient itself.
func (b *base) gradWithDecay(i int, scratch *[]float32) []float32 {
	p := b.params[i]
	g := p.Grad.Data
	wd := b.decay[i]
	if wd == 0 {
		return g
	}
	if cap(*scratch) < len(g) {
		*scratch = make([]float32, len(g))
	}
	d := (*scratch)[:len(g)]
	w := p.Value.Data[:len(g)]
	a := float32(wd)
	for j, gj := range g {
		d[j] = fma32(a, w[j], gj)
	}
	return d
}

// fma32 returns a·b + c with a single rounding to float32, as a fused
// multiply-add: the product of two float32 values is exact in float64, so
// only the float64 sum rounds before the float32 conversion (a double
// rounding that differs from a true float32 FMA only in astronomically rare
// ties). This is as fast as separate float32 operations and, unlike
// math.FMA, needs no FMA instruction.
//
// PyTorch's CPU kernels fuse these multiply-adds (Tensor.add_ with alpha,
// addcmul_), so the optimizers use fma32 where PyTorch fuses and round every
// other operation to float32 explicitly, which also keeps the Go compiler
// from fusing differently on other architectures.
func fma32(a, b, c float32) float32 { return float32(float64(a)*float64(b) + float64(c)) }
