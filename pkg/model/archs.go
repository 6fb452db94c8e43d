package model

import (
	"fmt"

	"github.com/nettrain/nettrain/pkg/nn"
)

// buildMLP: flatten → [linear → act (→ dropout)]×len(hidden) → classifier.
func buildMLP(b *builder) error {
	if err := b.add("model", "flatten", &nn.Flatten{}); err != nil {
		return err
	}
	return b.fullyConnected(b.spec.Hidden, false)
}

// buildLeNet5 is LeCun et al. (1998)'s LeNet-5 for 28x28 inputs:
// conv 6@5x5 (pad 2) → act → avgpool 2 → conv 16@5x5 → act → avgpool 2 →
// fc 120 → act → fc 84 → act → classifier, with the configured activation
// (the original used tanh-like squashing).
func buildLeNet5(b *builder) error {
	if err := b.image("model.arch lenet5"); err != nil {
		return err
	}
	steps := []struct {
		name string
		l    func() nn.Layer
	}{
		{"conv1", func() nn.Layer { return nn.NewConv2d(b.channels(), 6, 5, 5, 1, 2, true) }},
		{"act1", nil},
		{"pool1", func() nn.Layer { return nn.NewAvgPool2d(2, 2, 0) }},
		{"conv2", func() nn.Layer { return nn.NewConv2d(6, 16, 5, 5, 1, 0, true) }},
		{"act2", nil},
		{"pool2", func() nn.Layer { return nn.NewAvgPool2d(2, 2, 0) }},
		{"flatten", func() nn.Layer { return &nn.Flatten{} }},
	}
	for _, s := range steps {
		var err error
		if s.l == nil {
			err = b.act("model.arch lenet5", s.name)
		} else {
			err = b.add("model.arch lenet5", s.name, s.l())
		}
		if err != nil {
			return err
		}
	}
	return b.fullyConnected([]int{120, 84}, true)
}

// buildCNN is a VGG-style network (Simonyan & Zisserman 2015): for each
// width, a stage of convs_per_stage 3x3 convolutions (pad 1) each followed
// by [batch norm →] act, then a 2x2 pooling; then flatten → hidden fully
// connected layers → classifier.
func buildCNN(b *builder) error {
	s := b.spec
	if err := b.image("model.arch cnn"); err != nil {
		return err
	}
	for i, width := range s.Widths {
		key := fmt.Sprintf("model.widths[%d]", i)
		st := b.sub()
		for j := 1; j <= s.ConvsPerStage; j++ {
			if err := st.add(key, fmt.Sprintf("conv%d", j), nn.NewConv2d(st.channels(), width, 3, 3, 1, 1, !s.BatchNorm)); err != nil {
				return err
			}
			if s.BatchNorm {
				if err := st.add(key, fmt.Sprintf("bn%d", j), nn.NewBatchNorm(width, 0, 0)); err != nil {
					return err
				}
			}
			if err := st.act(key, fmt.Sprintf("act%d", j)); err != nil {
				return err
			}
		}
		var pool nn.Layer = nn.NewMaxPool2d(2, 2, 0)
		switch s.Pool {
		case "avg":
			pool = nn.NewAvgPool2d(2, 2, 0)
		case "fractional":
			pool = st.fractionalPool(s.PoolRatio, false, false, 1)
		}
		if _, err := pool.OutShape(st.shape); err != nil {
			what := "2x2 pooling"
			if s.Pool == "fractional" {
				what = fmt.Sprintf("fractional pooling by %g", s.PoolRatio)
			}
			return fmt.Errorf("%s: the image is %v at this stage, too small for another %s: use fewer stages", key, st.shape, what)
		}
		if err := st.add(key, "pool", pool); err != nil {
			return err
		}
		b.adopt(fmt.Sprintf("stage%d", i+1), st)
	}
	if err := b.add("model", "flatten", &nn.Flatten{}); err != nil {
		return err
	}
	return b.fullyConnected(s.Hidden, true)
}

// buildResNet is the CIFAR ResNet of He et al. (2016), depth 6n+2: a 3x3
// stem convolution with batch norm and act, three stages of n basic blocks
// with width, 2·width and 4·width channels (stride 2 at the start of stages
// 2 and 3, projection shortcuts where the shape changes), global average
// pooling and the classifier.
func buildResNet(b *builder) error {
	s := b.spec
	if err := b.image("model.arch resnet"); err != nil {
		return err
	}
	n := (s.Depth - 2) / 6 // Validate checked depth = 6n+2, n >= 1
	stem := b.sub()
	if err := stem.add("model.width", "conv", nn.NewConv2d(stem.channels(), s.Width, 3, 3, 1, 1, false)); err != nil {
		return err
	}
	if err := stem.add("model.width", "bn", nn.NewBatchNorm(s.Width, 0, 0)); err != nil {
		return err
	}
	if err := stem.act("model.activation", "act"); err != nil {
		return err
	}
	b.adopt("stem", stem)
	for stage := 1; stage <= 3; stage++ {
		width := s.Width << (stage - 1)
		st := b.sub()
		for i := 1; i <= n; i++ {
			stride := 1
			if stage > 1 && i == 1 {
				stride = 2
			}
			blk, err := nn.NewBasicBlock(st.channels(), width, stride, func() (nn.Layer, error) { return s.activation(width) })
			if err != nil {
				return fmt.Errorf("model.arch resnet: %w", err)
			}
			if err := st.add("model.depth", fmt.Sprintf("block%d", i), blk); err != nil {
				return err
			}
		}
		b.adopt(fmt.Sprintf("stage%d", stage), st)
	}
	if err := b.add("model", "pool", &nn.GlobalAvgPool{}); err != nil {
		return err
	}
	return b.fullyConnected(nil, true)
}
