package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/nettrain/nettrain/pkg/dist"
	"github.com/nettrain/nettrain/pkg/run"
	"github.com/spf13/cobra"
)

// trainOptions are the flags of `nettrain train`.
type trainOptions struct {
	config          configFlags
	out             string
	overwrite       bool
	quiet           bool
	resume          string
	force           bool
	stopAfterEpochs int
	stopAtEpoch     int
	hparams         []string
}

func (a *app) trainCommand() *cobra.Command {
	o := &trainOptions{}
	cmd := &cobra.Command{
		Use:   "train (-c CONFIG | --resume RUN_DIR) [--set key=value]... [--out DIR]",
		Short: "Train a model from a config, or resume a run; writes checkpoints, metrics.csv and summary.json",
		Args:  cobra.NoArgs,
		RunE:  a.runE(func(*cobra.Command, []string) error { return a.train(o) }),
	}
	cmd.Flags().StringVarP(&o.config.path, "config", "c", "", "experiment config (YAML); with --resume, default RUN_DIR/config.yaml")
	cmd.Flags().StringArrayVar(&o.config.overrides, "set", nil, "override a config key, e.g. --set train.epochs=1 (repeatable)")
	cmd.Flags().StringVar(&o.out, "out", "", "run directory (overrides output.dir)")
	cmd.Flags().BoolVar(&o.overwrite, "overwrite", false, "replace a run already in the run directory")
	cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "no progress bar")
	cmd.Flags().StringVar(&o.resume, "resume", "", "continue the run in RUN_DIR exactly where its checkpoints/last.ckpt stopped")
	cmd.Flags().BoolVar(&o.force, "force", false, "with --resume: accept a config that differs from the run's")
	cmd.Flags().IntVar(&o.stopAfterEpochs, "stop-after-epochs", 0, "end this invocation after N epochs, resumable with --resume (0 = run to the end)")
	cmd.Flags().StringSliceVar(&o.hparams, "hparams", nil, "config keys to record as TensorBoard hyperparameters beside the standard ones, e.g. --hparams regularization.l1 (a search passes the keys it varies)")
	cmd.Flags().IntVar(&o.stopAtEpoch, "stop-at-epoch", 0, "end this invocation once epoch N of the run is done, resumable with --resume (0 = run to the end)")
	return cmd
}

func (a *app) train(o *trainOptions) error {
	switch {
	case o.resume == "" && o.config.path == "":
		return &inputError{errors.New(`required flag "config" not set: pass -c CONFIG, or --resume RUN_DIR`)}
	case o.resume != "" && o.out != "":
		return &inputError{errors.New("--out: not allowed with --resume (the run directory is RUN_DIR)")}
	case o.resume != "" && o.overwrite:
		return &inputError{errors.New("--overwrite: not allowed with --resume, which keeps the run")}
	case o.force && o.resume == "":
		return &inputError{errors.New("--force: only used with --resume")}
	case o.stopAfterEpochs < 0:
		return &inputError{fmt.Errorf("--stop-after-epochs: must be >= 0, got %d", o.stopAfterEpochs)}
	case o.stopAtEpoch < 0:
		return &inputError{fmt.Errorf("--stop-at-epoch: must be >= 0, got %d", o.stopAtEpoch)}
	}
	out := o.out
	if o.resume != "" {
		out = o.resume
		if o.config.path == "" {
			o.config.path = filepath.Join(o.resume, run.ConfigFile)
			if _, err := os.Stat(o.config.path); err != nil {
				return &inputError{fmt.Errorf("--resume %s: no %s: not a run directory", o.resume, run.ConfigFile)}
			}
		}
	}
	cfg, err := o.config.load()
	if err != nil {
		return err
	}
	var progress io.Writer
	if a.terminal && !o.quiet {
		progress = a.stderr
	}
	comm, err := a.openComm()
	if err != nil {
		return err
	}
	if comm.Rank() > 0 {
		progress = nil
	}
	runDir := out
	if runDir == "" {
		runDir = cfg.Output.Dir
	}
	a.endWithPeers(runDir)
	doing := "finishing the current step and writing checkpoints/last.ckpt"
	if comm.Size() > 1 {
		// mpirun forwards a user's signal to every rank, and sends one to
		// the survivors when a rank dies: they cannot finish a step then.
		doing = fmt.Sprintf("finishing the current step with the other %d ranks and writing checkpoints/last.ckpt (if a rank died, the job ends and the last checkpoint written stands)", comm.Size()-1)
	}
	interrupt, stop := a.catchSignals(comm, doing)
	defer stop()
	_, err = run.Train(cfg, run.Options{
		ConfigPath: o.config.path, OutDir: out, Overwrite: o.overwrite, Stdout: a.stdout, Progress: progress,
		Resume: o.resume != "", Force: o.force, Interrupt: interrupt.ch, StopAfterEpochs: o.stopAfterEpochs,
		StopAtEpoch: o.stopAtEpoch, HParams: o.hparams,
		Pool: a.pool, Comm: comm,
	})
	var in *run.Interrupted
	if errors.As(err, &in) && comm.Rank() > 0 {
		return nil // rank 0 says where the run stopped
	}
	if errors.As(err, &in) {
		if sig := interrupt.received(); sig != nil {
			return &interrupted{err: in, signal: sig}
		}
		fmt.Fprintf(a.stdout, "%s\n", in.Error()) // --stop-after-epochs: a requested, successful stop
		return nil
	}
	return err
}

// signalState records the first SIGINT/SIGTERM of a training run.
type signalState struct {
	ch  chan struct{} // closed at the first signal
	sig chan os.Signal
	got os.Signal
}

// received returns the first signal caught, or nil.
func (s *signalState) received() os.Signal {
	select {
	case <-s.ch:
		return s.got
	default:
		return nil
	}
}

// catchSignals makes the first SIGINT or SIGTERM close the returned
// channel (the caller then stops resumably; doing says how, in the line
// printed) and a second one exit at once. stop restores the default
// handling. comm is the MPI job (nil: one process), whose rank 0 alone
// prints the line.
func (a *app) catchSignals(comm dist.Comm, doing string) (*signalState, func()) {
	say := a.stderr
	if !dist.Rank0(comm) {
		say = io.Discard // rank 0 speaks for the job
	}
	s := &signalState{ch: make(chan struct{}), sig: make(chan os.Signal, 2)}
	signal.Notify(s.sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-s.sig:
			s.got = sig
			close(s.ch)
			fmt.Fprintf(say, "nettrain: %v: %s; send it again to quit at once\n", sig, doing)
		case <-done:
			return
		}
		select {
		case sig := <-s.sig:
			os.Exit(signalExit(sig))
		case <-done:
		}
	}()
	return s, func() { signal.Stop(s.sig); close(done) }
}

// interrupted is a training run stopped by a signal; it exits 128+signo.
type interrupted struct {
	err    *run.Interrupted
	signal os.Signal
}

func (e *interrupted) Error() string { return fmt.Sprintf("interrupted (%v): %v", e.signal, e.err) }

// signalExit is the conventional exit status after sig: 130 for SIGINT,
// 143 for SIGTERM.
func signalExit(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitFailed
}
