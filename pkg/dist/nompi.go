//go:build !mpi

package dist

// Built reports whether this binary was built with MPI support (-tags mpi).
const Built = false

// openMPI is not reached in a build without MPI (Open checks Built).
func openMPI() (Comm, error) { return Local{}, nil }
