package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// complete runs cobra's hidden __complete command, as the shell scripts do,
// and returns the candidates and the directive line (":6").
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	code, out, errs := nettrain(t, append([]string{cobra.ShellCompRequestCmd}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %q: exit %d, %s", args, code, errs)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return lines[:len(lines)-1], lines[len(lines)-1]
}

func TestCompleteSetKeys(t *testing.T) {
	noSpace := ":" + itoa(int(cobra.ShellCompDirectiveNoSpace|cobra.ShellCompDirectiveNoFileComp))
	tests := []struct {
		cmd, typed string
		want       []string // among the candidates
		only       string   // every candidate starts with it
		exact      bool     // the candidates are exactly want
	}{
		{cmd: "train", typed: "optimizer.", want: []string{"optimizer.lr=", "optimizer.momentum="}, only: "optimizer."},
		{cmd: "train", typed: "", want: []string{"seed=", "optimizer.", "train.", "augment="}},
		{cmd: "train", typed: "opt", want: []string{"optimizer."}, exact: true},
		{cmd: "train", typed: "optimizer.lr", want: []string{"optimizer.lr=", "optimizer.lr_decay="}, exact: true},
		{cmd: "train", typed: "train.mi", want: []string{"train.mixup."}, exact: true},
		{cmd: "train", typed: "train.mixup.", want: []string{"train.mixup.alpha=", "train.mixup.p="}, exact: true},
		{cmd: "train", typed: "schedule.", want: []string{"schedule.type=", "schedule.plateau."}, only: "schedule."},
		{cmd: "train", typed: "model.hid", want: []string{"model.hidden="}, exact: true},
		{cmd: "train", typed: "optimizer.momentun", want: nil, exact: true},
		{cmd: "validate", typed: "data.", want: []string{"data.dir="}, only: "data."},
		{cmd: "sanity", typed: "ema.", want: []string{"ema.enabled="}, only: "ema."},
		{cmd: "schedule", typed: "schedule.plateau.pa", want: []string{"schedule.plateau.patience="}, exact: true},
		{cmd: "augment", typed: "aug", want: []string{"augment="}, exact: true},
	}
	for _, tt := range tests {
		t.Run(tt.cmd+"/"+tt.typed, func(t *testing.T) {
			got, directive := complete(t, tt.cmd, "--set", "optimizer.lr=0.1", "--set", tt.typed)
			if directive != noSpace {
				t.Errorf("directive %s, want %s (no space, no files)", directive, noSpace)
			}
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("candidates %q lack %q", got, w)
				}
			}
			if tt.exact && len(got) != len(tt.want) {
				t.Errorf("candidates %q, want exactly %q", got, tt.want)
			}
			for _, g := range got {
				if !strings.HasPrefix(g, tt.only) || !strings.HasPrefix(g, tt.typed) {
					t.Errorf("candidate %q outside %q", g, tt.typed)
				}
				if !strings.HasSuffix(g, "=") && !strings.HasSuffix(g, ".") {
					t.Errorf("candidate %q ends in neither = nor .", g)
				}
			}
		})
	}

	// After the "=", the value is the user's: no keys, no file names.
	if got, directive := complete(t, "train", "--set", "optimizer.lr="); len(got) != 0 || directive != ":"+itoa(int(cobra.ShellCompDirectiveNoFileComp)) {
		t.Errorf("after '=': %q %s", got, directive)
	}
	// -c completes YAML files.
	if got, directive := complete(t, "validate", "-c", ""); !slices.Equal(got, []string{"yaml", "yml"}) || directive != ":"+itoa(int(cobra.ShellCompDirectiveFilterFileExt)) {
		t.Errorf("-c: %q %s, want the yaml and yml extensions", got, directive)
	}
}

// TestCompletionScripts checks that `nettrain completion SHELL` prints each
// shell's script, wired to the __complete command.
func TestCompletionScripts(t *testing.T) {
	for _, tt := range []struct{ shell, marker string }{
		{"bash", "complete -o default -F __start_nettrain nettrain"},
		{"zsh", "#compdef nettrain"},
		{"fish", "complete -c nettrain"},
		{"powershell", "Register-ArgumentCompleter"},
	} {
		t.Run(tt.shell, func(t *testing.T) {
			code, out, errs := nettrain(t, "completion", tt.shell)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			if !strings.Contains(out, tt.marker) || !strings.Contains(out, cobra.ShellCompRequestCmd) {
				t.Errorf("the %s script lacks %q or %q:\n%.300s", tt.shell, tt.marker, cobra.ShellCompRequestCmd, out)
			}
		})
	}
}

// itoa formats a completion directive as the __complete output does.
func itoa(n int) string { return strconv.Itoa(n) }
