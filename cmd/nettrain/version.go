package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/run"
)

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the nettrain version",
		Args:  cobra.NoArgs,
		RunE: a.runE(func(*cobra.Command, []string) error {
			fmt.Fprintf(a.stdout, "nettrain %s (%s, %s/%s, checkpoint format %d)\n", run.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH, checkpoint.Version)
			return nil
		}),
	}
}
