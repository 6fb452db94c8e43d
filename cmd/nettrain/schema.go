package main

import (
	"github.com/spf13/cobra"

	"github.com/nettrain/nettrain/pkg/config"
)

func (a *app) schemaCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the config file (for editors: nettrain schema > nettrain.schema.json)",
		Long: `Print the JSON Schema (draft 2020-12) of the config file, generated from the
definitions the loader uses: keys, types, defaults, allowed names, ranges and
descriptions. An editor with a YAML language server completes and checks a
config that starts with

  # yaml-language-server: $schema=nettrain.schema.json

(a path relative to the config file, or a URL). The rules between keys are
checked by 'nettrain validate'.`,
		Args: cobra.NoArgs,
		RunE: a.runE(func(*cobra.Command, []string) error {
			s, err := config.JSONSchema()
			if err != nil {
				return err
			}
			_, err = a.stdout.Write(s)
			return err
		}),
	}
}
