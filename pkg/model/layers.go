package model

import (
	"fmt"

	"github.com/nettrain/nettrain/pkg/nn"
)

// buildLayers builds the explicit list of arch "layers". Layers are named
// by their name key or "<type><index>". The keys of every entry have been
// validated (Spec.Validate); what is checked here depends on the shape.
func buildLayers(b *builder) error {
	s := b.spec
	seen := map[string]bool{}
	for i, ls := range s.Layers {
		key := fmt.Sprintf("model.layers[%d]", i)
		name := ls.Name
		if name == "" {
			name = fmt.Sprintf("%s%d", ls.Type, i)
		}
		if seen[name] {
			return fmt.Errorf("%s.name: %q is used twice", key, name)
		}
		seen[name] = true
		l, err := b.layer(key, ls)
		if err != nil {
			return err
		}
		if err := b.add(key, name, l); err != nil {
			return err
		}
	}
	return nil
}

// layer makes the layer of one list entry for the builder's current shape.
func (b *builder) layer(key string, ls LayerSpec) (nn.Layer, error) {
	bias := ls.Bias == nil || *ls.Bias
	needImage := func() error {
		if len(b.shape) != 3 {
			return fmt.Errorf("%s: %s needs image input (C,H,W), got shape %v", key, ls.Type, b.shape)
		}
		return nil
	}
	var l nn.Layer
	switch ls.Type {
	case "linear":
		if len(b.shape) != 1 {
			return nil, fmt.Errorf("%s: linear expects flat features, got shape %v: add {type: flatten} before it", key, b.shape)
		}
		l = nn.NewLinear(b.shape[0], ls.Out, bias)
	case "conv2d":
		if err := needImage(); err != nil {
			return nil, err
		}
		l = nn.NewConv2d(b.channels(), ls.Out, ls.Kernel, ls.Kernel, max(ls.Stride, 1), ls.Padding, bias)
	case "maxpool2d", "avgpool2d":
		if err := needImage(); err != nil {
			return nil, err
		}
		if ls.Type == "maxpool2d" {
			l = nn.NewMaxPool2d(ls.Kernel, ls.Stride, ls.Padding)
		} else {
			l = nn.NewAvgPool2d(ls.Kernel, ls.Stride, ls.Padding)
		}
	case "fractional_maxpool2d":
		if err := needImage(); err != nil {
			return nil, err
		}
		l = b.fractionalPool(ls.Ratio, ls.Overlapping, ls.PseudoRandom, ls.TestDraws)
	case "global_avgpool":
		if err := needImage(); err != nil {
			return nil, err
		}
		l = &nn.GlobalAvgPool{}
	case "batchnorm":
		l = nn.NewBatchNorm(b.channels(), 0, 0)
	case "dropout":
		b.dropouts++
		l = nn.NewDropout(ls.P, b.dropouts)
	case "flatten":
		l = &nn.Flatten{}
	case "basic_block":
		if err := needImage(); err != nil {
			return nil, err
		}
		blk, err := nn.NewBasicBlock(b.channels(), ls.Out, max(ls.Stride, 1), func() (nn.Layer, error) { return b.spec.activation(ls.Out) })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		l = blk
	default: // an activation (Validate checked the name)
		opt := nn.ActivationOptions{Slope: ls.Slope, Alpha: ls.Alpha, Approximate: ls.Approximate}
		if ls.PerChannel {
			opt.Channels = b.channels()
		}
		a, err := nn.NewActivation(ls.Type, opt)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		l = a
	}
	if ls.Init != "" {
		b.inits[l] = ls.Init
	}
	if ls.DropConnect != nil {
		b.dropconnect[l] = *ls.DropConnect
	}
	if ls.Drop != nil {
		b.drops[l] = *ls.Drop
	}
	return l, nil
}
