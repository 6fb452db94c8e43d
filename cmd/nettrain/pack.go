package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nettrain/nettrain/pkg/data"
	"github.com/spf13/cobra"
)

// packOptions are the flags of `nettrain pack`.
type packOptions struct {
	out    string
	format string
	shard  int
}

// packFormats are the data formats pack reads: the ones that hold 8-bit
// images (a CSV table holds arbitrary floats).
var packFormats = []string{data.FormatIDX, data.FormatFolder}

func (a *app) packCommand() *cobra.Command {
	o := &packOptions{}
	cmd := &cobra.Command{
		Use:   "pack DATA_DIR --out DIR [--format idx|folder] [--shard N]",
		Short: "Pack a data set's splits into memory-mapped files (data.format: packed)",
		Long: `Pack the train and test splits of an IDX or image-folder data set into
DIR/train.ntpack and DIR/test.ntpack: the 8-bit pixels one example after
another, the labels, the class names and a CRC-32C per shard of --shard
examples. A config with data.format: packed and data.dir: DIR trains on them
memory-mapped: the pixels stay in the page cache, which the kernel shares
and can drop, instead of in the process's memory, so memory no longer grows
with the data set. Shuffling, validation splits, augmentation and resume
work as in memory, and give the same bits. An image folder is decoded as it
is written (on the --threads workers), a block of images at a time, so
packing needs no more memory than one block. Each file is written to a
temporary name and renamed when complete.`,
		Args: cobra.ExactArgs(1),
		RunE: a.runE(func(_ *cobra.Command, args []string) error {
			if o.out == "" {
				return &inputError{errors.New("pack: --out DIR is required")}
			}
			if !slices.Contains(packFormats, o.format) {
				return &inputError{fmt.Errorf("pack: --format %q: allowed: %s (CSV tables hold float values, which packed files do not)", o.format, strings.Join(packFormats, ", "))}
			}
			if o.shard < 1 {
				return &inputError{fmt.Errorf("pack: --shard %d: must be >= 1", o.shard)}
			}
			dir := args[0]
			if err := os.MkdirAll(o.out, 0o755); err != nil {
				return &inputError{fmt.Errorf("pack: --out: %v", err)} // the error names the path
			}
			for _, split := range []string{"train", "test"} {
				// A folder is streamed: decoded a block at a time as it is
				// written, so packing holds one block, not the data set.
				d, err := data.LoadWith(o.format, dir, split, data.LoadOptions{Workers: a.pool.Threads(), Stream: o.format == data.FormatFolder})
				if err != nil {
					if split == "test" && !splitPresent(o.format, dir, split) {
						fmt.Fprintf(a.stdout, "test: no test split in %s, skipped\n", dir)
						continue
					}
					return &inputError{err}
				}
				path := data.PackedSplitFile(o.out, split)
				if err := data.WritePacked(path, d, o.shard); err != nil {
					return &inputError{err}
				}
				fmt.Fprintf(a.stdout, "%s: %d examples of (%d,%d,%d), %d classes -> %s\n", split, d.N, d.C, d.H, d.W, d.Classes, path)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&o.out, "out", "", "folder to write train.ntpack and test.ntpack into (created if missing)")
	cmd.Flags().StringVar(&o.format, "format", data.FormatIDX, "format of DATA_DIR: "+strings.Join(packFormats, ", "))
	cmd.Flags().IntVar(&o.shard, "shard", data.DefaultShardExamples, "examples per checksummed shard")
	return cmd
}

// splitPresent reports whether dir has any file of split in format: the
// test split of a data set may be absent.
func splitPresent(format, dir, split string) bool {
	var pattern string
	switch format {
	case data.FormatFolder:
		pattern = filepath.Join(dir, split)
	default:
		pattern = filepath.Join(dir, map[string]string{"train": "train-*", "test": "t10k-*"}[split])
	}
	m, _ := filepath.Glob(pattern)
	return len(m) > 0
}
