package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nettrain/nettrain/pkg/report"
)

// Files `nettrain lr-find` writes into its --out folder.
const (
	lrFindCSV   = "lr_find.csv"
	lrFindPlot  = "lr_find.png"
	lrCheckFile = "lr_check.csv"
)

// outputFile is a file a command writes and how to render it.
type outputFile struct {
	name   string
	render func(io.Writer) error
}

// lrFindOptions are the flags of `nettrain lr-find`.
type lrFindOptions struct {
	config configFlags
	out    string
	json   bool
	find   report.LRFindOptions
}

func (a *app) lrFindCommand() *cobra.Command {
	o := &lrFindOptions{find: report.DefaultLRFindOptions()}
	cmd := &cobra.Command{
		Use:   "lr-find -c CONFIG [--set key=value]... [--out DIR] [--rule valley|steep|minimum] [--rates 1e-1,1e-2,...]",
		Short: "Suggest a learning rate: the range test (rate raised exponentially until the loss blows up) and a check of fixed rates",
		Long: `lr-find trains throw-away copies of the config's model from its init (nothing the user has is changed):

  the range test: the rate rises exponentially from --start to --end over --steps optimizer steps,
  the loss is smoothed (EMA, beta 0.98, bias-corrected) and the test stops once it passes 4x its best;
  a rule (--rule) turns the curve into a rate: valley (fastai's default), steep (Lightning's) or minimum;

  the check: for each of --rates, --check-steps steps from the same init with a small weight decay,
  and how far the loss fell.

It writes lr_find.csv, lr_find.png and lr_check.csv into --out (default: the config's output.dir)
and prints the --set optimizer.lr=... line to use. The schedule, mixup and cutmix are not used.`,
		Args: cobra.NoArgs,
		RunE: a.runE(func(*cobra.Command, []string) error { return a.lrFind(o) }),
	}
	o.config.register(cmd)
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "", "folder for lr_find.csv, lr_find.png and lr_check.csv (default: the config's output.dir)")
	f.BoolVar(&o.json, "json", false, "print one JSON object instead of the tables")
	d := &o.find
	f.Float64Var(&d.Start, "start", d.Start, "first rate of the range test")
	f.Float64Var(&d.End, "end", d.End, "last rate of the range test")
	f.IntVar(&d.Steps, "steps", d.Steps, "optimizer steps of the range test")
	f.StringVar(&d.Rule, "rule", d.Rule, "how the suggestion is read off the curve: "+strings.Join(report.LRRules, ", "))
	f.Float64SliceVar(&d.CheckRates, "rates", d.CheckRates, "rates of the check")
	f.IntVar(&d.CheckSteps, "check-steps", d.CheckSteps, "optimizer steps per rate of the check")
	f.Float64Var(&d.CheckWeightDecay, "check-weight-decay", d.CheckWeightDecay, "the check's small weight decay (PyTorch's weight_decay; L2 penalty = it / 2)")
	f.BoolVar(&o.find.NoCheck, "no-check", false, "run the range test only")
	return cmd
}

func (a *app) lrFind(o *lrFindOptions) error {
	cfg, err := o.config.load()
	if err != nil {
		return err
	}
	out := o.out
	if out == "" {
		out = cfg.Output.Dir
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return &inputError{fmt.Errorf("--out %s: %w", out, err)}
	}
	o.find.ConfigPath, o.find.Pool = o.config.path, a.pool
	rep, err := report.LRFind(cfg, o.find)
	if err != nil {
		return err
	}
	files := []outputFile{
		{lrFindCSV, func(w io.Writer) error { return report.WriteLRFindCSV(w, rep) }},
		{lrFindPlot, func(w io.Writer) error { return report.WriteLRFindPlot(w, rep, "png") }},
	}
	if len(rep.Checks) > 0 {
		files = append(files, outputFile{lrCheckFile, func(w io.Writer) error { return report.WriteLRCheckCSV(w, rep) }})
	}
	var wrote []string
	for _, f := range files {
		path := filepath.Join(out, f.name)
		if err := writeOutput("--out", path, f.render); err != nil {
			return err
		}
		wrote = append(wrote, path)
	}
	if o.json {
		b, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, string(b))
		return nil
	}
	printLRFind(a.stdout, rep)
	fmt.Fprintf(a.stdout, "wrote %s\n", strings.Join(wrote, ", "))
	return nil
}

// printLRFind prints the range test's outcome, the check's table and the
// line to use.
func printLRFind(w io.Writer, r *report.LRFindReport) {
	first, last := r.Points[0], r.Points[len(r.Points)-1]
	fmt.Fprintf(w, "range test: %d steps, rate %.3g → %.3g", len(r.Points), first.LR, last.LR)
	if r.Stopped != "" {
		fmt.Fprintf(w, " (stopped: %s)", r.Stopped)
	}
	fmt.Fprintln(w)
	for _, rule := range report.LRRules {
		mark := ""
		if rule == r.Rule {
			mark = "  ← --rule"
		}
		fmt.Fprintf(w, "  %-8s %.3g%s\n", rule, r.Suggestions[rule], mark)
	}
	if len(r.Checks) > 0 {
		fmt.Fprintln(w, "check of fixed rates (same init, small weight decay):")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  rate\tsteps\tfirst loss\tlast loss\tdrop")
		for _, c := range r.Checks {
			drop := fmt.Sprintf("%.4f", c.Drop)
			if c.Diverged {
				drop = "diverged"
			}
			fmt.Fprintf(tw, "  %.3g\t%d\t%.4f\t%.4f\t%s\n", c.LR, c.Steps, c.First, c.Last, drop)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "suggested learning rate %.3g (%s): --set optimizer.lr=%.3g\n", r.Suggestion, r.Rule, r.Suggestion)
}
