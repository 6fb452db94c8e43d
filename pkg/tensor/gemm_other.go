//go:build !amd64 || purego

package tensor

// gemmImpls lists the kernel sets this build can run, fastest first.
func gemmImpls() []*gemmImpl { return []*gemmImpl{&genericImpl} }

// packT4 is the assembly transposing packer's stand-in: it does nothing.
func packT4(bp []float32, wp, q int, b []float32, off, ldb, kc int) int { return 0 }

// packT16 is the assembly transposing packer's stand-in: it does nothing.
func packT16(bp []float32, wp, q int, b []float32, off, ldb, kc int) int { return 0 }
