package tensor

import "sync"

// activeImpl is the kernel set Gemm uses: the fastest this CPU runs.
// packOverride forces (1) or avoids (-1) packing B; 0 lets Gemm decide.
// Tests change both to cover every path.
var (
	activeImpl   = gemmImpls()[0]
	packOverride = 0
)

// wsPool holds scratch for calls that run on their caller only (a nil or
// busy pool). It is a cache of buffers, not a budget: it starts no
// goroutines.
var wsPool = sync.Pool{New: func() any { return new(workspace) }}

// gemmJob is the Task of the Gemm call that holds pool p: it runs the parts
// of p.gemm, each worker with its own scratch p.ws[worker].
type gemmJob Pool

// Run computes part i as the given worker.
func (j *gemmJob) Run(worker, i int) { j.gemm.runPart(i, j.ws[worker]) }

// run executes g on p when g has more than one part and p is free, else
// on the calling goroutine.
func (g *gemmArgs) run(p *Pool) {
	if g.parts > 1 && p.mu.TryLock() {
		if !p.closed.Load() {
			for len(p.ws) < g.parts {
				p.ws = append(p.ws, new(workspace))
			}
			p.gemm = *g
			p.runLocked(g.parts, g.parts, (*gemmJob)(p))
			p.gemm = gemmArgs{} // drop references to the caller's slices
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
	}
	ws := wsPool.Get().(*workspace)
	for i := 0; i < g.parts; i++ {
		g.runPart(i, ws)
	}
	wsPool.Put(ws)
}

// Kernels names the matrix-multiply kernel set this build runs on this CPU:
// "avx512", "avx2" (both with fused multiply-adds, and the same bits) or
// "generic" (pure Go, -tags purego or another architecture: separate
// multiplies and adds, so its float32 results differ in the last bits).
func Kernels() string { return activeImpl.name }
