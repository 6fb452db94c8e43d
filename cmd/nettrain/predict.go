package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/run"
	"github.com/spf13/cobra"
)

// predictOptions are the flags of `nettrain predict`.
type predictOptions struct {
	out       string
	topK      int
	tta       string
	ema       bool
	resize    bool
	batchSize int
}

func (a *app) predictCommand() *cobra.Command {
	o := &predictOptions{}
	cmd := &cobra.Command{
		Use:   "predict CHECKPOINT.ckpt... INPUT... [--out FILE.csv|FILE.json] [--top-k K] [--tta flip] [--resize] [--ema]",
		Short: "Classify PNG/JPEG images (files or folders) with a checkpoint, or several as an ensemble",
		Long: `Classify images with one checkpoint, or with several as an ensemble (their mean
probabilities). The arguments ending in .ckpt are the checkpoints, the others
the inputs: PNG or JPEG files, or folders searched recursively in lexical
order. Images are decoded as the image-folder loader decodes training images
(pixels scaled to [0,1]; a gray image fills the three channels of an RGB
model) and must have the model's size unless --resize (bilinear); each
checkpoint applies its stored
preprocessing. Writes CSV (input, predicted, name, probability; with
--top-k K the K most probable classes) to stdout, or to --out (JSON for a
.json file).`,
		Args: cobra.MinimumNArgs(2),
		RunE: a.runE(func(_ *cobra.Command, args []string) error {
			var ckpts, inputs []string
			for _, s := range args {
				if strings.HasSuffix(s, ".ckpt") {
					ckpts = append(ckpts, s)
				} else {
					inputs = append(inputs, s)
				}
			}
			if len(inputs) == 0 {
				return &inputError{fmt.Errorf("predict: no input given: image files or folders after the checkpoints")}
			}
			flip, err := parseTTA(o.tta)
			if err != nil {
				return err
			}
			if o.topK < 1 {
				return &inputError{fmt.Errorf("--top-k %d: must be >= 1", o.topK)}
			}
			rows, err := run.Predict(ckpts, inputs, run.PredictOptions{TopK: o.topK, FlipTTA: flip, EMA: o.ema, Resize: o.resize, BatchSize: o.batchSize, Pool: a.pool})
			if err != nil {
				return err
			}
			if o.out == "" {
				return run.WriteImagePredictions(a.stdout, rows, false)
			}
			var b bytes.Buffer
			if err := run.WriteImagePredictions(&b, rows, run.IsJSONPath(o.out)); err != nil {
				return err
			}
			if err := checkpoint.WriteFileAtomic(o.out, b.Bytes()); err != nil {
				return &inputError{fmt.Errorf("--out %s: %v", o.out, err)}
			}
			fmt.Fprintf(a.stdout, "wrote %d predictions to %s\n", len(rows), o.out)
			return nil
		}),
	}
	cmd.Flags().StringVarP(&o.out, "out", "o", "", "write the predictions to FILE (.csv, or .json) instead of stdout")
	cmd.Flags().IntVar(&o.topK, "top-k", 1, "list the K most probable classes of each image")
	cmd.Flags().StringVar(&o.tta, "tta", "", ttaUsage)
	cmd.Flags().BoolVar(&o.resize, "resize", false, "scale images of another size to the model's (bilinear) instead of refusing them")
	cmd.Flags().BoolVar(&o.ema, "ema", false, "use the EMA weights stored in the checkpoints")
	cmd.Flags().IntVar(&o.batchSize, "batch-size", 0, "inference batch size (default: train.eval_batch_size of the run)")
	return cmd
}
