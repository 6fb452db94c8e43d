//go:build mpi

package dist

import (
	"fmt"
	"math"
	"os"
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
	// The collectives receive into buffers of their own, used by the MPI
	// goroutine only, and copy the result back: not in place, as the
	// binding passes MPI_IN_PLACE ((void*)1 in OpenMPI) through an
	// unsafe.Pointer, which Go's stack checks reject. The float32 sum
	// sends straight from the caller's slice (a float32 array holds no Go
	// pointers, so cgo's pointer check passes); the others send a copy.
	s32, r32 []float32
	s64, r64 []float64
}

// buffers32 returns the send buffer holding a copy of x and a receive
// buffer of x's length.
func (c *mpiComm) buffers32(x []float32) (send, recv []float32) {
	if cap(c.s32) < len(x) {
		c.s32, c.r32 = make([]float32, len(x)), make([]float32, len(x))
	}
	send, recv = c.s32[:len(x)], c.r32[:len(x)]
	copy(send, x)
	return send, recv
}

// recv32 returns the comm's receive buffer with length n.
func (c *mpiComm) recv32(n int) []float32 {
	if cap(c.r32) < n {
		c.s32, c.r32 = make([]float32, n), make([]float32, n)
	}
	return c.r32[:n]
}

// allReduce64 replaces x by op over the ranks.
func (c *mpiComm) allReduce64(op mpi.Op, x []float64) error {
	if cap(c.s64) < len(x) {
		c.s64, c.r64 = make([]float64, len(x)), make([]float64, len(x))
	}
	send, recv := c.s64[:len(x)], c.r64[:len(x)]
	copy(send, x)
	if err := c.comm.AllReduceF64(op, recv, send); err != nil {
		return err
	}
	copy(x, recv)
	return nil
}

// queueDepth bounds the collectives queued ahead of the MPI goroutine: a
// step's gradient buckets fit many times over.
const queueDepth = 1024

// yieldParam is OpenMPI's MCA parameter that makes a rank waiting in a
// collective yield its core (sched_yield) instead of spinning. nettrain
// turns it on unless the user set it: the MPI goroutine shares its rank's
// cores with the compute threads, which a spinning wait slows down
// (measured on the MLP of configs/bench, 2 ranks on 2 cores: the step 7–8%
// shorter with it).
const yieldParam = "OMPI_MCA_mpi_yield_when_idle"

func openMPI() (Comm, error) {
	if _, set := os.LookupEnv(yieldParam); !set {
		if err := os.Setenv(yieldParam, "1"); err != nil {
			return nil, fmt.Errorf("MPI: setting %s: %w", yieldParam, err)
		}
	}
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
		// Not in place (see mpiComm): x is sent as it is (a float32
		// array holds no Go pointers) and the sum received into the
		// comm's buffer, then copied back.
		recv := c.recv32(len(x))
		if err := c.comm.AllReduceF32(mpi.OpSum, recv, x); err != nil {
			return err
		}
		copy(x, recv)
		return nil
	})
}

func (c *mpiComm) SumFloat64(x []float64) error {
	return c.do(func() error {
		if len(x) == 0 {
			return nil
		}
		return c.allReduce64(mpi.OpSum, x)
	})
}

func (c *mpiComm) MaxFloat64(x []float64) error {
	return c.do(func() error {
		if len(x) == 0 {
			return nil
		}
		return c.allReduce64(mpi.OpMax, x)
	})
}

func (c *mpiComm) Broadcast(x []float32, root int) error {
	return c.do(func() error {
		if len(x) == 0 {
			return nil
		}
		buf, _ := c.buffers32(x)
		if err := c.comm.BcastF32(root, buf); err != nil {
			return err
		}
		copy(x, buf)
		return nil
	})
}

func (c *mpiComm) GatherUint64(v uint64) ([]uint64, error) {
	out := make([]uint64, c.size)
	err := c.do(func() error {
		// A sum over float64s, through the comm's own buffers for the
		// reason above: each rank fills its own two slots with the high
		// and low 32 bits of v, which float64 holds exactly.
		halves := make([]float64, 2*c.size)
		halves[2*c.rank] = float64(v >> 32)
		halves[2*c.rank+1] = float64(v & math.MaxUint32)
		if err := c.allReduce64(mpi.OpSum, halves); err != nil {
			return err
		}
		for i := range out {
			out[i] = uint64(halves[2*i])<<32 | uint64(halves[2*i+1])
		}
		return nil
	})
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

// Abort exits the process with code without finalizing MPI: mpirun sees a
// rank end before MPI_Finalize and stops the others, which may be blocked
// in a collective this rank will not join. (The binding's MPI_Abort
// passes error code 0, which would end the job with a success status.)
func (c *mpiComm) Abort(code int) {
	if code == 0 {
		code = 1
	}
	os.Exit(code)
}
