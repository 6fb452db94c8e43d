package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/nettrain/nettrain/pkg/report"
	"github.com/spf13/cobra"
)

// sanityOptions are the flags of `nettrain sanity`.
type sanityOptions struct {
	config         configFlags
	overfitBatches int
	maxSteps       int
	json           bool
}

func (a *app) sanityCommand() *cobra.Command {
	o := &sanityOptions{}
	cmd := &cobra.Command{
		Use:   "sanity -c CONFIG [--set key=value]... [--json]",
		Short: "Check the initial loss against ln(C) and that the model can overfit a small sample",
		Args:  cobra.NoArgs,
		RunE:  a.runE(func(*cobra.Command, []string) error { return a.sanity(o) }),
	}
	o.config.register(cmd)
	cmd.Flags().IntVar(&o.overfitBatches, "overfit-batches", 5, "size of the overfit sample in mini-batches")
	cmd.Flags().IntVar(&o.maxSteps, "max-steps", 1000, "step budget of the overfit check")
	cmd.Flags().BoolVar(&o.json, "json", false, "print one JSON object")
	return cmd
}

func (a *app) sanity(o *sanityOptions) error {
	if o.overfitBatches < 1 || o.maxSteps < 1 {
		return &inputError{fmt.Errorf("--overfit-batches and --max-steps must be >= 1")}
	}
	cfg, err := o.config.load()
	if err != nil {
		return err
	}
	rep, err := report.Sanity(cfg, report.SanityOptions{ConfigPath: o.config.path, OverfitBatches: o.overfitBatches, MaxSteps: o.maxSteps, Pool: a.pool})
	if err != nil {
		return err
	}
	if o.json {
		b, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, string(b))
	} else {
		printSanity(a.stdout, rep)
	}
	if !rep.Passed {
		return &checkFailed{"sanity checks failed"}
	}
	return nil
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// printSanity writes a human-readable sanity report.
func printSanity(w io.Writer, r *report.SanityReport) {
	ic, oc, dc, gc := r.InitialLoss, r.Overfit, r.Data, r.Gradients
	fmt.Fprintf(w, "%s  data after preprocess %s: %d training examples, mean %.3g std %.3g, %d non-finite values, examples per class %s\n",
		passFail(dc.Passed), dc.Method, dc.Examples, dc.Mean, dc.Std, dc.NonFinite, classCounts(dc.Counts))
	if dc.Diagnosis != "" {
		fmt.Fprintf(w, "      %s\n", dc.Diagnosis)
	}
	fmt.Fprintf(w, "%s  initial loss %.4f vs ln(%d) = %.4f (within %.0f%%, %d examples, regularization off)\n",
		passFail(ic.Passed), ic.Loss, r.Classes, ic.Expected, 100*ic.Tolerance, ic.Examples)
	if ic.L2 > 0 || ic.L1 > 0 {
		pen := fmt.Sprintf("l2=%g", ic.L2)
		if ic.L1 > 0 {
			pen += fmt.Sprintf(" l1=%g", ic.L1)
		}
		fmt.Fprintf(w, "      with %s the loss is %.4f (must be higher)\n", pen, ic.LossWithReg)
	}
	if ic.Diagnosis != "" {
		fmt.Fprintf(w, "      %s\n", ic.Diagnosis)
	}
	printActivations(w, r)
	fmt.Fprintf(w, "%s  gradients: %d of %d sampled entries match central differences (step %g, %d examples, training mode)\n",
		passFail(gc.Passed), gc.Agree, gc.Entries, report.GradEps, gc.Examples)
	if gc.Diagnosis != "" {
		fmt.Fprintf(w, "      %s\n", gc.Diagnosis)
	}
	fmt.Fprintf(w, "%s  overfit %d examples: train accuracy %.4f after %d steps (budget %d, lr %g), loss %.4f → %.4f\n",
		passFail(oc.Passed), oc.Examples, oc.TrainAcc, oc.Steps, oc.MaxSteps, oc.LR, oc.InitialLoss, oc.FinalLoss)
	if oc.Diagnosis != "" {
		fmt.Fprintf(w, "      %s\n", oc.Diagnosis)
	}
	printVerdicts(w, r)
}

// printVerdicts writes the summary table: one row per check.
func printVerdicts(w io.Writer, r *report.SanityReport) {
	fmt.Fprintln(w, "verdict:")
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	for _, v := range r.Verdicts() {
		hint := ""
		if !v.Passed {
			hint = v.Hint
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", v.Check, passFail(v.Passed), v.Value, hint)
	}
	tw.Flush()
	for line := range strings.Lines(table.String()) {
		fmt.Fprintln(w, strings.TrimRight(line, " \n"))
	}
}

// classCounts prints per-class counts compactly: all of them for up to 10
// classes, else the smallest and the largest.
func classCounts(counts []int) string {
	if len(counts) <= 10 {
		return strings.Trim(fmt.Sprint(counts), "[]")
	}
	return fmt.Sprintf("%d to %d", slices.Min(counts), slices.Max(counts))
}

// printActivations writes the init diagnostics: one row per layer, then one
// advice line per flag. They are advice: they do not fail the checks.
func printActivations(w io.Writer, r *report.SanityReport) {
	if len(r.Activations) == 0 {
		return
	}
	fmt.Fprintf(w, "      activations at init (%d examples, eval mode):\n", min(report.DiagnosticExamples, r.InitialLoss.Examples))
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "      layer\tkind\tmean\tstd\tdead%%\tsaturated%%\tflag\n")
	for _, s := range r.Activations {
		dead, sat := "-", "-"
		switch s.Kind {
		case "relu":
			dead = fmt.Sprintf("%.1f", 100*s.DeadFrac)
		case "tanh", "sigmoid":
			sat = fmt.Sprintf("%.1f", 100*s.SaturatedFrac)
		}
		fmt.Fprintf(tw, "      %s\t%s\t%.3g\t%.3g\t%s\t%s\t%s\n", s.Name, s.Kind, s.Mean, s.Std, dead, sat, s.Flag)
	}
	tw.Flush()
	for line := range strings.Lines(table.String()) {
		fmt.Fprintln(w, strings.TrimRight(line, " \n"))
	}
	for _, warning := range r.Warnings {
		fmt.Fprintf(w, "WARN  %s\n", warning)
	}
}
