package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/htmlreport"
)

// reportOptions are the flags of `nettrain report`.
type reportOptions struct {
	out string
}

func (a *app) reportCommand() *cobra.Command {
	o := &reportOptions{}
	cmd := &cobra.Command{
		Use:   "report RUN_DIR|SEARCH_DIR [--out report.html]",
		Short: "Write one self-contained HTML page of a run (curves, diagnosis, confusion matrix, histograms, config) or of a search (leaderboard, plots)",
		Args:  cobra.ExactArgs(1),
		RunE:  a.runE(func(_ *cobra.Command, args []string) error { return a.writeReport(args[0], o) }),
	}
	cmd.Flags().StringVar(&o.out, "out", "", "the page to write (default RUN_DIR/report.html)")
	return cmd
}

func (a *app) writeReport(dir string, o *reportOptions) error {
	out := o.out
	if out == "" {
		out = filepath.Join(dir, "report.html")
	}
	if ext := strings.ToLower(filepath.Ext(out)); ext != ".html" && ext != ".htm" {
		return engine.InputErrorf("--out %s: the report is an HTML page: name it *.html", out)
	}
	var buf bytes.Buffer
	if err := htmlreport.Write(&buf, htmlreport.Options{Dir: dir}); err != nil {
		return err
	}
	if err := checkpoint.WriteFileAtomic(out, buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %s (%.0f KiB, self-contained)\n", out, float64(buf.Len())/1024)
	return nil
}
