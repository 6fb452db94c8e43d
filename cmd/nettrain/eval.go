package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/nettrain/nettrain/pkg/run"
	"github.com/nettrain/nettrain/pkg/tensor"
	"github.com/spf13/cobra"
)

// evalOptions are the flags of `nettrain eval`.
type evalOptions struct {
	checkpointSelection
	data      string
	split     string
	batchSize int
	json      bool
	ema       bool
	ensemble  string
	tta       string
	// predictions is the per-example predictions file to write (.csv or
	// .json), or "".
	predictions string
}

func (a *app) evalCommand() *cobra.Command {
	o := &evalOptions{}
	cmd := &cobra.Command{
		Use:   "eval CHECKPOINT|RUN_DIR [CHECKPOINT...] [--ensemble mean|vote] [--top-k K] [--data DIR] [--split test|val|train] [--ema] [--tta flip] [--json]",
		Short: "Score a checkpoint (accuracy, loss, per-class accuracy, confusion matrix), or several as an ensemble",
		Long: `Score a checkpoint, or several as an ensemble. A run folder stands for its
kept checkpoints (one per epoch; --top-k best by --metric): the snapshot
ensemble of one run (cosine warm restarts with checkpoint.every = the cycle
length keep one snapshot per cycle).`,
		Args: cobra.MinimumNArgs(1),
		RunE: a.runE(func(_ *cobra.Command, args []string) error {
			args, err := o.expand(args)
			if err != nil {
				return err
			}
			if len(args) > 1 || o.ensemble != "" {
				return a.evalEnsemble(args, o)
			}
			return a.eval(args[0], o)
		}),
	}
	cmd.Flags().StringVar(&o.data, "data", "", "data folder (default: the one stored in the checkpoint's config)")
	cmd.Flags().StringVar(&o.split, "split", "test", "split to score: test, val or train (val/train are carved as in training)")
	cmd.Flags().IntVar(&o.batchSize, "batch-size", 0, "evaluation batch size (default: train.eval_batch_size of the run)")
	cmd.Flags().BoolVar(&o.json, "json", false, "print one JSON object")
	cmd.Flags().StringVar(&o.predictions, "predictions", "", "also write every example's label, predicted class and class probabilities to FILE (.csv, or .json)")
	cmd.Flags().StringVar(&o.ensemble, "ensemble", "", "with several checkpoints: mean (average the predicted probabilities; the default) or vote (majority of the members' classes)")
	o.addFlags(cmd)
	cmd.Flags().StringVar(&o.tta, "tta", "", ttaUsage)
	cmd.Flags().BoolVar(&o.ema, "ema", false, "score the EMA weights stored in the checkpoint (ema.enabled) instead of the raw ones")
	return cmd
}

// options returns the run package's options of the flags, checking
// --split.
func (o *evalOptions) options(pool *tensor.Pool) (run.EvalOptions, error) {
	switch o.split {
	case "test", "val", "train":
	default:
		return run.EvalOptions{}, &inputError{fmt.Errorf("--split: unknown split %q; allowed: test, val, train", o.split)}
	}
	flip, err := parseTTA(o.tta)
	if err != nil {
		return run.EvalOptions{}, err
	}
	return run.EvalOptions{DataDir: o.data, Split: o.split, BatchSize: o.batchSize, EMA: o.ema, FlipTTA: flip, Pool: pool}, nil
}

// ttaUsage is the help of --tta (eval and predict).
const ttaUsage = "test-time augmentation: flip (average each image's probabilities with its horizontal mirror's)"

// parseTTA checks a --tta value and reports whether it asks for the
// mirror: "" (none) or "flip".
func parseTTA(s string) (flip bool, err error) {
	switch s {
	case "":
		return false, nil
	case "flip":
		return true, nil
	}
	return false, &inputError{fmt.Errorf("--tta %q: allowed: flip", s)}
}

// printJSON writes v as one line of JSON.
func (a *app) printJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, string(b))
	return nil
}

func (a *app) eval(path string, o *evalOptions) error {
	eo, err := o.options(a.pool)
	if err != nil {
		return err
	}
	r, err := run.EvaluateCheckpoint(path, eo)
	if err != nil {
		return err
	}
	if o.predictions != "" {
		er, err := run.EvaluateEnsemble([]string{path}, run.EnsembleOptions{EvalOptions: eo})
		if err != nil {
			return err
		}
		if err := run.WritePredictions(o.predictions, er); err != nil {
			return err
		}
	}
	if o.json {
		return a.printJSON(r)
	}
	printEval(a.stdout, r)
	return nil
}

// evalEnsemble scores each checkpoint and their ensemble.
func (a *app) evalEnsemble(paths []string, o *evalOptions) error {
	eo, err := o.options(a.pool)
	if err != nil {
		return err
	}
	r, err := run.EvaluateEnsemble(paths, run.EnsembleOptions{Method: o.ensemble, EvalOptions: eo})
	if err != nil {
		return err
	}
	if o.predictions != "" {
		if err := run.WritePredictions(o.predictions, r); err != nil {
			return err
		}
	}
	if o.json {
		return a.printJSON(r)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "member\tepoch\taccuracy\tloss\n")
	for _, m := range r.Members {
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%.4f\n", m.Checkpoint, m.Epoch, m.Accuracy, m.Loss)
	}
	fmt.Fprintf(tw, "member mean\t\t%.4f\t%.4f\n", r.Mean.Accuracy, r.Mean.Loss)
	fmt.Fprintf(tw, "ensemble (%s of %d)\t\t%.4f\t%.4f\n", r.Method, len(r.Members), r.Accuracy, r.Loss)
	if err := tw.Flush(); err != nil {
		return err
	}
	tta := ""
	if r.Members[0].TTA != "" {
		tta = fmt.Sprintf(" (each member's with %s test-time augmentation)", r.Members[0].TTA)
	}
	fmt.Fprintf(a.stdout, "%s split, %d examples; the ensemble's loss is that of the averaged probabilities%s\n", r.Members[0].Split, r.N, tta)
	return nil
}

// printEval writes a human-readable evaluation report.
func printEval(w io.Writer, r *run.EvalReport) {
	weights := ""
	if r.EMA {
		weights = ", EMA weights"
	}
	if r.TTA != "" {
		weights += ", " + r.TTA + " test-time augmentation"
	}
	fmt.Fprintf(w, "checkpoint %s (epoch %d%s), %s split of %s\n", r.Checkpoint, r.Epoch, weights, r.Split, r.DataDir)
	fmt.Fprintf(w, "accuracy %.4f (%d/%d)  loss %.4f\n\n", r.Accuracy, r.Correct, r.N, r.Loss)
	name := func(c int) string {
		if r.ClassNames != nil {
			return fmt.Sprintf("%d %s", c, r.ClassNames[c])
		}
		return fmt.Sprint(c)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "class\taccuracy\tn\t")
	for c, acc := range r.PerClass {
		n := 0
		for _, v := range r.Confusion[c] {
			n += v
		}
		fmt.Fprintf(tw, "%s\t%.4f\t%d\t\n", name(c), acc, n)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nconfusion matrix (rows: true class, columns: predicted)")
	tw = tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	header := []string{""}
	for c := range r.Confusion {
		header = append(header, fmt.Sprint(c))
	}
	fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
	for t, row := range r.Confusion {
		cells := []string{fmt.Sprint(t)}
		for _, v := range row {
			cells = append(cells, fmt.Sprint(v))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	tw.Flush()
}
