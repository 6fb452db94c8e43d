package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestParallelFor checks that every index runs exactly once, on a worker
// in range, and that a worker's calls do not overlap, also with several
// callers sharing one pool.
func TestParallelFor(t *testing.T) {
	for _, tc := range []struct{ threads, n int }{{0, 5}, {1, 5}, {2, 7}, {3, 7}, {4, 2}, {3, 0}, {8, 100}} {
		var pool *Pool // threads 0: the nil pool
		if tc.threads > 0 {
			pool = testPool(t, tc.threads)
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				counts := make([]atomic.Int32, tc.n)
				busy := make([]atomic.Int32, max(tc.threads, 1))
				pool.ParallelFor(tc.n, TaskFunc(func(w, i int) {
					if w < 0 || w >= max(min(tc.threads, tc.n), 1) {
						t.Errorf("threads %d, n %d: worker %d out of range", tc.threads, tc.n, w)
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
						t.Errorf("threads %d, n %d: index %d ran %d times", tc.threads, tc.n, i, c)
					}
				}
			}()
		}
		wg.Wait()
	}
}

// TestPoolNilAndThreads checks the nil pool (one thread, everything on the
// caller) and that NewPool rejects a budget of no threads.
func TestPoolNilAndThreads(t *testing.T) {
	var nilPool *Pool
	if got := nilPool.Threads(); got != 1 {
		t.Fatalf("nil pool: Threads() = %d, want 1", got)
	}
	nilPool.ParallelFor(3, TaskFunc(func(w, _ int) {
		if w != 0 {
			t.Errorf("nil pool ran worker %d", w)
		}
	}))
	nilPool.Close() // a no-op
	if got := testPool(t, 5).Threads(); got != 5 {
		t.Fatalf("NewPool(5).Threads() = %d", got)
	}
	defer func() {
		if r := recover(); r == nil || fmt.Sprint(r) != "tensor: NewPool(0): a pool needs at least 1 thread" {
			t.Fatalf("NewPool(0): recovered %v", r)
		}
	}()
	NewPool(0)
}

// TestPoolNested checks that a call from inside a task finds the pool busy
// and runs on its caller, and that it still computes every index.
func TestPoolNested(t *testing.T) {
	pool := testPool(t, 3)
	var inner atomic.Int32
	pool.ParallelFor(4, TaskFunc(func(_, _ int) {
		pool.ParallelFor(5, TaskFunc(func(w, _ int) {
			if w != 0 {
				t.Errorf("nested call ran on worker %d", w)
			}
			inner.Add(1)
		}))
	}))
	if got := inner.Load(); got != 20 {
		t.Fatalf("nested calls ran %d tasks, want 20", got)
	}
}

// TestPoolClose checks that Close stops the helpers (it waits for each to
// return, and the goroutine count comes back down to where it was) and that
// calls after Close run on the caller.
func TestPoolClose(t *testing.T) {
	before := runtime.NumGoroutine()
	pool := NewPool(4)
	pool.ParallelFor(8, TaskFunc(func(int, int) { time.Sleep(time.Millisecond) }))
	// The pool's own count: the process-wide goroutine count also moves
	// with goroutines other tests left finishing.
	if n := len(pool.helpers); n != 3 {
		t.Fatalf("%d helpers in a 4-thread pool in use, want 3", n)
	}
	pool.Close()
	pool.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after Close, %d before", n, before)
	}
	pool.ParallelFor(3, TaskFunc(func(w, _ int) {
		if w != 0 {
			t.Errorf("closed pool ran worker %d", w)
		}
	}))
	tc := gemmCase{m: 70, n: 300, k: 257, alpha: 1, beta: 0}
	if got, want := gemmBits(tc, pool), gemmBits(tc, nil); !sameBits(got, want) {
		t.Fatal("Gemm on a closed pool differs from Gemm on the caller")
	}
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestPoolsConcurrentGemm runs two goroutines at once, each with its own
// pool (of 1 and of 2 threads, as two trainers in one process would have),
// each calling Gemm on its own shapes and ParallelFor over its own data,
// and checks every result bit against the same work done alone. Run it
// under -race too.
func TestPoolsConcurrentGemm(t *testing.T) {
	cases := []gemmCase{
		{m: 128, n: 300, k: 257, alpha: 1, beta: 0},
		{transA: true, m: 96, n: 200, k: 600, padA: 1, alpha: 0.5, beta: 1},
		{transB: true, m: 40, n: 512, k: 130, padB: 2, alpha: -1, beta: 0.5},
	}
	type work struct {
		threads int
		cases   []gemmCase
	}
	// Each goroutine runs every case on its own pool, several times, plus
	// a ParallelFor that sums rows of its result (elementwise per index).
	run := func(p *Pool, cs []gemmCase, reps int) [][]float32 {
		var out [][]float32
		for range reps {
			for _, tc := range cs {
				c := gemmBits(tc, p)
				rows := make([]float32, tc.m)
				p.ParallelFor(tc.m, TaskFunc(func(_, i int) {
					var s float32
					for _, v := range c[i*(tc.n+tc.padA+tc.padB):][:tc.n] {
						s += v
					}
					rows[i] = s
				}))
				out = append(out, c, rows)
			}
		}
		return out
	}
	for _, threads := range [][2]int{{1, 1}, {1, 2}, {2, 2}} {
		t.Run(fmt.Sprintf("threads=%d+%d", threads[0], threads[1]), func(t *testing.T) {
			works := []work{{threads[0], cases}, {threads[1], []gemmCase{cases[2], cases[0], cases[1]}}}
			alone := make([][][]float32, len(works))
			for i, w := range works {
				alone[i] = run(testPool(t, w.threads), w.cases, 1)
			}
			const reps = 4
			got := make([][][]float32, len(works))
			var wg sync.WaitGroup
			for i, w := range works {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got[i] = run(testPool(t, w.threads), w.cases, reps)
				}()
			}
			wg.Wait()
			for i := range works {
				for j, g := range got[i] {
					if !sameBits(g, alone[i][j%len(alone[i])]) {
						t.Fatalf("goroutine %d (%d threads), result %d differs from the same work done alone", i, works[i].threads, j)
					}
				}
			}
			// And the same bits as one thread on the caller.
			serial := run(nil, cases, 1)
			for j := range serial {
				if !sameBits(alone[0][j], serial[j]) {
					t.Fatalf("result %d on %d threads differs from the nil pool", j, works[0].threads)
				}
			}
		})
	}
}

// TestPoolGemmRandomConcurrent runs random shapes on two pools at once and
// compares each with the nil pool, to catch any scratch shared between
// pools.
func TestPoolGemmRandomConcurrent(t *testing.T) {
	pools := []*Pool{testPool(t, 2), testPool(t, 2)}
	var wg sync.WaitGroup
	for g, p := range pools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 77))
			for it := 0; it < 20; it++ {
				tc := gemmCase{
					transA: r.IntN(2) == 1, transB: r.IntN(2) == 1,
					m: 1 + r.IntN(120), n: 1 + r.IntN(300), k: 1 + r.IntN(600),
					alpha: 1, beta: []float32{0, 1}[r.IntN(2)],
				}
				if got, want := gemmBits(tc, p), gemmBits(tc, nil); !sameBits(got, want) {
					t.Errorf("goroutine %d: %v differs from the nil pool", g, tc)
					return
				}
			}
		}()
	}
	wg.Wait()
}
