package runner

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nettrain/nettrain/pkg/dist"
)

// Job is one invocation of a trial's training: from where its run folder
// stands to the end of epoch Until.
type Job struct {
	Trial  int
	Config string // the trial's config file
	RunDir string // the trial's run folder
	Log    string // where the process's output is appended
	Until  int
	// Final says Until is the trial's whole budget: the run ends as a plain
	// `nettrain train` does (with its test evaluation).
	Final bool
	// Resume continues from RunDir's checkpoints/last.ckpt.
	Resume  bool
	Threads int
	// HParams are the searched keys, recorded as TensorBoard
	// hyperparameters of the trial (train --hparams).
	HParams []string
	// Rank is the rank of a distributed search that trains the job (0 in
	// a search of one process), noted in the log.
	Rank int
}

// Outcome is how a job ended.
type Outcome int

// The outcomes of a job.
const (
	Trained  Outcome = iota // reached Until (or the end of its budget)
	Diverged                // training diverged (exit status 3)
	Failed                  // any other error
	Stopped                 // stopped by the search's interrupt; resumable
	// Lost: the process was killed by a signal the search did not send
	// (the kernel's OOM killer, an operator, a lost node); the trial is
	// rerun from its last checkpoint.
	Lost
)

// JobResult is what a job reports.
type JobResult struct {
	Outcome Outcome
	Err     string // the failure's last line of output, for Failed and Diverged
}

// Launcher runs one job at a time per call; calls run concurrently. When
// interrupt is closed the job should stop soon, resumably.
type Launcher interface {
	Launch(j Job, interrupt <-chan struct{}) JobResult
}

// Process runs each job as its own `nettrain train` process (Exe), so a
// trial that crashes cannot take the search down. Its output goes to the
// job's log; a process of a search that dies is killed with it (Linux).
type Process struct {
	Exe string
}

// exitDiverged is `nettrain train`'s exit status for a diverged run.
const exitDiverged = 3

// Args returns the command line of job j (without the executable).
func (p Process) Args(j Job) []string {
	args := []string{"--threads", strconv.Itoa(j.Threads), "train", "--quiet"}
	if j.Resume {
		args = append(args, "--resume", j.RunDir)
	} else {
		args = append(args, "-c", j.Config, "--out", j.RunDir, "--overwrite")
	}
	if !j.Final {
		args = append(args, "--stop-at-epoch", strconv.Itoa(j.Until))
	}
	if len(j.HParams) > 0 {
		args = append(args, "--hparams", strings.Join(j.HParams, ","))
	}
	return args
}

// Launch runs j and waits for it. An interrupt sends the process SIGTERM,
// on which `nettrain train` finishes its step and writes last.ckpt.
func (p Process) Launch(j Job, interrupt <-chan struct{}) JobResult {
	log, err := os.OpenFile(j.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return JobResult{Outcome: Failed, Err: fmt.Sprintf("trial log: %v", err)}
	}
	defer log.Close()
	args := p.Args(j)
	where := ""
	if j.Rank > 0 {
		where = fmt.Sprintf("[rank %d] ", j.Rank)
	}
	fmt.Fprintf(log, "# %s %snettrain %s\n", time.Now().Format(time.RFC3339), where, strings.Join(args, " "))
	var tail lastLines
	cmd := exec.Command(p.Exe, args...)
	// A trial is a process of its own, also under mpirun: not a rank.
	cmd.Env = dist.WithoutLauncher(os.Environ())
	cmd.Stdout = log
	cmd.Stderr = &teeWriter{log, &tail}
	setDeathSignal(cmd)
	done := make(chan struct{})
	var runErr error
	startErr := startLocked(cmd, func() { runErr = cmd.Wait(); close(done) })
	if startErr != nil {
		return JobResult{Outcome: Failed, Err: fmt.Sprintf("start %s: %v", p.Exe, startErr)}
	}
	stopped := false
	select {
	case <-done:
	case <-interrupt:
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-done
	}
	if runErr == nil {
		return JobResult{Outcome: Trained}
	}
	var ee *exec.ExitError
	if !errors.As(runErr, &ee) {
		return JobResult{Outcome: Failed, Err: runErr.Error()}
	}
	code := ee.ExitCode()
	switch {
	case code == exitDiverged:
		return JobResult{Outcome: Diverged, Err: tail.last()}
	case stopped, code == 128+int(syscall.SIGINT), code == 128+int(syscall.SIGTERM):
		// Stopped by the search, or by the same Ctrl-C (the terminal
		// signals the whole process group): last.ckpt holds its position.
		return JobResult{Outcome: Stopped}
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return JobResult{Outcome: Lost, Err: fmt.Sprintf("its process was killed by signal %d (%v)", int(ws.Signal()), ws.Signal())}
	}
	msg := tail.last()
	if msg == "" {
		msg = runErr.Error()
	}
	return JobResult{Outcome: Failed, Err: msg}
}

// teeWriter writes to both writers.
type teeWriter struct {
	a, b interface{ Write([]byte) (int, error) }
}

func (t *teeWriter) Write(p []byte) (int, error) {
	_, _ = t.b.Write(p)
	return t.a.Write(p)
}

// lastLines keeps the end of a stream, to report a failure's last line.
type lastLines struct{ buf []byte }

func (l *lastLines) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	if len(l.buf) > 4096 {
		l.buf = l.buf[len(l.buf)-4096:]
	}
	return len(p), nil
}

// last returns the last non-empty line, without "nettrain: ".
func (l *lastLines) last() string {
	lines := bytes.Split(bytes.TrimSpace(l.buf), []byte("\n"))
	return strings.TrimPrefix(string(lines[len(lines)-1]), "nettrain: ")
}
