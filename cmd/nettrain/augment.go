package main

import (
	"bytes"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/report"
)

// augmentOptions are the flags of `nettrain augment`.
type augmentOptions struct {
	config configFlags
	out    string
	n, k   int
}

func (a *app) augmentCommand() *cobra.Command {
	o := &augmentOptions{}
	cmd := &cobra.Command{
		Use:   "augment -c CONFIG --out GRID.png [--n 8] [--k 5] [--set key=value]...",
		Short: "Write a PNG grid of training images and their augmented versions (the config's augment list)",
		Long: "Writes a PNG grid: one row per training example (the first --n of the training split), the original\n" +
			"first, then its augmented versions in epochs 0 … k-1, exactly as training draws them.",
		Args: cobra.NoArgs,
		RunE: a.runE(func(*cobra.Command, []string) error { return a.augment(o) }),
	}
	o.config.register(cmd)
	cmd.Flags().StringVar(&o.out, "out", "", "PNG file to write")
	cmd.Flags().IntVar(&o.n, "n", 8, "training images (rows)")
	cmd.Flags().IntVar(&o.k, "k", 5, "augmented versions per image (columns after the original)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func (a *app) augment(o *augmentOptions) error {
	if o.n < 1 || o.k < 1 {
		return &inputError{fmt.Errorf("--n and --k must be >= 1, got %d and %d", o.n, o.k)}
	}
	cfg, err := o.config.load()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.AugmentPreview(cfg, o.n, o.k, a.pool.Threads(), &buf); err != nil {
		return err
	}
	if err := checkpoint.WriteFileAtomic(o.out, buf.Bytes()); err != nil {
		return &inputError{fmt.Errorf("--out %s: %w", o.out, err)}
	}
	fmt.Fprintf(a.stdout, "wrote %s: up to %d training images, each original + %d augmented versions (epochs 0-%d)\n", o.out, o.n, o.k, o.k-1)
	return nil
}
