package export

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/nn"
)

// kind is what an exported layer computes in evaluation mode.
type kind int

const (
	kLinear        kind = iota // y = x·Wᵀ + b
	kConv                      // 2-D cross-correlation
	kBatchNorm                 // running statistics: γ(x−μ)/√(σ²+eps) + β
	kAct                       // elementwise activation
	kMaxPool                   // square max pooling, floor mode, −∞ padding
	kAvgPool                   // square average pooling, floor mode, zero padding counted
	kGlobalAvgPool             // (N,C,H,W) → (N,C)
	kFlatten                   // (N, ...) → (N, features)
	kIdentity                  // dropout: the identity in evaluation
	kSequential                // children in order
	kBlock                     // ResNet basic block
)

// node is one layer of the model as the exporters see it: its kind, its
// nettrain layer, its name and dotted path (the prefix of its tensors'
// names), and the per-example shapes it maps (batch excluded).
type node struct {
	kind     kind
	name     string // within the parent ("conv1")
	path     string // from the model's root ("stage1.block1.conv1"); "" for the root
	layer    nn.Layer
	in, out  []int
	children []*node // kSequential: the layers; kBlock: conv1, bn1, act1, conv2, bn2, shortcut (a kSequential, absent for the identity), act2
}

// child returns the child called name, or nil.
func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// walk calls f on n and every node inside it, depth first, in order.
func (n *node) walk(f func(*node)) {
	f(n)
	for _, c := range n.children {
		c.walk(f)
	}
}

// Layers the exporters support, for the error on any other.
const supportedLayers = "linear, conv2d, batchnorm, the activations (relu, leaky_relu, prelu, elu, selu, gelu, tanh, sigmoid), maxpool2d, avgpool2d, global_avgpool, flatten, dropout, basic_block"

// reservedNames are the attributes of torch.nn.Sequential (torch 1.13)
// that a child module cannot be called: add_module rejects them.
var reservedNames = []string{
	"T_destination", "add_module", "append", "apply", "bfloat16", "buffers", "children", "cpu", "cuda",
	"double", "dump_patches", "eval", "extend", "extra_repr", "float", "forward", "get_buffer",
	"get_extra_state", "get_parameter", "get_submodule", "half", "insert", "ipu", "load_state_dict",
	"modules", "named_buffers", "named_children", "named_modules", "named_parameters", "parameters",
	"pop", "register_backward_hook", "register_buffer", "register_forward_hook",
	"register_forward_pre_hook", "register_full_backward_hook", "register_load_state_dict_post_hook",
	"register_module", "register_parameter", "requires_grad_", "set_extra_state", "share_memory",
	"state_dict", "to", "to_empty", "train", "training", "type", "xpu", "zero_grad",
}

// plan turns m into the tree of nodes the exporters write, checking that
// every layer has an evaluation-mode equivalent and every name is usable as
// a PyTorch module name. An unsupported layer is an input error naming it.
func plan(m *model.Model) (*node, error) {
	root := &node{kind: kSequential, layer: m.Net, in: slices.Clone(m.InShape)}
	out, err := planChildren(root, m.Net.Layers, root.in)
	if err != nil {
		return nil, err
	}
	root.out = out
	if !slices.Equal(out, []int{m.Classes}) {
		return nil, engine.InputErrorf("the network outputs per-example shape %v, want (%d) logits", out, m.Classes)
	}
	return root, nil
}

// planChildren plans the layers of a Sequential into parent, starting from
// the per-example shape in, and returns the output shape.
func planChildren(parent *node, layers []nn.Named, in []int) ([]int, error) {
	for _, l := range layers {
		c, err := planLayer(parent.path, l, in)
		if err != nil {
			return nil, err
		}
		parent.children = append(parent.children, c)
		in = c.out
	}
	return in, nil
}

// join returns the dotted path of name inside prefix.
func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// planLayer plans one named layer whose input has per-example shape in.
func planLayer(prefix string, l nn.Named, in []int) (*node, error) {
	path := join(prefix, l.Name)
	if l.Name == "" || strings.ContainsAny(l.Name, ". ") || slices.Contains(reservedNames, l.Name) {
		return nil, engine.InputErrorf("layer %q: the name cannot name a PyTorch module (it is empty, has a dot or is an attribute of torch.nn.Module); rename it with model.layers[].name", path)
	}
	out, err := l.Layer.OutShape(in)
	if err != nil {
		return nil, engine.InputErrorf("layer %s (%s): %v", path, l.Layer.Describe(), err)
	}
	n := &node{name: l.Name, path: path, layer: l.Layer, in: slices.Clone(in), out: out}
	unsupported := func(why string) error {
		return engine.InputErrorf("layer %s (%s) %s; the exporters support %s", path, l.Layer.Describe(), why, supportedLayers)
	}
	switch x := l.Layer.(type) {
	case *nn.Linear:
		n.kind = kLinear
	case *nn.Conv2d:
		n.kind = kConv
	case *nn.BatchNorm:
		n.kind = kBatchNorm
		if len(in) != 1 && len(in) != 3 {
			return nil, unsupported(fmt.Sprintf("normalizes input of per-example shape %v, which is neither (C) nor (C,H,W)", in))
		}
	case *nn.Activation:
		n.kind = kAct
		if !slices.Contains([]string{"relu", "leaky_relu", "prelu", "elu", "selu", "gelu", "tanh", "sigmoid"}, x.Name()) {
			return nil, unsupported("is an activation without an exporter")
		}
	case *nn.MaxPool2d:
		n.kind = kMaxPool
	case *nn.AvgPool2d:
		n.kind = kAvgPool
	case *nn.GlobalAvgPool:
		n.kind = kGlobalAvgPool
	case *nn.Flatten:
		n.kind = kFlatten
	case *nn.Dropout:
		n.kind = kIdentity
	case *nn.Sequential:
		n.kind = kSequential
		if _, err := planChildren(n, x.Layers, in); err != nil {
			return nil, err
		}
	case *nn.BasicBlock:
		n.kind = kBlock
		if err := planBlock(n, x, in); err != nil {
			return nil, err
		}
	case *nn.FractionalMaxPool2d:
		return nil, unsupported("has no PyTorch or ONNX equivalent in evaluation mode: its pooling regions are nettrain's own fixed pseudo-random draws (TestSeed, TestDraws), which torch.nn.FractionalMaxPool2d and ONNX cannot reproduce; train with model.pool max or avg to export")
	default:
		return nil, unsupported("has no exporter")
	}
	return n, nil
}

// planBlock plans the children of a basic block: the main branch conv1 →
// bn1 → act1 → conv2 → bn2 from the block's input, the shortcut (if any)
// from the block's input too, and act2 on the sum.
func planBlock(n *node, b *nn.BasicBlock, in []int) error {
	kids := b.Children()
	var main []nn.Named
	var shortcut, act2 *nn.Named
	for i := range kids {
		switch kids[i].Name {
		case "shortcut":
			shortcut = &kids[i]
		case "act2":
			act2 = &kids[i]
		default:
			main = append(main, kids[i])
		}
	}
	if act2 == nil {
		panic("export: a basic block without act2")
	}
	if _, err := planChildren(n, main, in); err != nil {
		return err
	}
	if shortcut != nil {
		c, err := planLayer(n.path, *shortcut, in)
		if err != nil {
			return err
		}
		n.children = append(n.children, c)
	}
	c, err := planLayer(n.path, *act2, n.out)
	if err != nil {
		return err
	}
	n.children = append(n.children, c)
	return nil
}
