package main

import (
	"fmt"
	"strings"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/run"
	"github.com/spf13/cobra"
)

// checkpointSelection are the flags that turn a run folder among the
// arguments into its kept checkpoints (eval, average).
type checkpointSelection struct {
	topK   int
	metric string
}

func (s *checkpointSelection) addFlags(cmd *cobra.Command) {
	cmd.Flags().IntVar(&s.topK, "top-k", 0, "a run folder among the arguments stands for its K best kept checkpoints by --metric (0: all of them, one per epoch)")
	cmd.Flags().StringVar(&s.metric, "metric", "val_acc", "the metric that ranks a run folder's checkpoints: "+strings.Join(config.MonitoredMetrics, ", "))
}

// expand replaces the run folders among args by their selected checkpoints.
func (s *checkpointSelection) expand(args []string) ([]string, error) {
	return run.ExpandCheckpoints(args, s.metric, s.topK)
}

// averageOptions are the flags of `nettrain average`.
type averageOptions struct {
	checkpointSelection
	out       string
	bnUpdate  bool
	data      string
	batchSize int
	json      bool
}

func (a *app) averageCommand() *cobra.Command {
	o := &averageOptions{}
	cmd := &cobra.Command{
		Use:   "average CHECKPOINT...|RUN_DIR --out avg.ckpt [--top-k K --metric val_acc] [--bn-update=false]",
		Short: "Average the weights of checkpoints of one architecture (uniform, float64), re-estimating batch-norm statistics",
		Long: `Average the weights of several checkpoints of one architecture into one
checkpoint (Polyak averaging of snapshots; Izmailov et al. 2018). A run
folder stands for its kept checkpoints (checkpoint.every, keep_best), or the
--top-k best of them by --metric. The sum is taken in float64. Batch-norm
running statistics of an average are not the average of the statistics:
by default they are re-estimated by one pass over the first member's
training split, as a cumulative average (PyTorch's update_bn).`,
		Args: cobra.MinimumNArgs(1),
		RunE: a.runE(func(_ *cobra.Command, args []string) error {
			if o.out == "" {
				return &inputError{fmt.Errorf("average: --out FILE is required")}
			}
			paths, err := o.expand(args)
			if err != nil {
				return err
			}
			rep, err := run.AverageCheckpoints(paths, o.out, run.AverageOptions{
				BNUpdate: o.bnUpdate, DataDir: o.data, BatchSize: o.batchSize, Pool: a.pool})
			if err != nil {
				return err
			}
			if o.json {
				return a.printJSON(rep)
			}
			for _, p := range rep.Members {
				fmt.Fprintf(a.stdout, "member %s\n", p)
			}
			switch {
			case rep.BatchNorms > 0:
				fmt.Fprintf(a.stdout, "batch norm: re-estimated the statistics of %d layers over %d training examples\n", rep.BatchNorms, rep.Examples)
			case o.bnUpdate:
				fmt.Fprintln(a.stdout, "batch norm: none in the model")
			default:
				fmt.Fprintln(a.stdout, "batch norm: statistics averaged like the weights (--bn-update=false)")
			}
			fmt.Fprintf(a.stdout, "wrote %s, the average of %d checkpoints\n", rep.Out, len(rep.Members))
			return nil
		}),
	}
	o.addFlags(cmd)
	cmd.Flags().StringVarP(&o.out, "out", "o", "", "the averaged checkpoint to write (required)")
	cmd.Flags().BoolVar(&o.bnUpdate, "bn-update", true, "re-estimate batch-norm statistics by one pass over the training split")
	cmd.Flags().StringVar(&o.data, "data", "", "data folder of the batch-norm pass (default: the one stored in the first checkpoint's config)")
	cmd.Flags().IntVar(&o.batchSize, "batch-size", 0, "batch size of the batch-norm pass (default: train.batch_size of the run)")
	cmd.Flags().BoolVar(&o.json, "json", false, "print one JSON object")
	return cmd
}
