package nn

import (
	"sync"
	"sync/atomic"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// Threads returns the number of goroutines a layer may use at once to split
// a batch: the compute thread count set with tensor.SetThreads (the same
// setting governs the matrix multiply). Results are bit-identical for every
// thread count.
func Threads() int { return tensor.Threads() }

// Task is a body for ParallelFor. A pointer-shaped implementation (a
// pointer to a struct the caller keeps) is passed without allocating.
type Task interface {
	Run(worker, i int)
}

// TaskFunc adapts a function to Task.
type TaskFunc func(worker, i int)

func (f TaskFunc) Run(worker, i int) { f(worker, i) }

// parallelJob is one parallelFor call shared with the helpers.
type parallelJob struct {
	t    Task
	n    int
	next atomic.Int64   // next index to hand out
	wg   sync.WaitGroup // one per helper taking part
}

// helperMsg hands a job to a helper together with its worker number.
type helperMsg struct {
	job    *parallelJob
	worker int
}

var (
	helperMu    sync.Mutex
	helperCount atomic.Int64 // helper goroutines started (they never exit)
	helperCh    = make(chan helperMsg)
	jobPool     = sync.Pool{New: func() any { return new(parallelJob) }}
)

// ensureHelpers makes sure at least n helper goroutines exist.
func ensureHelpers(n int) {
	if helperCount.Load() >= int64(n) {
		return
	}
	helperMu.Lock()
	defer helperMu.Unlock()
	for helperCount.Load() < int64(n) {
		go helperLoop()
		helperCount.Add(1)
	}
}

func helperLoop() {
	for m := range helperCh {
		m.job.work(m.worker)
		m.job.wg.Done()
	}
}

// work runs the job's remaining indices one at a time as the given worker.
func (j *parallelJob) work(worker int) {
	for {
		i := int(j.next.Add(1)) - 1
		if i >= j.n {
			return
		}
		j.t.Run(worker, i)
	}
}

// ParallelFor calls t.Run(worker, i) once for every i in [0, n) and returns
// when all calls are done. At most `workers` calls run at once, on the
// calling goroutine (worker 0) and on persistent helper goroutines (workers
// 1 … workers−1); calls made by one worker run one after another, so a
// worker may use per-worker scratch space. Which worker runs which i, and in
// what order, is unspecified: the results must not depend on it.
//
// t.Run must not call ParallelFor: the helpers would wait on each other.
// Steady-state calls allocate nothing when t is pointer-shaped.
func ParallelFor(workers, n int, t Task) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			t.Run(0, i)
		}
		return
	}
	ensureHelpers(workers - 1)
	j := jobPool.Get().(*parallelJob)
	j.t, j.n = t, n
	j.next.Store(0)
	j.wg.Add(workers - 1)
	for w := 1; w < workers; w++ {
		helperCh <- helperMsg{j, w}
	}
	j.work(0)
	j.wg.Wait()
	j.t = nil
	jobPool.Put(j)
}
