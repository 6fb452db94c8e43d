//go:build mpi

package dist

import (
	"fmt"
	"runtime"

	"cogentcore.org/lab/base/mpi"
)

// Built reports whether this binary was built with MPI support (-tags mpi).
const Built = true

// mpiComm is the MPI world communicator. One goroutine, locked to the OS
// thread that called MPI_Init, makes every MPI call of the process; the
// methods queue their call to it and wait.
type mpiComm struct {
	work       chan func()
	comm       *mpi.Comm
	rank, size int
}

// queueDepth bounds the collectives queued ahead of the MPI goroutine: a
// step's gradient buckets fit many times over.
const queueDepth = 1024

func openMPI() (Comm, error) {
	c := &mpiComm{work: make(chan func(), queueDepth)}
	ready := make(chan error)
	go c.serve(ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return c, nil
}

// serve initializes MPI on its own OS thread and runs the queued calls in
// order until Close.
func (c *mpiComm) serve(ready chan<- error) {
	runtime.LockOSThread()
	mpi.LogErrors = false
	mpi.Init()
	cm, err := mpi.NewComm(nil)
	if err != nil {
		ready <- fmt.Errorf("MPI: the world communicator: %w", err)
		return
	}
	c.comm, c.rank, c.size = cm, cm.Rank(), cm.Size()
	ready <- nil
	for f := range c.work {
		f()
	}
}

// start queues f and returns its Pending.
func (c *mpiComm) start(f func() error) *Pending {
	p := &Pending{done: make(chan struct{})}
	c.work <- func() {
		p.err = f()
		close(p.done)
	}
	return p
}

// do runs f on the MPI goroutine and waits for it.
func (c *mpiComm) do(f func() error) error { return c.start(f).Wait() }

func (c *mpiComm) Rank() int { return c.rank }
func (c *mpiComm) Size() int { return c.size }

func (c *mpiComm) SumFloat32(x []float32) error { return c.StartSumFloat32(x).Wait() }

func (c *mpiComm) StartSumFloat32(x []float32) *Pending {
	return c.start(func() error {
		if len(x) == 0 {
			return nil
		}
		return c.comm.AllReduceF32(mpi.OpSum, x, nil)
	})
}

func (c *mpiComm) SumFloat64(x []float64) error {
	return c.do(func() error {
		if len(x) == 0 {
			return nil
		}
		return c.comm.AllReduceF64(mpi.OpSum, x, nil)
	})
}

func (c *mpiComm) MaxFloat64(x []float64) error {
	return c.do(func() error {
		if len(x) == 0 {
			return nil
		}
		return c.comm.AllReduceF64(mpi.OpMax, x, nil)
	})
}

func (c *mpiComm) Broadcast(x []float32, root int) error {
	return c.do(func() error {
		if len(x) == 0 {
			return nil
		}
		return c.comm.BcastF32(root, x)
	})
}

func (c *mpiComm) GatherUint64(v uint64) ([]uint64, error) {
	out := make([]uint64, c.size)
	err := c.do(func() error { return c.comm.AllGatherU64(out, []uint64{v}) })
	return out, err
}

// Close finalizes MPI and stops the MPI goroutine.
func (c *mpiComm) Close() error {
	err := c.do(func() error {
		mpi.Finalize()
		return nil
	})
	close(c.work)
	return err
}
