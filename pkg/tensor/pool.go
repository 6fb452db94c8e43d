package tensor

import (
	"fmt"
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

// Pool is a compute budget of a fixed number of threads: the goroutine
// that calls ParallelFor or Gemm (worker 0) and up to Threads()−1
// persistent helper goroutines, with the matrix multiply's per-worker
// scratch. Each trainer (or evaluation) gets its own Pool, so two of them
// in one process never share helpers and each runs on its own budget.
//
// One job runs at a time on a pool: a call that finds it busy — a nested
// call from inside a task, or a second goroutine sharing the pool — runs
// on its caller alone. Either way the results are the same bits: nothing
// computed with a Pool depends on its size.
//
// A nil *Pool is valid and means one thread: every call runs on its
// caller. Helpers start on first use and stop with Close.
type Pool struct {
	threads int

	mu      sync.Mutex // held by the job in progress
	closed  atomic.Bool
	t       Task
	n       int
	next    atomic.Int64 // next index to hand out
	running atomic.Int64 // helpers still working on the current job
	seq     uint64       // sequence number of the last job, under mu
	helpers []*helper
	exited  sync.WaitGroup // helpers that have not returned

	// ws holds each worker's scratch for the Gemm call that holds the
	// pool, gemm that call's arguments (so the caller's stay on its stack).
	ws   []*workspace
	gemm gemmArgs
}

// helper is one pool goroutine and its mailbox.
type helper struct {
	pool   *Pool
	worker int
	posted atomic.Uint64 // job sequence number posted to this helper
	parked atomic.Bool   // the helper sleeps on wake
	wake   chan struct{} // token that ends a park
}

// NewPool returns a pool of threads threads (threads ≥ 1; use
// runtime.NumCPU() for one per core). Close it to stop its helpers.
func NewPool(threads int) *Pool {
	if threads < 1 {
		panic(fmt.Sprintf("tensor: NewPool(%d): a pool needs at least 1 thread", threads))
	}
	return &Pool{threads: threads}
}

// Threads returns the pool's thread count: at most this many tasks of one
// ParallelFor run at once, and one Gemm call splits into at most this many
// parts. A nil pool has 1.
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	return p.threads
}

// Close waits for the job in progress, if any, stops the pool's helpers
// and waits for them to return. Calls made after Close run on their
// caller. Close must not be called from inside a task; closing twice, or
// a nil pool, is a no-op.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	if !p.closed.Swap(true) {
		p.seq++
		for _, h := range p.helpers {
			h.post(p.seq)
		}
	}
	p.mu.Unlock()
	p.exited.Wait()
}

// ParallelFor calls t.Run(worker, i) once for every i in [0, n) and returns
// when all calls are done. At most min(Threads(), n) calls run at once, on
// the calling goroutine (worker 0) and on the pool's helpers (workers 1 …
// Threads()−1); calls made by one worker run one after another, so a
// worker may use per-worker scratch space. Which worker runs which i, and in
// what order, is unspecified: the results must not depend on it. If the
// pool is busy (a call from inside a task, or from another goroutine) or
// nil, every call runs on the caller as worker 0.
//
// Steady-state calls allocate nothing when t is pointer-shaped.
func (p *Pool) ParallelFor(n int, t Task) {
	workers := min(p.Threads(), n)
	if workers <= 1 || !p.mu.TryLock() {
		for i := 0; i < n; i++ {
			t.Run(0, i)
		}
		return
	}
	if p.closed.Load() {
		p.mu.Unlock()
		for i := 0; i < n; i++ {
			t.Run(0, i)
		}
		return
	}
	p.runLocked(workers, n, t)
	p.mu.Unlock()
}

// runLocked runs t over [0, n) on the caller and workers−1 helpers; the
// caller holds p.mu and the pool is open.
func (p *Pool) runLocked(workers, n int, t Task) {
	p.ensureHelpers(workers - 1)
	p.t, p.n = t, n
	p.next.Store(0)
	p.running.Store(int64(workers - 1))
	p.seq++
	for _, h := range p.helpers[:workers-1] {
		h.post(p.seq)
	}
	p.work(0)
	for spins := 0; p.running.Load() != 0; spins++ {
		if spins > 64 {
			runtime.Gosched()
		}
	}
	p.t = nil
}

// work runs the current job's remaining indices one at a time as worker.
func (p *Pool) work(worker int) {
	t, n := p.t, int64(p.n)
	for {
		i := p.next.Add(1) - 1
		if i >= n {
			return
		}
		t.Run(worker, int(i))
	}
}

// ensureHelpers makes sure at least n helpers exist; it is called with
// p.mu held.
func (p *Pool) ensureHelpers(n int) {
	for len(p.helpers) < n {
		h := &helper{pool: p, worker: len(p.helpers) + 1, wake: make(chan struct{}, 1)}
		p.helpers = append(p.helpers, h)
		p.exited.Add(1)
		go h.loop()
	}
}

// post hands job seq to the helper, waking it if it is parked.
func (h *helper) post(seq uint64) {
	h.posted.Store(seq)
	if h.parked.CompareAndSwap(true, false) {
		h.wake <- struct{}{}
	}
}

// loop serves jobs: it polls for the next one for spinTime after each job,
// then parks until post wakes it. It returns when the pool is closed.
func (h *helper) loop() {
	p := h.pool
	defer p.exited.Done()
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
			<-h.wake // post cleared parked and sends the token
			deadline = time.Time{}
		}
		seen = h.posted.Load()
		if p.closed.Load() {
			return
		}
		p.work(h.worker)
		p.running.Add(-1)
	}
}
