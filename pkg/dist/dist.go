package dist

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Comm is the communicator of one job's ranks. Collectives must be called
// by every rank in the same order with the same lengths. Its methods are
// safe for concurrent use; the blocking ones return when this rank's part
// is done.
type Comm interface {
	// Rank is this process's index in [0, Size).
	Rank() int
	// Size is the number of ranks.
	Size() int
	// SumFloat32 replaces x on every rank by the element-wise sum of x
	// over the ranks.
	SumFloat32(x []float32) error
	// SumFloat64 is SumFloat32 for float64 values.
	SumFloat64(x []float64) error
	// MaxFloat64 replaces x on every rank by the element-wise maximum.
	MaxFloat64(x []float64) error
	// Broadcast copies root's x into x on every other rank.
	Broadcast(x []float32, root int) error
	// GatherUint64 returns v of every rank, indexed by rank, on every rank.
	GatherUint64(v uint64) ([]uint64, error)
	// StartSumFloat32 starts SumFloat32(x) behind the collectives started
	// before it and returns at once; x must not be touched until Wait on
	// the result has returned.
	StartSumFloat32(x []float32) *Pending
	// Close ends the job's use of the communicator (MPI_Finalize). Every
	// rank must call it; a rank that fails alone calls Abort instead.
	Close() error
	// Abort ends the whole job after a failure of this rank that the
	// other ranks cannot know of (they may be waiting in a collective this
	// rank will never join): under MPI the process exits with code at once,
	// without MPI_Finalize, and mpirun stops every other rank. Local and
	// in-process ranks do nothing: the caller goes on to return as usual.
	Abort(code int)
}

// Pending is work handed to Comm.Start.
type Pending struct {
	done chan struct{}
	err  error
}

// Wait blocks until the work is done and returns its error.
func (p *Pending) Wait() error {
	<-p.done
	return p.err
}

// Local is the communicator of a single process: rank 0 of 1. Sums,
// maxima and broadcasts leave their input as it is; Start runs its work at
// once.
type Local struct{}

// Rank is 0.
func (Local) Rank() int { return 0 }

// Size is 1.
func (Local) Size() int { return 1 }

// SumFloat32 leaves x as it is: the sum over one rank.
func (Local) SumFloat32([]float32) error { return nil }

// SumFloat64 leaves x as it is.
func (Local) SumFloat64([]float64) error { return nil }

// MaxFloat64 leaves x as it is.
func (Local) MaxFloat64([]float64) error { return nil }

// Broadcast leaves x as it is.
func (Local) Broadcast([]float32, int) error { return nil }

// GatherUint64 returns []uint64{v}.
func (Local) GatherUint64(v uint64) ([]uint64, error) { return []uint64{v}, nil }

// StartSumFloat32 returns work that is already done.
func (Local) StartSumFloat32([]float32) *Pending {
	p := &Pending{done: make(chan struct{})}
	close(p.done)
	return p
}

// Close does nothing.
func (Local) Close() error { return nil }

// Abort does nothing: a single process ends by returning its error.
func (Local) Abort(int) {}

// LaunchedSize returns the number of processes the MPI launcher started
// this job with, read from its environment (OpenMPI's OMPI_COMM_WORLD_SIZE,
// or PMI_SIZE / PMIX_SIZE of other launchers), and 1 outside a launcher.
func LaunchedSize() int {
	for _, k := range []string{"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"} {
		if n, err := strconv.Atoi(os.Getenv(k)); err == nil && n > 0 {
			return n
		}
	}
	return 1
}

// RecoveryEnabled reports whether mpirun was told to keep the job running
// when a rank dies (`mpirun --enable-recovery`, which OpenMPI passes its
// processes as OMPI_MCA_orte_enable_recovery=1). Without it mpirun stops
// every rank when one dies.
func RecoveryEnabled() bool {
	v := strings.ToLower(os.Getenv("OMPI_MCA_orte_enable_recovery"))
	return v == "1" || v == "true" || v == "yes"
}

// launcherPrefixes begin the names of the environment variables an MPI
// launcher gives the processes it starts (OpenMPI's, PMI's, PMIx's).
var launcherPrefixes = []string{"OMPI_", "PMIX_", "PMI_", "OPAL_", "MPI_LOCALNRANKS="}

// WithoutLauncher is env (KEY=VALUE entries, as os.Environ) without the
// MPI launcher's variables: the environment of a process a rank starts on
// its own (a search's trial), which must not take itself for a member of
// the job.
func WithoutLauncher(env []string) []string {
	var out []string
next:
	for _, kv := range env {
		for _, p := range launcherPrefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// LocalSize returns the number of this job's processes on this machine
// (OMPI_COMM_WORLD_LOCAL_SIZE or MPI_LOCALNRANKS), 1 when unknown: how many
// ways the machine's cores are shared.
func LocalSize() int {
	for _, k := range []string{"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"} {
		if n, err := strconv.Atoi(os.Getenv(k)); err == nil && n > 0 {
			return n
		}
	}
	return 1
}

// Open returns the communicator of this process: the MPI one when the
// binary was built with -tags mpi and started by mpirun with more than one
// process, Local otherwise (an MPI build started on its own does not
// initialize MPI). A binary built without MPI but started with more than
// one process is an error, since each process would train alone.
func Open() (Comm, error) {
	if LaunchedSize() <= 1 {
		return Local{}, nil
	}
	if !Built {
		return nil, fmt.Errorf("started as one of %d MPI processes, but this nettrain was built without MPI: build it with `make build-mpi` (go build -tags mpi, needs libopenmpi-dev) or run it without mpirun", LaunchedSize())
	}
	return openMPI()
}

// Rank0 reports whether c is nil or its rank is 0: the process that writes
// the run's files and prints.
func Rank0(c Comm) bool { return c == nil || c.Rank() == 0 }

// Size is c's number of ranks, 1 for nil.
func Size(c Comm) int {
	if c == nil {
		return 1
	}
	return c.Size()
}
