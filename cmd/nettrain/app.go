package main

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/dist"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1 // a run failed or a check did not pass
	exitUsage  = 2 // bad usage or bad input
	// exitDiverged: training diverged (a non-finite loss or weight, or a
	// loss above train.divergence_factor or train.max_loss_factor); a
	// search marks such a trial "diverged" instead of "failed".
	exitDiverged = 3
)

// app holds what every command shares: where output goes, whether a
// command's own code started (errors before that are usage errors) and
// the thread budget of the command (--threads), made when it starts.
type app struct {
	stdout, stderr io.Writer
	terminal       bool
	started        bool
	threads        int
	pool           *tensor.Pool // the command's compute threads, while it runs
	// comm is the job's communicator once a command opened it (openComm);
	// execute closes it, or aborts the job when this rank failed.
	comm dist.Comm
	// control is the job's control network when it has more than one
	// rank: how a rank learns that another died.
	control *dist.Control
}

// openComm opens the process's communicator (dist.Open) for the command
// and, under mpirun, connects the ranks' control network (a.control);
// execute ends both after the command's error is reported.
func (a *app) openComm() (dist.Comm, error) {
	comm, err := dist.Open()
	if err != nil {
		return nil, err
	}
	a.comm = comm
	if comm.Size() > 1 {
		if a.control, err = dist.ConnectControl(comm); err != nil {
			return nil, err
		}
		if comm.Rank() == 0 && dist.RecoveryEnabled() {
			fmt.Fprintln(a.stdout, "mpirun --enable-recovery: a rank that dies does not stop the others, and mpirun's exit status is 0 whatever the ranks end with (OpenMPI 4.1): the outcome is in this output and the folder's summary.json or search.json")
		}
	}
	return comm, nil
}

// endWithPeers ends this rank of a data-parallel job when another rank is
// gone: the collectives would wait for it forever (under mpirun
// --enable-recovery; without it mpirun stops every rank itself).
func (a *app) endWithPeers(resume string) {
	if a.control == nil {
		return
	}
	ctl, comm := a.control, a.comm
	go func() {
		for e := range ctl.Events() {
			if e.Gone != nil {
				who := ""
				if comm.Rank() > 0 {
					who = fmt.Sprintf("rank %d: ", comm.Rank())
				}
				fmt.Fprintf(a.stderr, "nettrain: %s%v; a data-parallel job cannot go on without it: continue from the last checkpoint with `mpirun … train --resume %s`\n", who, e.Gone, resume)
				comm.Abort(exitFailed)
			}
		}
	}()
}

// endComm ends the communicator after the command returned err, reported
// with exit status code: a clean end (MPI_Finalize on every rank) when the
// command succeeded or every rank stopped together on a signal, and the
// end of the whole job otherwise. A rank that failed alone (rank 0 finding
// the run folder taken, a checkpoint it cannot write) cannot finalize: the
// other ranks would wait forever in the next collective. Nor can a rank
// that lost a peer (mpirun --enable-recovery kept it running): MPI_Finalize
// would wait for the dead rank. The control network closes first.
func (a *app) endComm(err error, code int) {
	if a.comm == nil {
		return
	}
	var in *interrupted
	var sin *searchInterrupted
	if code != exitOK && a.comm.Size() > 1 && !errors.As(err, &in) && !errors.As(err, &sin) {
		a.comm.Abort(code)
	}
	finalize := true
	if a.control != nil {
		// After a rank died (mpirun --enable-recovery kept this one
		// running), MPI_Finalize would wait for it forever: the process
		// ends without it, its files already written.
		finalize = !a.control.PeerLost()
		_ = a.control.Close()
		a.control = nil
	}
	if finalize {
		_ = a.comm.Close()
	}
	a.comm = nil
}

// checkFailed reports a check that ran and did not pass; its report is
// already printed.
type checkFailed struct{ what string }

func (e *checkFailed) Error() string { return e.what }

