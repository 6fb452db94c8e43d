package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// smallDir is the committed Fashion-MNIST subset.
const smallDir = "../../testdata/fashion-mnist-small"

// idxBytes encodes an IDX file with element type typ, the given dims and the
// payload data (not checked against dims).
func idxBytes(typ byte, dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, typ, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(data)
	return b.Bytes()
}

// ubyteIDX encodes a valid unsigned-byte IDX file.
func ubyteIDX(dims []uint32, data []byte) []byte { return idxBytes(0x08, dims, data) }

// gzipBytes gzips b; name, if not empty, is stored in the header (FNAME).
func gzipBytes(t testing.TB, b []byte, name string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Name = name
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeFile writes b to dir/name and returns the path.
func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// seq returns n bytes 0, 1, 2, ... (mod 256).
func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// checkOneLine fails if err is nil or its message spans several lines.
func checkOneLine(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("want an error, got nil")
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error message is not one line: %q", err)
	}
}

// markedDataset returns a dataset of n examples of shape (c,h,w) whose first
// value is the example index and whose label is i % classes.
func markedDataset(n, c, h, w, classes int) *Dataset {
	f := c * h * w
	d := &Dataset{X: make([]float32, n*f), Y: make([]int32, n), N: n, C: c, H: h, W: w, Classes: classes}
	for i := range n {
		for j := range f {
			d.X[i*f+j] = float32(j) / float32(f)
		}
		d.X[i*f] = float32(i)
		d.Y[i] = int32(i % classes)
	}
	return d
}

// values returns every value of d as readers see it, (N, C, H, W), in a
// new slice, whichever storage holds it.
func values(d *Dataset) []float32 { return d.Range(nil, 0, d.N) }
