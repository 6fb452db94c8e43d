//go:build !amd64 || purego

package tensor

// gemmImpls lists the kernel sets this build can run, fastest first.
func gemmImpls() []*gemmImpl { return []*gemmImpl{&genericImpl} }
