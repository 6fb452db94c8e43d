package export

import (
	"fmt"
	"slices"

	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// Tensor is one named array of an exported file: float32 values (F32) or,
// for batch norm's num_batches_tracked, int64 ones (I64); exactly one of
// the two is set. Shape is row-major; a scalar has an empty Shape and one
// value.
type Tensor struct {
	Name  string
	Shape []int
	F32   []float32
	I64   []int64
}

// DType returns the safetensors dtype of t: "F32" or "I64".
func (t Tensor) DType() string {
	if t.I64 != nil {
		return "I64"
	}
	return "F32"
}

// numel returns the number of values the shape holds.
func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// f32 returns the tensor called name holding v's values (not a copy).
func f32(name string, v *tensor.Tensor) Tensor {
	return Tensor{Name: name, Shape: slices.Clone(v.Shape), F32: v.Data}
}

// stateDict lists the tensors of root in the order and under the names
// of the state_dict of the PyTorch module that Python generates for it:
// module by module, parameters then buffers. nettrain's names are
// PyTorch's (the generated modules carry the same child names), so the
// mapping adds only each batch norm's num_batches_tracked, an int64
// scalar set to batches (the number of training steps of the checkpoint).
func stateDict(root *node, batches int64) []Tensor {
	var ts []Tensor
	root.walk(func(n *node) {
		name := func(s string) string { return join(n.path, s) }
		switch l := n.layer.(type) {
		case *nn.Linear:
			ts = append(ts, f32(name("weight"), l.Weight.Value))
			if l.Bias != nil {
				ts = append(ts, f32(name("bias"), l.Bias.Value))
			}
		case *nn.Conv2d:
			ts = append(ts, f32(name("weight"), l.Weight.Value))
			if l.Bias != nil {
				ts = append(ts, f32(name("bias"), l.Bias.Value))
			}
		case *nn.BatchNorm:
			ts = append(ts,
				f32(name("weight"), l.Weight.Value), f32(name("bias"), l.Bias.Value),
				f32(name("running_mean"), l.RunningMean.Value), f32(name("running_var"), l.RunningVar.Value),
				Tensor{Name: name("num_batches_tracked"), Shape: []int{}, I64: []int64{batches}})
		case *nn.Activation:
			if l.Weight != nil {
				ts = append(ts, f32(name("weight"), l.Weight.Value))
			}
		}
	})
	return ts
}

// checkNames verifies that the float tensors of sd are exactly m's
// parameters and buffers, by name: a layer type whose tensors stateDict
// does not list is a programmer error, so it panics.
func checkNames(m *model.Model, sd []Tensor) {
	var want, got []string
	for _, p := range m.Params() {
		want = append(want, p.Name)
	}
	for _, b := range m.Buffers() {
		want = append(want, b.Name)
	}
	for _, t := range sd {
		if t.F32 != nil {
			got = append(got, t.Name)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(want, got) {
		panic(fmt.Sprintf("export: the state dict lists %v but the model has %v", got, want))
	}
}
