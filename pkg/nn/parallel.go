package nn

import "github.com/nettrain/nettrain/pkg/tensor"

// Layers split their work over the Context's Pool: a pass calls
// c.Pool.ParallelFor with tasks whose results do not depend on which worker
// runs them or how many there are, and c.Pool.Gemm for its matrix
// multiplies. A nil Pool runs everything on the calling goroutine.

// elemChunk is how many elements one task of a parallel elementwise pass
// covers; shorter passes run on the calling goroutine. Elementwise work
// gives the same bits however it is split.
const elemChunk = 1 << 15

// elemChunks returns the number of elemChunk tasks covering n elements.
func elemChunks(n int) int { return (n + elemChunk - 1) / elemChunk }

// addTask sets dst = a + b, or max(a + b, 0) with relu, one chunk per
// task; a layer keeps one so that passing it to (*tensor.Pool).ParallelFor
// does not allocate.
type addTask struct {
	dst, a, b []float32
	relu      bool
}

// Run adds chunk i (and rectifies it while it is in cache).
func (t *addTask) Run(_, i int) {
	lo, hi := i*elemChunk, min((i+1)*elemChunk, len(t.dst))
	d := t.dst[lo:hi]
	tensor.LinComb2(d, t.a[lo:hi], t.b[lo:hi], 1, 1, 0) // (1·a + 0) + 1·b = a + b, exactly rounded
	if t.relu {
		tensor.ReLU(d, d)
	}
}

// add sets dst = a + b (all of one length) in parallel chunks on pool,
// using t.
func (t *addTask) add(pool *tensor.Pool, dst, a, b []float32) { t.run(pool, dst, a, b, false) }

// addReLU sets dst = max(a + b, 0), as ReLU rectifies (a NaN stays NaN).
func (t *addTask) addReLU(pool *tensor.Pool, dst, a, b []float32) { t.run(pool, dst, a, b, true) }

func (t *addTask) run(pool *tensor.Pool, dst, a, b []float32, relu bool) {
	*t = addTask{dst, a[:len(dst)], b[:len(dst)], relu}
	pool.ParallelFor(elemChunks(len(dst)), t)
	*t = addTask{}
}

// reluGradTask sets dst = dy where x > 0 and 0 elsewhere (tensor.ReLUGrad),
// one chunk per task; a layer keeps one so that passing it to ParallelFor
// does not allocate.
type reluGradTask struct {
	dst, dy, x []float32
}

// Run masks chunk i.
func (t *reluGradTask) Run(_, i int) {
	lo, hi := i*elemChunk, min((i+1)*elemChunk, len(t.dst))
	tensor.ReLUGrad(t.dst[lo:hi], t.dy[lo:hi], t.x[lo:hi])
}

// reluGrad sets dst = dy where x > 0, else 0 (all of one length), in
// parallel chunks on pool, using t. x may be the relu's output.
func (t *reluGradTask) reluGrad(pool *tensor.Pool, dst, dy, x []float32) {
	*t = reluGradTask{dst, dy[:len(dst)], x[:len(dst)]}
	pool.ParallelFor(elemChunks(len(dst)), t)
	*t = reluGradTask{}
}
