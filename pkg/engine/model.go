package engine

import (
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/model"
)

// Version is nettrain's version, recorded in checkpoints and printed by
// `nettrain version`.
var Version = "0.1.0-dev"

// BuildModel builds the model of cfg for inputs of per-example shape in
// (C,H,W) and the given class count. Errors are input errors naming source
// (the config file) and the key.
func BuildModel(cfg *config.Config, source string, in []int, classes int) (*model.Model, error) {
	return buildModel(cfg.Model, cfg.Seed, source, in, classes)
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
