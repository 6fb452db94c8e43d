package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/export"
	"github.com/nettrain/nettrain/pkg/run"
	"github.com/spf13/cobra"
)

// exportOptions are the flags of `nettrain export`.
type exportOptions struct {
	format     string
	out        string
	ema        bool
	preprocess bool
}

func (a *app) exportCommand() *cobra.Command {
	o := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export CHECKPOINT --format safetensors|pytorch|onnx --out FILE [--ema] [--preprocess]",
		Short: "Write a checkpoint's model as safetensors (PyTorch names), a PyTorch module or ONNX",
		Long: `Write a checkpoint's model for other tools:

  safetensors  the weights as the state_dict of the equivalent PyTorch module
               (nettrain's tensor names; batch norms add num_batches_tracked),
               the fitted preprocessing's tensors (preprocess.*), and in the
               metadata the class names and the preprocessing header
  pytorch      the same safetensors file and, beside it (FILE with .py), a
               Python module defining the network as a torch.nn.Module and a
               load() that reads the file with torch alone
  onnx         an ONNX model, opset 13: input "input" (N,C,H,W) with a dynamic
               batch, output "logits"; --preprocess puts the preprocessing
               first in the graph so that it takes raw pixels

Dropout, DropConnect and stochastic depth are the identity in evaluation and
export as such; fractional max-pooling has no equivalent and is an error.`,
		Args: cobra.ExactArgs(1),
		RunE: a.runE(func(_ *cobra.Command, args []string) error {
			return a.export(args[0], o)
		}),
	}
	cmd.Flags().StringVar(&o.format, "format", "", "output format: "+strings.Join(export.Formats, ", ")+" (required)")
	cmd.Flags().StringVarP(&o.out, "out", "o", "", "the file to write (required); pytorch also writes its module beside it, the name with .py")
	cmd.Flags().BoolVar(&o.ema, "ema", false, "export the EMA weights stored in the checkpoint (ema.enabled) instead of the raw ones")
	cmd.Flags().BoolVar(&o.preprocess, "preprocess", false, "onnx: put the stored preprocessing into the graph, so that it takes raw inputs")
	return cmd
}

// export loads the checkpoint at path and writes it as o says.
func (a *app) export(path string, o *exportOptions) error {
	opts := export.Options{Format: o.format, Out: o.out, Preprocess: o.preprocess}
	if err := opts.Validate(); err != nil {
		return err
	}
	load := run.LoadCheckpoint
	if o.ema {
		load = run.LoadCheckpointEMA
	}
	l, err := load(path)
	if err != nil {
		return err
	}
	weights := "raw"
	if o.ema {
		weights = "ema"
	}
	src := export.Source{
		Model: l.Model, Prep: l.Prep, ClassNames: l.ClassNames, BatchesTracked: l.Step,
		Metadata: map[string]string{
			export.MetaVersion: run.Version,
			"checkpoint":       filepath.Base(path),
			"epoch":            strconv.Itoa(l.Epoch),
			"weights":          weights,
		},
	}
	files, err := export.Write(src, opts)
	if err != nil {
		if engine.IsInputError(err) {
			return &inputError{fmt.Errorf("checkpoint %s: %w", path, err)}
		}
		return err
	}
	for _, f := range files {
		fmt.Fprintf(a.stdout, "wrote %s\n", f)
	}
	return nil
}
