package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Task is a body for ParallelFor. A pointer-shaped implementation (a
// pointer to a struct the caller keeps) is passed without allocating.
type Task interface {
	Run(worker, i int)
}

// TaskFunc adapts a function to Task.
type TaskFunc func(worker, i int)

// Run calls f(worker, i).
func (f TaskFunc) Run(worker, i int) { f(worker, i) }

// spinTime is how long an idle helper keeps polling for the next job before
// it parks. Training posts jobs microseconds apart, and waking a parked
// thread costs tens of microseconds on a virtual machine (more than a
// small matrix multiply takes), so helpers stay awake between the jobs of
// a step; while polling they yield to any other goroutine that can run.
const spinTime = 200 * time.Microsecond

// pool is the persistent set of helper goroutines ParallelFor and Gemm
// share. One job runs at a time (mu); a call that finds the pool busy — a
// nested call from a task, or a second goroutine — runs on its caller.
var pool struct {
	mu      sync.Mutex
	t       Task
	n       int
	next    atomic.Int64 // next index to hand out
	running atomic.Int64 // helpers still working on the current job
	helpers []*helper
}

// helper is one pool goroutine and its mailbox.
type helper struct {
	worker int
	posted atomic.Uint64 // job sequence number posted to this helper
	parked atomic.Bool   // the helper sleeps on wake
	wake   chan struct{} // token that ends a park
}

var jobSeq uint64 // sequence number of the last job, under pool.mu

// ParallelFor calls t.Run(worker, i) once for every i in [0, n) and returns
// when all calls are done. At most `workers` calls run at once, on the
// calling goroutine (worker 0) and on persistent helper goroutines (workers
// 1 … workers−1); calls made by one worker run one after another, so a
// worker may use per-worker scratch space. Which worker runs which i, and in
// what order, is unspecified: the results must not depend on it. If the
// helpers are busy (a call from inside a task, or from another goroutine)
// every call runs on the caller as worker 0.
//
// Steady-state calls allocate nothing when t is pointer-shaped.
func ParallelFor(workers, n int, t Task) {
	workers = min(workers, n)
	if workers <= 1 || !pool.mu.TryLock() {
		for i := 0; i < n; i++ {
			t.Run(0, i)
		}
		return
	}
	runLocked(workers, n, t)
	pool.mu.Unlock()
}

// runLocked runs t over [0, n) on the caller and workers−1 helpers; the
// caller holds pool.mu.
func runLocked(workers, n int, t Task) {
	ensureHelpers(workers - 1)
	pool.t, pool.n = t, n
	pool.next.Store(0)
	pool.running.Store(int64(workers - 1))
	jobSeq++
	for _, h := range pool.helpers[:workers-1] {
		h.posted.Store(jobSeq)
		if h.parked.CompareAndSwap(true, false) {
			h.wake <- struct{}{}
		}
	}
	work(0)
	for spins := 0; pool.running.Load() != 0; spins++ {
		if spins > 64 {
			runtime.Gosched()
		}
	}
	pool.t = nil
}

// work runs the current job's remaining indices one at a time as worker.
func work(worker int) {
	t, n := pool.t, int64(pool.n)
	for {
		i := pool.next.Add(1) - 1
		if i >= n {
			return
		}
		t.Run(worker, int(i))
	}
}

// ensureHelpers makes sure at least n helpers exist; it is called with
// pool.mu held.
func ensureHelpers(n int) {
	for len(pool.helpers) < n {
		h := &helper{worker: len(pool.helpers) + 1, wake: make(chan struct{}, 1)}
		pool.helpers = append(pool.helpers, h)
		go h.loop()
	}
}

// loop serves jobs: it polls for the next one for spinTime after each job,
// then parks until ParallelFor wakes it.
func (h *helper) loop() {
	var seen uint64
	for {
		deadline := time.Time{}
		for spins := 0; h.posted.Load() == seen; spins++ {
			if spins&63 != 63 {
				runtime.Gosched()
				continue
			}
			if deadline.IsZero() {
				deadline = time.Now().Add(spinTime)
				continue
			}
			if time.Now().Before(deadline) {
				continue
			}
			h.parked.Store(true)
			if h.posted.Load() != seen && h.parked.CompareAndSwap(true, false) {
				break // a job came in before we parked
			}
			<-h.wake // ParallelFor cleared parked and sends the token
			deadline = time.Time{}
		}
		seen = h.posted.Load()
		work(h.worker)
		pool.running.Add(-1)
	}
}
