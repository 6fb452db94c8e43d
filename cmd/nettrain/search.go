package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/nettrain/nettrain/pkg/dist"
	"github.com/nettrain/nettrain/pkg/search/runner"
	"github.com/spf13/cobra"
)

// searchOptions are the flags of `nettrain search`.
type searchOptions struct {
	config    configFlags
	out       string
	resume    string
	overwrite bool
	parallel  int
	quiet     bool
}

func (a *app) searchCommand() *cobra.Command {
	o := &searchOptions{}
	cmd := &cobra.Command{
		Use:   "search (-c CONFIG | --resume DIR) [--set key=value]... [--out DIR] [--parallel N]",
		Short: "Hyperparameter search over the config's search section: grid or random, coarse to fine stages, ASHA early stopping",
		Long: `search trains one trial per point of the config's search space, each as its own
'nettrain train' process in DIR/trials/NNN (a crashing trial cannot take the search down),
--parallel at a time with --threads/--parallel threads each. With scheduler asha a trial
pauses at each rung and is continued from its checkpoint only if it ranks in the top
1/reduction_factor there. Later stages narrow the space around the best trials of the
stage before and train longer.

It writes DIR/search.csv (one row per trial), DIR/best.yaml (the best trial's config,
ready for 'nettrain train'), DIR/search.png and DIR/search.json (the state), DIR being
--out (default: the config's output.dir + "-search"). A killed or interrupted search
continues with --resume DIR: no finished trial is rerun, interrupted trials continue
from their checkpoints, the rungs and promotions are restored.`,
		Args: cobra.NoArgs,
		RunE: a.runE(func(*cobra.Command, []string) error { return a.search(o) }),
	}
	f := cmd.Flags()
	f.StringVarP(&o.config.path, "config", "c", "", "experiment config (YAML) with a search section")
	f.StringArrayVar(&o.config.overrides, "set", nil, "override a config key, e.g. --set search.trials=8 (repeatable)")
	f.StringVar(&o.out, "out", "", `search folder (default: output.dir + "-search")`)
	f.StringVar(&o.resume, "resume", "", "continue the search in DIR")
	f.BoolVar(&o.overwrite, "overwrite", false, "replace a search already in the folder")
	f.IntVar(&o.parallel, "parallel", 0, "trials trained at once (0 = one per --threads thread, which fills the cores)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress bar")
	return cmd
}

func (a *app) search(o *searchOptions) (err error) {
	comm, err := a.openComm()
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("search: cannot find the nettrain executable for the trials: %w", err)
	}
	local := runner.Process{Exe: exe}
	interrupt, stop := a.catchSignals(comm, "stopping the running trials at their next step, each writing its checkpoints/last.ckpt (continue with --resume)")
	defer stop()
	if comm.Rank() > 0 {
		// A worker of a distributed search: rank 0 validates, schedules
		// and reports; this rank trains what it is given.
		return runner.Work(a.control, local, interrupt.ch)
	}
	threads := a.threads
	if threads <= 0 {
		threads = max(runtime.NumCPU()/dist.LocalSize(), 1)
	}
	parallel := o.parallel
	if parallel <= 0 {
		parallel = threads
	}
	var launcher runner.Launcher = local
	slots := parallel
	if comm.Size() > 1 {
		// Started before the flags are checked: Close then tells the
		// other ranks to stop, whatever ends the search.
		ranks := runner.NewRanks(a.control, local, parallel)
		defer func() {
			if cerr := ranks.Close(); err == nil {
				err = cerr
			}
		}()
		launcher, slots = ranks, ranks.Slots()
		survive := "a rank that dies loses its running trials, which are rerun on the other ranks"
		if !dist.RecoveryEnabled() {
			survive = "a rank that dies ends the job (start it with `mpirun --enable-recovery` to go on without that rank)"
		}
		fmt.Fprintf(a.stdout, "distributed search: %d ranks × %d trials at once; %s\n", comm.Size(), parallel, survive)
	}
	switch {
	case o.resume == "" && o.config.path == "":
		return &inputError{errors.New(`required flag "config" not set: pass -c CONFIG, or --resume DIR`)}
	case o.resume != "" && (o.config.path != "" || len(o.config.overrides) > 0):
		return &inputError{errors.New("-c/--set: not allowed with --resume (the search continues with DIR/search.yaml)")}
	case o.resume != "" && o.out != "":
		return &inputError{errors.New("--out: not allowed with --resume (the search folder is DIR)")}
	case o.resume != "" && o.overwrite:
		return &inputError{errors.New("--overwrite: not allowed with --resume, which keeps the search")}
	case o.parallel < 0:
		return &inputError{fmt.Errorf("--parallel: must be >= 0, got %d", o.parallel)}
	}
	opt := runner.Options{
		ConfigPath: o.config.path, Dir: o.out, Overwrite: o.overwrite,
		Parallel: slots, Threads: max(1, threads/parallel), Stdout: a.stdout, Launcher: launcher,
	}
	if o.resume != "" {
		opt.Resume, opt.Dir = true, o.resume
	} else {
		cfg, err := o.config.load()
		if err != nil {
			return err
		}
		opt.Config = cfg
	}
	var progress io.Writer
	if a.terminal && !o.quiet {
		progress = a.stderr
	}
	opt.Progress = progress
	opt.Interrupt = interrupt.ch
	_, err = runner.Run(opt)
	var in *runner.Interrupted
	if errors.As(err, &in) {
		if sig := interrupt.received(); sig != nil {
			return &searchInterrupted{err: in, signal: sig}
		}
	}
	return err
}

// searchInterrupted is a search stopped by a signal; it exits 128+signo.
type searchInterrupted struct {
	err    *runner.Interrupted
	signal os.Signal
}

func (e *searchInterrupted) Error() string {
	return fmt.Sprintf("interrupted (%v): %v", e.signal, e.err)
}
