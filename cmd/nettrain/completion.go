package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/nettrain/nettrain/pkg/config"
)

// completeConfigFlags registers the shell completion of the config flags of
// every subcommand of root that has them: --set completes config keys, -c
// YAML files.
func completeConfigFlags(root *cobra.Command) {
	for _, cmd := range root.Commands() {
		if cmd.Flags().Lookup("set") != nil {
			_ = cmd.RegisterFlagCompletionFunc("set", completeSetKey)
		}
		if cmd.Flags().Lookup("config") != nil {
			_ = cmd.MarkFlagFilename("config", "yaml", "yml")
		}
	}
}

// completeSetKey completes the value of --set: the config key paths that
// start with what is typed, one level at a time, as a shell completes file
// paths. A key that names a value is offered with "=" ("optimizer.lr="), a
// section with "." ("optimizer.", "train.mixup."); no space follows either.
// After the "=" nothing is offered.
func completeSetKey(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if strings.Contains(toComplete, "=") {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return setKeyCandidates(config.KeyPaths(), toComplete), cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
}

// setKeyCandidates returns, in schema order and without repeats, each key
// of keys that starts with prefix, cut after the segment the prefix ends
// in: "k=" when that segment is the last, "section." otherwise.
func setKeyCandidates(keys []string, prefix string) []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		c := k + "="
		if i := strings.IndexByte(k[len(prefix):], '.'); i >= 0 {
			c = k[:len(prefix)+i+1]
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}