// inputError marks bad input found by the command layer (config loading).
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// errorLines turns an error message into the lines to print: cobra's
// "Did you mean this?" suggestions are folded into their line; several
// joined errors (a config with more than one problem) give one line each.
func errorLines(msg string) []string {
	msg = strings.ReplaceAll(strings.TrimSpace(msg), "\n\nDid you mean this?\n\t", "; did you mean ")
	msg = strings.ReplaceAll(msg, "\n\t", ", ")
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// report prints err, one line per problem, and maps it to an exit status.
func (a *app) report(err error) int {
	if err == nil {
		return exitOK
	}
	var cf *checkFailed
	var ie *inputError
	var in *interrupted
	var sin *searchInterrupted
	var dv *engine.Diverged
	code, hint := exitFailed, ""
	switch {
	case errors.As(err, &in):
		code = signalExit(in.signal)
	case errors.As(err, &sin):
		code = signalExit(sin.signal)
	case errors.As(err, &dv):
		code = exitDiverged
	case errors.As(err, &cf):
	case !a.started:
		code, hint = exitUsage, " (see 'nettrain --help')"
	case errors.As(err, &ie), engine.IsInputError(err):
		code = exitUsage
	}
	who := ""
	if a.comm != nil && a.comm.Rank() > 0 {
		who = fmt.Sprintf("rank %d: ", a.comm.Rank())
	}
	for _, l := range errorLines(err.Error()) {
		fmt.Fprintf(a.stderr, "nettrain: %s%s%s\n", who, l, hint)
	}
	return code
}

// runE wraps a command's run function so errors raised before it (flags,
// arguments) are told apart from errors raised by it, and gives it the
// thread budget of --threads: a pool of that many threads (0: one per
// core) that the command hands to the engine, closed when it returns.
// Being the process, the command also caps the Go scheduler at that many
// threads (runtime.GOMAXPROCS, restored afterwards), so the data loaders
// and the garbage collector stay within --threads too; the engine itself
// sets no process-wide state.
func (a *app) runE(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a.started = true
		pool, err := engine.NewPool(a.threads)
		if err != nil {
			return err
		}
		defer pool.Close()
		procs := pool.Threads()
		if dist.LaunchedSize() > 1 {
			procs++ // the goroutine that drives MPI beside the compute
		}
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		a.pool = pool
		defer func() { a.pool = nil }()
		return f(cmd, args)
	}
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "nettrain",
		Short:         "Train neural networks on the CPU from YAML experiment configs",
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	// cobra's own `completion bash|zsh|fish|powershell` prints the shell
	// script; completeConfigFlags adds the config keys of --set.
	root.PersistentFlags().IntVar(&a.threads, "threads", 0, "compute threads (0 = all cores); results do not depend on it")
	root.AddCommand(a.trainCommand(), a.evalCommand(), a.sanityCommand(), a.validateCommand(), a.versionCommand())
	root.AddCommand(a.scheduleCommand())
	root.AddCommand(a.augmentCommand())
	root.AddCommand(a.schemaCommand())
	root.AddCommand(a.lrFindCommand())
	root.AddCommand(a.searchCommand())
	root.AddCommand(a.plotCommand())
	root.AddCommand(a.reportCommand())
	root.AddCommand(a.averageCommand())
	root.AddCommand(a.predictCommand())
	root.AddCommand(a.exportCommand())
	root.AddCommand(a.packCommand())
	completeConfigFlags(root)
	return root
}

// configFlags are the flags of every command that reads a config.
type configFlags struct {
	path      string
	overrides []string
}

func (f *configFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.path, "config", "c", "", "experiment config (YAML)")
	cmd.Flags().StringArrayVar(&f.overrides, "set", nil, "override a config key, e.g. --set train.epochs=1 (repeatable)")
	_ = cmd.MarkFlagRequired("config")
}

// load reads, overrides and validates the config.
func (f *configFlags) load() (*config.Config, error) {
	cfg, err := config.Load(f.path, f.overrides)
	if err != nil {
		return nil, &inputError{err}
	}
	return cfg, nil
}
