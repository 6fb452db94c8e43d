//go:build unix

package data

import (
	"os"
	"syscall"
)

// mapFile maps the first n bytes of f read-only and shared: the pages
// belong to the page cache, not to the process.
func mapFile(f *os.File, n int) ([]byte, error) {
	return syscall.Mmap(int(f.Fd()), 0, n, syscall.PROT_READ, syscall.MAP_SHARED)
}

// unmapFile releases a mapping made by mapFile.
func unmapFile(b []byte) { _ = syscall.Munmap(b) }
