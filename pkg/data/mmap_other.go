//go:build !unix

package data

import (
	"io"
	"os"
)

// mapFile reads the first n bytes of f into memory: systems without mmap
// hold packed files in the process's memory.
func mapFile(f *os.File, n int) ([]byte, error) {
	b := make([]byte, n)
	_, err := io.ReadFull(f, b)
	return b, err
}

// unmapFile releases a buffer of mapFile (the garbage collector does).
func unmapFile([]byte) {}
