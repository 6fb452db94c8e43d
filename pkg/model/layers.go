package model

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nettrain/nettrain/pkg/nn"
)

// layerTypes lists the non-activation layer types of an explicit list.
var layerTypes = []string{"avgpool2d", "basic_block", "batchnorm", "conv2d", "dropout", "flatten", "fractional_maxpool2d", "global_avgpool", "linear", "maxpool2d"}

// buildLayers builds the explicit list of arch "layers". Layers are named
// by their name key or "<type><index>".
func buildLayers(b *builder) error {
	s := b.spec
	if len(s.Layers) == 0 {
		return fmt.Errorf("model.layers: arch layers needs a non-empty list")
	}
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
	positive := func(what string, v int) error {
		if v < 1 {
			return fmt.Errorf("%s.%s: %s needs %s >= 1, got %d", key, what, ls.Type, what, v)
		}
		return nil
	}
	if ls.Type != "linear" && ls.Type != "conv2d" && ls.Init != "" {
		return nil, fmt.Errorf("%s.init: only linear and conv2d layers take an init", key)
	}
	if ls.Init != "" {
		if err := nn.CheckInit(ls.Init); err != nil {
			return nil, fmt.Errorf("%s.init: %w", key, err)
		}
	} else if ls.Type == "linear" || ls.Type == "conv2d" {
		if err := nn.CheckInit(b.spec.Init); err != nil {
			return nil, fmt.Errorf("model.init: %w", err)
		}
	}
	var l nn.Layer
	switch ls.Type {
	case "linear":
		if err := positive("out", ls.Out); err != nil {
			return nil, err
		}
		if len(b.shape) != 1 {
			return nil, fmt.Errorf("%s: linear expects flat features, got shape %v: add {type: flatten} before it", key, b.shape)
		}
		l = nn.NewLinear(b.shape[0], ls.Out, bias)
	case "conv2d":
		if err := needImage(); err != nil {
			return nil, err
		}
		if err := positive("out", ls.Out); err != nil {
			return nil, err
		}
		if err := positive("kernel", ls.Kernel); err != nil {
			return nil, err
		}
		l = nn.NewConv2d(b.channels(), ls.Out, ls.Kernel, ls.Kernel, max(ls.Stride, 1), ls.Padding, bias)
	case "maxpool2d", "avgpool2d":
		if err := needImage(); err != nil {
			return nil, err
		}
		if err := positive("kernel", ls.Kernel); err != nil {
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
		fp, err := b.fractionalPool(key+".ratio", ls.Ratio, ls.Overlapping, ls.PseudoRandom, ls.TestDraws)
		if err != nil {
			return nil, err
		}
		l = fp
	case "global_avgpool":
		if err := needImage(); err != nil {
			return nil, err
		}
		l = &nn.GlobalAvgPool{}
	case "batchnorm":
		l = nn.NewBatchNorm(b.channels(), 0, 0)
	case "dropout":
		if ls.P < 0 || ls.P >= 1 {
			return nil, fmt.Errorf("%s.p: must be in [0, 1), got %g", key, ls.P)
		}
		b.dropouts++
		l = nn.NewDropout(ls.P, b.dropouts)
	case "flatten":
		l = &nn.Flatten{}
	case "basic_block":
		if err := needImage(); err != nil {
			return nil, err
		}
		if err := positive("out", ls.Out); err != nil {
			return nil, err
		}
		blk, err := nn.NewBasicBlock(b.channels(), ls.Out, max(ls.Stride, 1), func() (nn.Layer, error) { return b.spec.activation(ls.Out) })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		l = blk
	default:
		if !nn.IsActivation(ls.Type) {
			known := slices.Sorted(slices.Values(append(slices.Clone(layerTypes), nn.ActivationNames()...)))
			return nil, fmt.Errorf("%s.type: unknown layer type %q; known: %s", key, ls.Type, strings.Join(known, ", "))
		}
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
		if ls.Type != "linear" && ls.Type != "conv2d" {
			return nil, fmt.Errorf("%s.dropconnect: only linear and conv2d layers take dropconnect", key)
		}
		if p := *ls.DropConnect; p < 0 || p >= 1 {
			return nil, fmt.Errorf("%s.dropconnect: must be in [0, 1), got %g", key, p)
		}
		b.dropconnect[l] = *ls.DropConnect
	}
	if ls.Drop != nil {
		if ls.Type != "basic_block" {
			return nil, fmt.Errorf("%s.drop: only basic_block layers take drop", key)
		}
		if p := *ls.Drop; p < 0 || p >= 1 {
			return nil, fmt.Errorf("%s.drop: must be in [0, 1), got %g", key, p)
		}
		b.drops[l] = *ls.Drop
	}
	return l, nil
}
