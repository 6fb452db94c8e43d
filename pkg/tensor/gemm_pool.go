package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// threadSetting is the value last given to SetThreads; 0 means
// runtime.GOMAXPROCS(0) read at each call.
var threadSetting atomic.Int64

// SetThreads sets how many threads nettrain's compute may use: one Gemm
// call, and the layers that split a batch (pkg/nn reads Threads). n ≤ 0
// restores the default, runtime.GOMAXPROCS(0). It changes speed only:
// results are the same bits for every thread count.
func SetThreads(n int) {
	threadSetting.Store(int64(max(n, 0)))
}

// Threads returns the number of threads one Gemm call may use: the value
// set by SetThreads, or runtime.GOMAXPROCS(0) by default.
func Threads() int {
	if n := threadSetting.Load(); n > 0 {
		return int(n)
	}
	return runtime.GOMAXPROCS(0)
}

// activeImpl is the kernel set Gemm uses: the fastest this CPU runs.
// packOverride forces (1) or avoids (-1) packing B; 0 lets Gemm decide.
// Tests change both to cover every path.
var (
	activeImpl   = gemmImpls()[0]
	packOverride = 0
)

// gemmPool is the persistent set of helper goroutines. One Gemm call at a
// time borrows them (mu); a call that finds them busy — Gemm called from
// several goroutines at once, as pkg/nn's batch workers do — runs on its
// own goroutine, which gives the same bits.
var gemmPool struct {
	mu      sync.Mutex
	args    gemmArgs      // the call being served, written under mu
	helpers []chan int    // helper i receives the part numbers to run
	ws      []*workspace  // helper i's scratch
	done    chan struct{} // one token per finished part
	spare   *workspace    // the borrowing caller's scratch
	_       [0]func()     // not comparable
}

// wsPool holds scratch for calls that run on their caller only.
var wsPool = sync.Pool{New: func() any { return new(workspace) }}

// startHelpers grows the pool to n helpers; it is called with mu held.
func startHelpers(n int) {
	if gemmPool.done == nil {
		gemmPool.done = make(chan struct{}, 64)
		gemmPool.spare = new(workspace)
	}
	for len(gemmPool.helpers) < n {
		ch := make(chan int, 1)
		ws := new(workspace)
		gemmPool.helpers = append(gemmPool.helpers, ch)
		gemmPool.ws = append(gemmPool.ws, ws)
		go func() {
			for p := range ch {
				gemmPool.args.runPart(p, ws)
				gemmPool.done <- struct{}{}
			}
		}()
	}
}

// run executes g, on the helpers when it has more than one part and they
// are free, else on the calling goroutine.
func (g *gemmArgs) run() {
	if g.parts > 1 && g.parts <= 64 && gemmPool.mu.TryLock() {
		startHelpers(g.parts - 1)
		gemmPool.args = *g
		for p := 1; p < g.parts; p++ {
			gemmPool.helpers[p-1] <- p
		}
		gemmPool.args.runPart(0, gemmPool.spare)
		for p := 1; p < g.parts; p++ {
			<-gemmPool.done
		}
		gemmPool.args = gemmArgs{} // drop references to the caller's slices
		gemmPool.mu.Unlock()
		return
	}
	ws := wsPool.Get().(*workspace)
	for p := 0; p < g.parts; p++ {
		g.runPart(p, ws)
	}
	wsPool.Put(ws)
}
