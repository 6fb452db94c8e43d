package engine

import (
	"fmt"
	"runtime"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// SetThreads limits the compute of this process to n threads (n = 0: all
// cores): the Go scheduler (runtime.GOMAXPROCS), the matrix multiply's
// worker pool and the layers' batch splitting. Results do not depend on it.
func SetThreads(n int) error {
	if n < 0 {
		return &InputError{Err: fmt.Errorf("--threads: must be >= 0 (0 = all %d cores), got %d", runtime.NumCPU(), n)}
	}
	if n == 0 {
		n = runtime.NumCPU()
	}
	runtime.GOMAXPROCS(n)
	tensor.SetThreads(n)
	return nil
}
