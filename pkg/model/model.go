package model

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/rng"
	"github.com/nettrain/nettrain/pkg/spec"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// Model is a built network with the shapes it was built for.
type Model struct {
	Net     *nn.Sequential
	InShape []int // per-example input shape (C, H, W)
	Classes int
	Arch    string
}

// Params returns the model's named trainable tensors.
func (m *Model) Params() []*nn.Param { return m.Net.Params() }

// LayerOutputs runs m's top-level layers one by one in evaluation mode on
// the batch x, (N, C, H, W), on pool (nil: the calling goroutine), and
// calls visit with each layer and its output y, (N, ...), which is only
// valid during the call. It changes no state of m: the walk of the init
// diagnostics and of the training histograms.
func (m *Model) LayerOutputs(x *tensor.Tensor, pool *tensor.Pool, visit func(i int, l nn.Named, y *tensor.Tensor)) {
	ctx := &nn.Context{Train: false, Pool: pool}
	for i, l := range m.Net.Layers {
		x = l.Layer.Forward(ctx, x)
		visit(i, l, x)
	}
}

// Buffers returns the model's named non-trainable state (batch-norm running
// statistics), sharing storage with the layers.
func (m *Model) Buffers() []*nn.Buffer { return nn.CollectBuffers(m.Net) }

// architecture builds the layers of one registered architecture into b.
type architecture func(b *builder) error

// architectures is the registry of model builders.
var architectures = map[string]architecture{
	"mlp":    buildMLP,
	"lenet5": buildLeNet5,
	"cnn":    buildCNN,
	"resnet": buildResNet,
	"layers": buildLayers,
}

// Architectures lists the registered architecture names, sorted.
func Architectures() []string { return slices.Sorted(maps.Keys(architectures)) }

// Build creates the network described by s for inputs of per-example shape
// in (C,H,W) and the given number of classes, with weights drawn from the
// init stream of seed, and plans its fused passes (nn.Fuse).
//
// s must be resolved (every default filled in, as a config's model section
// is) and is validated first: a problem is an error naming its key,
// "model.layers[2].out: ...". What depends on the input shape and the class
// count is checked while building.
func Build(s Spec, in []int, classes int, seed uint64) (*Model, error) {
	if err := s.Validate(); err != nil {
		return nil, prefixed(err)
	}
	arch := architectures[s.Arch]
	if _, err := s.activation(0); err != nil {
		return nil, fmt.Errorf("model.activation: %w", err)
	}
	b := newBuilder(s, in, classes)
	if err := arch(b); err != nil {
		return nil, err
	}
	if !slices.Equal(b.shape, []int{classes}) {
		key := "model"
		if s.Arch == "layers" {
			key = "model.layers"
		}
		return nil, fmt.Errorf("%s: the network outputs shape %v but the data has %d classes: end with a linear layer with out: %d", key, b.shape, classes, classes)
	}
	net := nn.NewSequential(b.layers...)
	if err := initWeights(net, s, b.inits, rng.New(seed, rng.Init)); err != nil {
		return nil, err
	}
	if head := lastLinear(net); head != nil && s.HeadInitScale != 1 {
		for i := range head.Weight.Value.Data {
			head.Weight.Value.Data[i] *= float32(s.HeadInitScale)
		}
	}
	applyStochastic(net, s, b)
	if s.ZeroInitResidual {
		walk(net, func(l nn.Layer) {
			if blk, ok := l.(*nn.BasicBlock); ok {
				blk.ZeroInitLastBN()
			}
		})
	}
	markFirstLayer(net)
	// Plan the fused passes last, from the finished layers; the dry run
	// then runs the plan that training runs.
	nn.Fuse(net)
	m := &Model{Net: net, InShape: slices.Clone(in), Classes: classes, Arch: s.Arch}
	if err := m.dryRun(); err != nil {
		return nil, err
	}
	return m, nil
}

// prefixed puts "model." in front of the key paths of Validate's problems.
func prefixed(err error) error {
	var ps spec.Problems
	if errors.As(err, &ps) {
		return ps.Prefixed("model")
	}
	return err
}

// activation returns a new activation layer of the spec's kind for an input
// with the given number of channels (used by a per-channel prelu).
func (s Spec) activation(channels int) (nn.Layer, error) {
	opt := nn.ActivationOptions{}
	switch s.Activation {
	case "leaky_relu":
		opt.Slope = s.ActivationSlope
	case "elu":
		opt.Alpha = s.ActivationAlpha
	case "gelu":
		opt.Approximate = s.GELUApproximate
	case "prelu":
		if s.PReLUPerChannel {
			opt.Channels = channels
		}
	}
	return nn.NewActivation(s.Activation, opt)
}

