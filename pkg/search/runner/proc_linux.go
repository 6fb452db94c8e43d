package runner

import (
	"os"
	"path/filepath"

	"github.com/nettrain/nettrain/pkg/engine"
	"os/exec"
	"runtime"
	"syscall"
)

// setDeathSignal makes the kernel kill the trial process when the search
// process dies (even by SIGKILL), so a killed search leaves no trial
// writing to its folder.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// startLocked starts cmd and runs wait on the same locked OS thread: the
// parent-death signal fires when the thread that forked the process exits,
// so that thread must live until the process ends.
func startLocked(cmd *exec.Cmd, wait func()) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		wait()
	}()
	return <-started
}

// lock takes the search folder's lock, so two searches never run in one
// folder.
func lock(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, engine.InputErrorf("search folder %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, engine.InputErrorf("search folder %s is in use by another nettrain search (its %s is locked)", dir, lockFile)
	}
	return func() { f.Close() }, nil
}
