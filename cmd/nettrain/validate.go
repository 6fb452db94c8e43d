package main

import (
	"fmt"

	"github.com/nettrain/nettrain/pkg/run"
	"github.com/spf13/cobra"
)

// validateOptions are the flags of `nettrain validate`.
type validateOptions struct{ config configFlags }

func (a *app) validateCommand() *cobra.Command {
	o := &validateOptions{}
	cmd := &cobra.Command{
		Use:   "validate -c CONFIG [--set key=value]...",
		Short: "Check a config (keys, values, data folder, model shapes) and print the model summary",
		Args:  cobra.NoArgs,
		RunE:  a.runE(func(*cobra.Command, []string) error { return a.validate(o) }),
	}
	o.config.register(cmd)
	return cmd
}

func (a *app) validate(o *validateOptions) error {
	cfg, err := o.config.load()
	if err != nil {
		return err
	}
	m, err := run.CheckConfig(cfg, o.config.path, a.pool.Threads())
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: valid\n", o.config.path)
	return m.Summary(a.stdout)
}
