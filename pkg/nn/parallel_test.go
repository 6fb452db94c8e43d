package nn

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nettrain/nettrain/pkg/tensor"
)

func TestThreadsSetting(t *testing.T) {
	t.Cleanup(func() { tensor.SetThreads(0) })
	tensor.SetThreads(0)
	if got, want := Threads(), runtime.GOMAXPROCS(0); got != want {
		t.Fatalf("default Threads() = %d, want GOMAXPROCS %d", got, want)
	}
	tensor.SetThreads(5)
	if got := Threads(); got != 5 {
		t.Fatalf("Threads() = %d after tensor.SetThreads(5)", got)
	}
	tensor.SetThreads(-1)
	if got, want := Threads(), runtime.GOMAXPROCS(0); got != want {
		t.Fatalf("Threads() = %d after tensor.SetThreads(-1), want %d", got, want)
	}
}

// TestParallelFor checks that every index runs exactly once, on a worker
// in range, and that a worker's calls do not overlap, also with several
// callers at once.
func TestParallelFor(t *testing.T) {
	for _, tc := range []struct{ workers, n int }{{1, 5}, {2, 7}, {3, 7}, {4, 2}, {3, 0}, {8, 100}} {
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				counts := make([]atomic.Int32, tc.n)
				busy := make([]atomic.Int32, max(tc.workers, 1))
				ParallelFor(tc.workers, tc.n, TaskFunc(func(w, i int) {
					if w < 0 || w >= max(min(tc.workers, tc.n), 1) {
						t.Errorf("workers %d, n %d: worker %d out of range", tc.workers, tc.n, w)
						return
					}
					if busy[w].Add(1) != 1 {
						t.Errorf("worker %d runs two calls at once", w)
					}
					runtime.Gosched()
					counts[i].Add(1)
					busy[w].Add(-1)
				}))
				for i := range counts {
					if c := counts[i].Load(); c != 1 {
						t.Errorf("workers %d, n %d: index %d ran %d times", tc.workers, tc.n, i, c)
					}
				}
			}()
		}
		wg.Wait()
	}
}
