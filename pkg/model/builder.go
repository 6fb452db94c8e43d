package model

import (
	"fmt"
	"slices"

	"github.com/nettrain/nettrain/pkg/nn"
)

// builder appends named layers while tracking the per-example shape, so
// every layer is checked against its input as it is added.
type builder struct {
	spec     Spec
	classes  int
	shape    []int
	layers   []nn.Named
	inits    map[nn.Layer]string // per-layer initializer overrides
	dropouts uint64              // dropout layers so far: each gets its own random stream
	// dropconnect and drops hold per-layer DropConnect and stochastic
	// depth overrides of a layer list.
	dropconnect map[nn.Layer]float64
	drops       map[nn.Layer]float64
	fracpools   uint64 // fractional max-pooling layers so far (their salts)
}

func newBuilder(s Spec, in []int, classes int) *builder {
	return &builder{spec: s, classes: classes, shape: slices.Clone(in), inits: map[nn.Layer]string{},
		dropconnect: map[nn.Layer]float64{}, drops: map[nn.Layer]float64{}}
}

// sub returns a builder for a nested container starting at b's shape and
// sharing b's bookkeeping.
func (b *builder) sub() *builder {
	return &builder{spec: b.spec, classes: b.classes, shape: slices.Clone(b.shape), inits: b.inits, dropouts: b.dropouts,
		dropconnect: b.dropconnect, drops: b.drops, fracpools: b.fracpools}
}

// adopt appends the layers of sub as one Sequential named name.
func (b *builder) adopt(name string, sub *builder) {
	b.layers = append(b.layers, nn.Named{Name: name, Layer: nn.NewSequential(sub.layers...)})
	b.shape, b.dropouts, b.fracpools = sub.shape, sub.dropouts, sub.fracpools
}

// fractionalPool returns a fractional max-pooling layer with the next salt.
func (b *builder) fractionalPool(ratio float64, overlapping, pseudoRandom bool, testDraws int) *nn.FractionalMaxPool2d {
	b.fracpools++
	f := nn.NewFractionalMaxPool2d(ratio, overlapping, pseudoRandom, b.fracpools)
	f.TestDraws = testDraws
	return f
}

// add appends l as name; key is the config key named in errors.
func (b *builder) add(key, name string, l nn.Layer) error {
	out, err := l.OutShape(b.shape)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", key, l.Describe(), err)
	}
	b.layers = append(b.layers, nn.Named{Name: name, Layer: l})
	b.shape = out
	return nil
}

// channels is the size of dimension 0 of the current shape: channels of an
// image, features of a flat vector.
func (b *builder) channels() int { return b.shape[0] }

// act appends the spec's activation.
func (b *builder) act(key, name string) error {
	a, err := b.spec.activation(b.channels())
	if err != nil {
		return fmt.Errorf("model.activation: %w", err)
	}
	return b.add(key, name, a)
}

// dropout appends dropout with probability p (nothing for p = 0).
func (b *builder) dropout(key, name string, p float64) error {
	if p == 0 {
		return nil
	}
	b.dropouts++
	return b.add(key, name, nn.NewDropout(p, b.dropouts))
}

// image checks that the current shape is (C,H,W).
func (b *builder) image(key string) error {
	if len(b.shape) != 3 {
		return fmt.Errorf("%s: needs image input (C,H,W), got shape %v", key, b.shape)
	}
	return nil
}

// fullyConnected appends [dropout →] linear → act for each hidden size and
// [dropout →] the classifier. dropFirst says whether the first layer's input
// is already a hidden representation (so it gets dropout too).
func (b *builder) fullyConnected(hidden []int, dropFirst bool) error {
	p := b.spec.Dropout
	for i, h := range hidden {
		key := fmt.Sprintf("model.hidden[%d]", i)
		if i > 0 || dropFirst {
			if err := b.dropout("model.dropout", fmt.Sprintf("dropout%d", i+1), p); err != nil {
				return err
			}
		}
		if err := b.add(key, fmt.Sprintf("fc%d", i+1), nn.NewLinear(b.channels(), h, true)); err != nil {
			return err
		}
		if err := b.act("model.activation", fmt.Sprintf("%s%d", b.spec.Activation, i+1)); err != nil {
			return err
		}
	}
	if len(hidden) > 0 || dropFirst {
		if err := b.dropout("model.dropout", "dropout", p); err != nil {
			return err
		}
	}
	return b.add("model", "classifier", nn.NewLinear(b.channels(), b.classes, true))
}
