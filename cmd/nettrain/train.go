package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/nettrain/nettrain/pkg/engine"
)

// trainOptions are the flags of `nettrain train`.
type trainOptions struct {
	config    configFlags
	out       string
	overwrite bool
	quiet     bool
}

func (a *app) trainCommand() *cobra.Command {
	o := &trainOptions{}
	cmd := &cobra.Command{
		Use:   "train -c CONFIG [--set key=value]... [--out DIR]",
		Short: "Train a model from a config; writes checkpoints, metrics.csv and summary.json",
		Args:  cobra.NoArgs,
		RunE:  a.runE(func(*cobra.Command, []string) error { return a.train(o) }),
	}
	o.config.register(cmd)
	cmd.Flags().StringVar(&o.out, "out", "", "run directory (overrides output.dir)")
	cmd.Flags().BoolVar(&o.overwrite, "overwrite", false, "replace a run already in the run directory")
	cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "no progress bar")
	return cmd
}

func (a *app) train(o *trainOptions) error {
	cfg, err := o.config.load()
	if err != nil {
		return err
	}
	var progress io.Writer
	if a.terminal && !o.quiet {
		progress = a.stderr
	}
	_, err = engine.Train(cfg, engine.Options{
		ConfigPath: o.config.path, OutDir: o.out, Overwrite: o.overwrite, Stdout: a.stdout, Progress: progress,
	})
	return err
}
