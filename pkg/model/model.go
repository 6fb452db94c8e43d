package model

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/rng"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// Spec describes an architecture. It mirrors the config file's model section.
type Spec struct {
	Arch          string // registry name: mlp, lenet5, cnn, resnet or layers
	Hidden        []int  // mlp, cnn: hidden fully connected sizes
	Widths        []int  // cnn: output channels per stage
	ConvsPerStage int    // cnn: 3x3 convolutions per stage
	BatchNorm     bool   // cnn: batch norm after every convolution
	Pool          string // cnn: "max", "avg" or "fractional"
	// PoolRatio is the reduction per axis of cnn's fractional pooling, in
	// (1, 2).
	PoolRatio float64
	Depth     int // resnet: 6n+2
	Width     int // resnet: channels of the first stage
	// ZeroInitResidual starts each residual block's last BN scale at 0.
	ZeroInitResidual bool
	// Dropout is the probability of dropout before every fully connected
	// layer that follows hidden features.
	Dropout float64
	// DropConnect is the DropConnect probability of every linear and
	// convolution layer (including those inside residual blocks); a layer
	// list entry's own DropConnect overrides it.
	DropConnect float64
	// StochasticDepth is the largest stochastic depth drop probability of
	// the basic blocks; StochasticDepthMode is "linear" (block l of L
	// drops with l/L·p, the default) or "constant".
	StochasticDepth     float64
	StochasticDepthMode string

	Activation      string  // nonlinearity of every arch but layers
	ActivationSlope float64 // leaky_relu slope
	ActivationAlpha float64 // elu alpha
	GELUApproximate string  // gelu form: "none" or "tanh"
	PReLUPerChannel bool    // prelu: one slope per channel

	Init      string  // weight initializer for every layer without its own
	InitStd   float64 // standard deviation of the "normal" initializer
	InitMode  string  // Kaiming fan: "fan_in" or "fan_out"
	InitBound float64 // half-width of the "uniform" initializer
	InitValue float64 // fill value of the "constant" initializer
	// HeadInitScale multiplies the initial weights of the last linear layer;
	// 1 keeps them as drawn.
	HeadInitScale float64

	Layers []LayerSpec // layers: the explicit list
}

// LayerSpec is one entry of an explicit layer list.
type LayerSpec struct {
	Type        string // linear, conv2d, maxpool2d, avgpool2d, global_avgpool, batchnorm, dropout, flatten, basic_block or an activation
	Name        string // optional; default "<type><index>"
	Out         int    // linear: features; conv2d, basic_block: channels
	Bias        *bool  // linear, conv2d: with bias (default true)
	Init        string // linear, conv2d: initializer overriding Spec.Init
	Kernel      int    // conv2d, pools
	Stride      int    // conv2d, basic_block (default 1); pools (default: kernel)
	Padding     int    // conv2d, pools
	P           float64
	Slope       float64 // leaky_relu
	Alpha       float64 // elu
	Approximate string  // gelu
	PerChannel  bool    // prelu
	// DropConnect overrides Spec.DropConnect for a linear or conv2d layer.
	DropConnect *float64
	// Drop overrides the stochastic depth probability of a basic_block.
	Drop *float64
	// Ratio, Overlapping, PseudoRandom and TestDraws configure a
	// fractional_maxpool2d layer (ratio in (1, 2); test draws >= 1).
	Ratio        float64
	Overlapping  bool
	PseudoRandom bool
	TestDraws    int
}

// Model is a built network with the shapes it was built for.
type Model struct {
	Net     *nn.Sequential
	InShape []int // per-example input shape (C, H, W)
	Classes int
	Arch    string
}

// Params returns the model's named trainable tensors.
func (m *Model) Params() []*nn.Param { return m.Net.Params() }

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
func Build(s Spec, in []int, classes int, seed uint64) (*Model, error) {
	arch, ok := architectures[s.Arch]
	if !ok {
		return nil, fmt.Errorf("model.arch: unknown architecture %q; known: %s", s.Arch, strings.Join(Architectures(), ", "))
	}
	if s.Arch != "layers" {
		if err := nn.CheckInit(s.Init); err != nil {
			return nil, fmt.Errorf("model.init: %w", err)
		}
		if _, err := s.activation(0); err != nil {
			return nil, fmt.Errorf("model.activation: %w", err)
		}
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
	if err := applyStochastic(net, s, b); err != nil {
		return nil, err
	}
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
func applyStochastic(net nn.Layer, s Spec, b *builder) error {
	if s.DropConnect < 0 || s.DropConnect >= 1 {
		return fmt.Errorf("model.dropconnect: must be in [0, 1), got %g", s.DropConnect)
	}
	if s.StochasticDepth < 0 || s.StochasticDepth >= 1 {
		return fmt.Errorf("model.stochastic_depth: must be in [0, 1), got %g", s.StochasticDepth)
	}
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
		switch s.StochasticDepthMode {
		case "linear", "":
			probs = nn.LinearDropProbs(len(blocks), s.StochasticDepth)
		case "constant":
			for i := range probs {
				probs[i] = s.StochasticDepth
			}
		default:
			return fmt.Errorf("model.stochastic_depth_mode: must be linear or constant, got %q", s.StochasticDepthMode)
		}
	}
	for i, blk := range blocks {
		if p, own := b.drops[blk]; own {
			probs[i] = p
		}
		blk.DropProb, blk.DropSalt = probs[i], uint64(i+1)
	}
	return nil
}

// walk calls f on l and every layer inside it, depth first, in order.
func walk(l nn.Layer, f func(nn.Layer)) {
	f(l)
	if c, ok := l.(nn.Container); ok {
		for _, k := range c.Children() {
			walk(k.Layer, f)
		}
	}
}

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
