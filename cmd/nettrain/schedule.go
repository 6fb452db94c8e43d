package main

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/report"
)

// scheduleOptions are the flags of `nettrain schedule`.
type scheduleOptions struct {
	config        configFlags
	out           string
	csv           string
	trainExamples int
}

func (a *app) scheduleCommand() *cobra.Command {
	o := &scheduleOptions{}
	cmd := &cobra.Command{
		Use:   "schedule -c CONFIG [--set key=value]... [--out lr.png] [--csv lr.csv] [--train-examples N]",
		Short: "Show the learning rate of every optimizer step of a run before training (plot, CSV or text)",
		Args:  cobra.NoArgs,
		RunE:  a.runE(func(*cobra.Command, []string) error { return a.schedule(o) }),
	}
	o.config.register(cmd)
	cmd.Flags().StringVar(&o.out, "out", "", "write a plot of lr over epochs (.png, .svg or .pdf)")
	cmd.Flags().StringVar(&o.csv, "csv", "", "write step,epoch,lr for every optimizer step")
	cmd.Flags().IntVar(&o.trainExamples, "train-examples", 0, "training examples per epoch (after the validation split); 0 = load the data to count them")
	return cmd
}

func (a *app) schedule(o *scheduleOptions) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(o.out)), ".")
	switch {
	case o.trainExamples < 0:
		return &inputError{fmt.Errorf("--train-examples: must be >= 1 (0 = count them from the data), got %d", o.trainExamples)}
	case o.out != "" && !slices.Contains(report.PlotFormats, format):
		return &inputError{fmt.Errorf("--out %s: the extension must be one of .%s", o.out, strings.Join(report.PlotFormats, ", ."))}
	}
	cfg, err := o.config.load()
	if err != nil {
		return err
	}
	n := o.trainExamples
	if n == 0 {
		if n, err = report.TrainExamples(cfg, a.pool.Threads()); err != nil {
			return err
		}
	}
	spe, err := report.OptimizerStepsPerEpoch(cfg, n)
	if err != nil {
		return err
	}
	pts, err := report.SchedulePreview(cfg, spe)
	if err != nil {
		return err
	}
	warmup, err := report.WarmupSteps(cfg, spe)
	if err != nil {
		return err
	}
	title := report.ScheduleTitle(cfg)
	var wrote []string
	if o.csv != "" {
		if err := writeOutput("--csv", o.csv, func(w io.Writer) error { return report.WriteScheduleCSV(w, pts) }); err != nil {
			return err
		}
		wrote = append(wrote, fmt.Sprintf("wrote %s (%d rows)", o.csv, len(pts)))
	}
	if o.out != "" {
		if err := writeOutput("--out", o.out, func(w io.Writer) error {
			return report.WriteSchedulePlot(w, pts, title, warmup, spe, format)
		}); err != nil {
			return err
		}
		wrote = append(wrote, "wrote "+o.out)
	}
	fmt.Fprintf(a.stdout, "schedule %s: %d epochs × %d optimizer steps = %d steps (%d training examples, batch %d, accumulate %d)",
		title, cfg.Train.Epochs, spe, len(pts), n, cfg.Train.BatchSize, max(cfg.Train.Accumulate, 1))
	if warmup > 0 {
		fmt.Fprintf(a.stdout, "; warmup ends after step %d", warmup)
	}
	fmt.Fprintln(a.stdout)
	if note := report.PlateauNote(cfg); note != "" {
		fmt.Fprintf(a.stdout, "note: %s\n", note)
	}
	if len(wrote) == 0 {
		printScheduleSummary(a.stdout, pts, spe)
	}
	for _, l := range wrote {
		fmt.Fprintln(a.stdout, l)
	}
	return nil
}

// writeOutput renders a file in memory and writes it atomically to path;
// an unwritable path is a bad flag (exit 2).
func writeOutput(flag, path string, render func(io.Writer) error) error {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return err
	}
	if err := checkpoint.WriteFileAtomic(path, b.Bytes()); err != nil {
		return &inputError{fmt.Errorf("%s: %w", flag, err)}
	}
	return nil
}

// printScheduleSummary prints the rate of the first and the last step of
// every epoch (one line per epoch; at most 40 lines, evenly spread), and
// the range.
func printScheduleSummary(w io.Writer, pts []report.StepLR, spe int) {
	epochs := len(pts) / spe
	lo, hi := pts[0].LR, pts[0].LR
	for _, p := range pts {
		lo, hi = min(lo, p.LR), max(hi, p.LR)
	}
	fmt.Fprintf(w, "%6s  %-12s  %s\n", "epoch", "first step", "last step")
	const most = 40
	for e := 0; e < epochs; e++ {
		if epochs > most && e != epochs-1 && e%((epochs+most-1)/most) != 0 {
			continue
		}
		fmt.Fprintf(w, "%6d  %-12.6g  %.6g\n", e+1, pts[e*spe].LR, pts[(e+1)*spe-1].LR)
	}
	fmt.Fprintf(w, "lr from %.6g to %.6g; --out lr.png or --csv lr.csv for every step\n", lo, hi)
}
