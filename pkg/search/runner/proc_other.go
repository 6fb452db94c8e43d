//go:build !linux

package runner

import "os/exec"

// setDeathSignal does nothing where there is no parent-death signal.
func setDeathSignal(*exec.Cmd) {}

// startLocked starts cmd and runs wait in the background.
func startLocked(cmd *exec.Cmd, wait func()) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	go wait()
	return nil
}

// lock does nothing where flock is not used.
func lock(string) (func(), error) { return func() {}, nil }
