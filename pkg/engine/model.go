package engine

import (
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/model"
)

// Version is nettrain's version, recorded in checkpoints and printed by
// `nettrain version`.
var Version = "0.1.0-dev"

// ModelSpec converts the config's model section to the registry's plain
// spec.
func ModelSpec(m config.Model) model.Spec {
	s := model.Spec{
		Arch: m.Arch, Hidden: m.Hidden, Widths: m.Widths, ConvsPerStage: m.ConvsPerStage, BatchNorm: m.BatchNorm,
		Pool: m.Pool, PoolRatio: m.PoolRatio, Depth: m.Depth, Width: m.Width, ZeroInitResidual: m.ZeroInitResidual, Dropout: m.Dropout,
		DropConnect: m.DropConnect, StochasticDepth: m.StochasticDepth, StochasticDepthMode: m.StochasticDepthMode,
		Activation: m.Activation, ActivationSlope: m.ActivationSlope, ActivationAlpha: m.ActivationAlpha,
		GELUApproximate: m.GELUApproximate, PReLUPerChannel: m.PReLUPerChannel,
		Init: m.Init, InitStd: m.InitStd, InitMode: m.InitMode, InitBound: m.InitBound, InitValue: m.InitValue,
		HeadInitScale: m.HeadInitScale,
	}
	for _, l := range m.Layers {
		s.Layers = append(s.Layers, model.LayerSpec{
			Type: l.Type, Name: l.Name, Out: l.Out, Bias: l.Bias, Init: l.Init, Kernel: l.Kernel, Stride: l.Stride,
			Padding: l.Padding, P: l.P, Slope: l.Slope, Alpha: l.Alpha, Approximate: l.Approximate, PerChannel: l.PerChannel,
			DropConnect: l.DropConnect, Drop: l.Drop, Ratio: l.Ratio, Overlapping: l.Overlapping, PseudoRandom: l.PseudoRandom,
			TestDraws: l.TestDraws,
		})
	}
	return s
}

// BuildModel builds the model of cfg for inputs of per-example shape in
// (C,H,W) and the given class count. Errors are input errors naming source
// (the config file) and the key.
func BuildModel(cfg *config.Config, source string, in []int, classes int) (*model.Model, error) {
	return buildModel(ModelSpec(cfg.Model), cfg.Seed, source, in, classes)
}

// BuildModel builds the plan's model, as the package-level BuildModel does
// for the config the plan came from.
func (p *Plan) BuildModel(source string, in []int, classes int) (*model.Model, error) {
	return buildModel(p.Model, p.Seed, source, in, classes)
}

func buildModel(spec model.Spec, seed uint64, source string, in []int, classes int) (*model.Model, error) {
	m, err := model.Build(spec, in, classes, seed)
	if err != nil {
		return nil, InputErrorf("%s: %w", source, err)
	}
	return m, nil
}