// applyStochastic sets the DropConnect probability of every linear and
// convolution layer and the stochastic depth probability of every basic
// block, in network order, each with its own salt (its index among the
// layers of its kind), so their random streams are independent.
func applyStochastic(net nn.Layer, s Spec, b *builder) {
	var blocks []*nn.BasicBlock
	var weighted uint64
	walk(net, func(l nn.Layer) {
		p, own := b.dropconnect[l]
		if !own {
			p = s.DropConnect
		}
		switch l := l.(type) {
		case *nn.Linear:
			weighted++
			l.DropConnect, l.DropConnectSalt = p, weighted
		case *nn.Conv2d:
			weighted++
			l.DropConnect, l.DropConnectSalt = p, weighted
		case *nn.BasicBlock:
			blocks = append(blocks, l)
		}
	})
	probs := make([]float64, len(blocks))
	if s.StochasticDepth > 0 {
		if s.StochasticDepthMode == "constant" {
			for i := range probs {
				probs[i] = s.StochasticDepth
			}
		} else { // "linear", the default
			probs = nn.LinearDropProbs(len(blocks), s.StochasticDepth)
		}
	}
	for i, blk := range blocks {
		if p, own := b.drops[blk]; own {
			probs[i] = p
		}
		blk.DropProb, blk.DropSalt = probs[i], uint64(i+1)
	}
}

// walk calls f on l and every layer inside it, depth first, in order.
func walk(l nn.Layer, f func(nn.Layer)) { nn.Walk(l, f) }

// markFirstLayer lets a first linear or convolution layer skip its input
// gradient when only parameter-free reshaping (flatten) precedes it: nobody
// needs it. It looks into a leading stage (a Sequential such as a ResNet's
// stem). It reports whether it stopped at a layer (so an enclosing
// Sequential must not look further).
func markFirstLayer(net *nn.Sequential) bool {
	for _, k := range net.Layers {
		switch l := k.Layer.(type) {
		case *nn.Flatten:
			continue
		case *nn.Sequential:
			if !markFirstLayer(l) {
				continue
			}
		case *nn.Linear:
			l.NoInputGrad = true
		case *nn.Conv2d:
			l.NoInputGrad = true
		}
		return true
	}
	return false
}

// lastLinear returns the last linear layer of the network (the classifier),
// or nil.
func lastLinear(l nn.Layer) *nn.Linear {
	var last *nn.Linear
	walk(l, func(x nn.Layer) {
		if lin, ok := x.(*nn.Linear); ok {
			last = lin
		}
	})
	return last
}

// initWeights initializes every linear and convolution weight inside c, in
// order, with the spec's initializer (or the layer's own from inits) and
// the gain of the nonlinearity that follows the layer in its container.
// Biases stay 0; batch-norm scales stay 1.
func initWeights(c nn.Container, s Spec, inits map[nn.Layer]string, r *rand.Rand) error {
	kids := c.Children()
	for i, k := range kids {
		var w *tensor.Tensor
		var fanIn, fanOut int
		switch l := k.Layer.(type) {
		case *nn.Linear:
			w, fanIn, fanOut = l.Weight.Value, l.In, l.Out
		case *nn.Conv2d:
			w = l.Weight.Value
			fanIn, fanOut = l.Fans()
		case nn.Container:
			if err := initWeights(l, s, inits, r); err != nil {
				return err
			}
			continue
		default:
			continue
		}
		name := s.Init
		if own := inits[k.Layer]; own != "" {
			name = own
		}
		opts := nn.InitOptions{FanIn: fanIn, FanOut: fanOut, Gain: gainAfter(kids[i+1:]), Std: s.InitStd, Mode: s.InitMode, A: s.InitBound, Value: s.InitValue}
		if err := nn.Init(name, w.Data, opts, r); err != nil {
			return fmt.Errorf("model: %s: %w", k.Name, err)
		}
	}
	return nil
}

// gainAfter returns the init gain of the first activation among rest, or 1
// if a weighted layer (or the end) comes first.
func gainAfter(rest []nn.Named) float64 {
	for _, k := range rest {
		switch l := k.Layer.(type) {
		case *nn.Activation:
			return l.Gain()
		case *nn.Linear, *nn.Conv2d, nn.Container:
			return 1
		}
	}
	return 1
}

// dryRun pushes a batch of two zero examples forward and backward in
// training mode, turning any shape panic into an error, then restores the
// buffers (batch-norm statistics) and gradients it touched.
func (m *Model) dryRun() (err error) {
	bufs := m.Buffers()
	saved := make([][]float32, len(bufs))
	for i, b := range bufs {
		saved[i] = slices.Clone(b.Value.Data)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("model: dry run failed: %v", r)
		}
		for i, b := range bufs {
			copy(b.Value.Data, saved[i])
		}
		nn.ZeroGrad(m.Params())
	}()
	x := tensor.New(append([]int{2}, m.InShape...)...)
	c := &nn.Context{Train: true}
	y := m.Net.Forward(c, x)
	if !slices.Equal(y.Shape, []int{2, m.Classes}) {
		return fmt.Errorf("model: output shape %v, want (N, %d)", y.Shape[1:], m.Classes)
	}
	m.Net.Backward(c, tensor.New(y.Shape...))
	return nil
}
