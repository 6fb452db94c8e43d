package engine

import (
	"fmt"
	"runtime"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// NewPool returns the thread budget of one invocation: a pool of n compute
// threads (n = 0: one per core, runtime.NumCPU()) to hand to Options,
// EvalOptions or SanityOptions; the data loaders size themselves by its
// Threads(). It changes no process-wide setting, so pools of different
// sizes can train side by side; results do not depend on the size. A
// negative n is an *InputError naming --threads. Close the pool when done.
func NewPool(n int) (*tensor.Pool, error) {
	if n < 0 {
		return nil, &InputError{Err: fmt.Errorf("--threads: must be >= 0 (0 = all %d cores), got %d", runtime.NumCPU(), n)}
	}
	if n == 0 {
		n = runtime.NumCPU()
	}
	return tensor.NewPool(n), nil
}
