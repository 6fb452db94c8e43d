package engine

import (
	"fmt"
	"runtime"

	"github.com/nettrain/nettrain/pkg/dist"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// NewPool returns the thread budget of one invocation: a pool of n compute
// threads (n = 0: one per core, runtime.NumCPU(), divided among the ranks
// an MPI launcher started on this machine) to hand to Options,
// EvalOptions or SanityOptions; the data loaders size themselves by its
// Threads(). It changes no process-wide setting, so pools of different
// sizes can train side by side; results do not depend on the size. A
// negative n is an *InputError naming --threads. Close the pool when done.
func NewPool(n int) (*tensor.Pool, error) {
	if n < 0 {
		return nil, &InputError{Err: fmt.Errorf("--threads: must be >= 0 (0 = all %d cores), got %d", runtime.NumCPU(), n)}
	}
	if n == 0 {
		// The cores are shared by the ranks an MPI launcher started on
		// this machine.
		n = max(runtime.NumCPU()/dist.LocalSize(), 1)
	}
	return tensor.NewPool(n), nil
}
