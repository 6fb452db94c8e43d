package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nettrain/nettrain/pkg/curves"
)

// plotFile is the image `nettrain plot RUN` writes into RUN by default.
const plotFile = "curves.png"

// plotOptions are the flags of `nettrain plot`.
type plotOptions struct {
	out                 string
	metrics             []string
	ratios, noRatios    bool
	ratiosGiven         bool // --ratios was on the command line
	ratioLow, ratioHigh float64
}

func (a *app) plotCommand() *cobra.Command {
	o := &plotOptions{}
	cmd := &cobra.Command{
		Use:   "plot RUN [RUN...] [--out curves.png|curves.svg] [--metric loss,acc,lr,...] [--no-ratios] [--ratio-low 1e-4 --ratio-high 1e-1]",
		Short: "Plot the learning curves of runs and say what they show (overfitting, a rate too high, ...)",
		Long: `plot reads each RUN folder's metrics.csv (one row per epoch) and steps.csv (one row per
optimizer step); a search folder stands for its trials. It prints what the curves show, one
line per verdict (diverged, overfitting, underfitting, flat-start, spikes, noisy,
still-improving or healthy) with the numbers behind it and what to try, and draws them:
loss (per epoch, and each step's loss as light dots with their moving-median trend) and
accuracy, train solid and val dashed, one colour per run, and each weight tensor's update
ratio on a log axis over the shaded healthy band when steps.csv has them.

The image goes to --out (.png or .svg; default RUN/curves.png for one RUN). The band comes
from --ratio-low/--ratio-high, else from the first run's config.yaml (monitor.ratio_low,
monitor.ratio_high), else the config defaults (1e-4 and 1e-1).`,
		Args: cobra.MinimumNArgs(1),
		RunE: a.runE(func(cmd *cobra.Command, args []string) error {
			o.ratiosGiven = cmd.Flags().Changed("ratios")
			return a.plot(o, args)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "", "image to write, .png or .svg (default: RUN/"+plotFile+" for one RUN; required for several)")
	f.StringSliceVar(&o.metrics, "metric", nil, "panels, in order: loss, acc, ratios or any column of metrics.csv or steps.csv (default loss,acc)")
	f.BoolVar(&o.ratios, "ratios", true, "add the update-ratio panel when steps.csv has update ratios")
	f.BoolVar(&o.noRatios, "no-ratios", false, "leave the update-ratio panel out")
	f.Float64Var(&o.ratioLow, "ratio-low", 0, "low end of the shaded healthy update-ratio band (default: monitor.ratio_low of the run, else 1e-4)")
	f.Float64Var(&o.ratioHigh, "ratio-high", 0, "high end of the band (default: monitor.ratio_high of the run, else 1e-1)")
	return cmd
}

func (a *app) plot(o *plotOptions, args []string) error {
	out := o.out
	if out == "" {
		if len(args) > 1 {
			return &inputError{errors.New("--out: required with several runs (the image has no one run folder to go into)")}
		}
		out = filepath.Join(args[0], plotFile)
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(out)), ".")
	switch {
	case !slices.Contains(curves.Formats, format):
		return &inputError{fmt.Errorf("--out %s: the extension must be .%s", out, strings.Join(curves.Formats, " or ."))}
	case o.noRatios && o.ratios && o.ratiosGiven:
		return &inputError{errors.New("--ratios and --no-ratios: pass one of them")}
	case o.ratioLow < 0 || o.ratioHigh < 0:
		return &inputError{fmt.Errorf("--ratio-low/--ratio-high: must be > 0, got %g and %g", o.ratioLow, o.ratioHigh)}
	}
	runs, err := curves.LoadAll(args)
	if err != nil {
		return &inputError{err}
	}
	opts := curves.PlotOptions{Metrics: o.metrics, Ratios: o.ratios && !o.noRatios}
	opts.RatioLow, opts.RatioHigh = ratioBand(o, runs)
	if !(opts.RatioLow < opts.RatioHigh) {
		return &inputError{fmt.Errorf("--ratio-low %g: must be below --ratio-high %g", opts.RatioLow, opts.RatioHigh)}
	}
	if err := curves.CheckMetrics(runs, o.metrics); err != nil {
		return &inputError{fmt.Errorf("--metric: %w", err)}
	}
	if len(runs) == 1 && runs[0].Empty() {
		return &inputError{fmt.Errorf("%s: nothing to plot: %s has no epoch row and %s no step row (the run stopped before its first epoch ended: diverged, failed or killed)",
			runs[0].Dir, curves.MetricsFile, curves.StepsFile)}
	}
	opts.Caption = printDiagnoses(a.stdout, runs)
	if err := writeOutput("--out", out, func(w io.Writer) error { return curves.Plot(runs, opts, w, format) }); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %s\n", out)
	return nil
}

// ratioBand returns the update-ratio band: the flags, else the first run
// with a band in its config.yaml, else the defaults.
func ratioBand(o *plotOptions, runs []*curves.Run) (lo, hi float64) {
	lo, hi = curves.DefaultRatioLow, curves.DefaultRatioHigh
	for _, r := range runs {
		if r.RatioLow > 0 && r.RatioHigh > 0 {
			lo, hi = r.RatioLow, r.RatioHigh
			break
		}
	}
	if o.ratioLow > 0 {
		lo = o.ratioLow
	}
	if o.ratioHigh > 0 {
		hi = o.ratioHigh
	}
	return lo, hi
}

// printDiagnoses prints each run's notes and verdicts, one line each
// (indented under the run's name when there are several), and returns the
// figure's caption: the headline of one run, or each run's headline name.
func printDiagnoses(w io.Writer, runs []*curves.Run) string {
	var heads []string
	for _, r := range runs {
		indent := ""
		if len(runs) > 1 {
			name := r.Name
			if r.Status != "" {
				name += " (" + r.Status + ")"
			}
			fmt.Fprintf(w, "%s:\n", name)
			indent = "  "
		}
		for _, n := range r.Notes {
			fmt.Fprintf(w, "%snote: %s\n", indent, n)
		}
		d := curves.Diagnose(r)
		for _, v := range d.Verdicts {
			fmt.Fprintf(w, "%s%s\n", indent, v)
		}
		if !r.Empty() {
			heads = append(heads, r.Name+": "+d.Headline().Name)
			if len(runs) == 1 {
				return r.Name + " — " + d.Headline().String()
			}
		}
	}
	return strings.Join(heads, " · ")
}
