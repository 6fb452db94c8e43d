// Package dist is the communicator of data-parallel training: the ranks of
// one job, the collectives the trainer needs (sum all-reduce, broadcast,
// all-gather) and a way to start them in the background.
//
// Two implementations stand behind the Comm interface. Local is the one
// process of an ordinary run: every collective is the identity, so the
// single-process path never touches MPI. The MPI communicator (mpi.go, built
// only with -tags mpi: cgo to the system's OpenMPI through
// cogentcore.org/lab/base/mpi) is what Open returns in a process started by
// mpirun. Every MPI call of a process is made from one goroutine locked to
// the OS thread that initialized MPI, so the library needs no thread
// support beyond MPI_THREAD_FUNNELED; the other goroutines hand it work
// through a queue. StartSumFloat32 returns at once and Pending.Wait blocks
// until the sum is done: how gradient buckets are reduced while the
// backward pass still runs.
//
// Control is the job's other channel: a TCP connection between rank 0 and
// every other rank (addresses exchanged through the communicator, a random
// token proving a connection is the job's, pings every second). MPI cannot
// say that a rank died, a closed connection can: a distributed search
// sends its orders and results over it and goes on without a dead rank,
// and a data-parallel job ends with a message instead of waiting in a
// collective forever.
//
// A default (CGO_ENABLED=0) build started under mpirun with more than one
// process refuses to run, with a message saying how to build the MPI one,
// instead of training N unrelated copies of the model.
package dist
