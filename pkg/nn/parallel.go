package nn

import "github.com/nettrain/nettrain/pkg/tensor"

// Threads returns the number of goroutines a layer may use at once to split
// a batch: the compute thread count set with tensor.SetThreads (the same
// setting governs the matrix multiply). Results are bit-identical for every
// thread count.
func Threads() int { return tensor.Threads() }

// Task is a body for ParallelFor (tensor.Task).
type Task = tensor.Task

// TaskFunc adapts a function to Task (tensor.TaskFunc).
type TaskFunc = tensor.TaskFunc

// ParallelFor calls t.Run(worker, i) once for every i in [0, n) on up to
// `workers` goroutines that stay awake between calls: tensor.ParallelFor,
// the pool the matrix multiply also uses. A worker's calls run one after
// another, so per-worker scratch is safe; the results must not depend on
// which worker runs which i. A call from inside a task runs on its caller.
func ParallelFor(workers, n int, t Task) { tensor.ParallelFor(workers, n, t) }
