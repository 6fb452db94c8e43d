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

// gemmWorkspaces holds the scratch of each pool worker for the Gemm call
// that holds the pool (pool.mu).
var gemmWorkspaces []*workspace

// wsPool holds scratch for calls that run on their caller only.
var wsPool = sync.Pool{New: func() any { return new(workspace) }}

// gemmTask runs the parts of the Gemm call that holds the pool, copied
// into gemmCurrent (so the caller's arguments stay on its stack).
type gemmTask struct{}

var gemmCurrent gemmArgs

// Run computes part p as the given worker.
func (gemmTask) Run(worker, p int) { gemmCurrent.runPart(p, gemmWorkspaces[worker]) }

// run executes g, on the pool when it has more than one part and the pool
// is free, else on the calling goroutine.
func (g *gemmArgs) run() {
	if g.parts > 1 && pool.mu.TryLock() {
		for len(gemmWorkspaces) < g.parts {
			gemmWorkspaces = append(gemmWorkspaces, new(workspace))
		}
		gemmCurrent = *g
		runLocked(g.parts, g.parts, gemmTask{})
		gemmCurrent = gemmArgs{} // drop references to the caller's slices
		pool.mu.Unlock()
		return
	}
	ws := wsPool.Get().(*workspace)
	for p := 0; p < g.parts; p++ {
		g.runPart(p, ws)
	}
	wsPool.Put(ws)
}
