package data

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

const (
	// idxTypeUbyte is the only IDX element type this package reads.
	idxTypeUbyte = 0x08
	// idxMaxDims bounds the number of dimensions of an IDX file.
	idxMaxDims = 16
	// idxMaxDataBytes bounds the payload size an IDX header may declare
	// (4 GiB; the full Fashion-MNIST training images are 47 MB).
	idxMaxDataBytes = 1 << 32
	// idxChunk is the read granularity: memory grows with the bytes actually
	// read, never with the size the header declares.
	idxChunk = 1 << 20
)

// idxTypeNames names the IDX element types other than unsigned byte.
var idxTypeNames = map[byte]string{
	0x09: "signed byte",
	0x0B: "int16",
	0x0C: "int32",
	0x0D: "float32",
	0x0E: "float64",
}

// ReadIDX reads one IDX file from r: a 4-byte magic 0x00 0x00 TYPE NDIM,
// NDIM big-endian uint32 dimensions, then the row-major payload. Only the
// unsigned byte type (0x08) is supported. It returns the dimensions and the
// payload, len(data) == product of dims.
//
// ReadIDX never panics and reads exactly the header and the declared payload,
// nothing after it. It rejects headers declaring more than 16 dimensions or
// more than 4 GiB of data before reading the payload, and reads the payload
// in chunks, so a header claiming far more data than r holds costs only as
// much memory as r actually delivers. Errors are single lines such as
// "truncated: expected 784 bytes of data, got 100".
func ReadIDX(r io.Reader) (dims []int, data []byte, err error) {
	var magic [4]byte
	if n, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, nil, readErr("header", len(magic), n, err)
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, nil, badMagic(magic)
	}
	if typ := magic[2]; typ != idxTypeUbyte {
		if name, ok := idxTypeNames[typ]; ok {
			return nil, nil, fmt.Errorf("unsupported data type 0x%02x (%s): only unsigned byte (0x08) is supported", typ, name)
		}
		return nil, nil, badMagic(magic)
	}
	ndim := int(magic[3])
	if ndim < 1 || ndim > idxMaxDims {
		return nil, nil, fmt.Errorf("bad number of dimensions %d in magic 0x%08x, want 1..%d", ndim, be32(magic[:]), idxMaxDims)
	}

	hdr := make([]byte, 4*ndim)
	if n, err := io.ReadFull(r, hdr); err != nil {
		return nil, nil, readErr("dims", len(hdr), n, err)
	}
	dims = make([]int, ndim)
	total := uint64(1)
	for i := range dims {
		d := uint64(be32(hdr[4*i:]))
		if d != 0 && total > idxMaxDataBytes/d {
			return nil, nil, fmt.Errorf("absurd dims %v: more than %d bytes of data", dimsUpTo(hdr, ndim), uint64(idxMaxDataBytes))
		}
		total *= d
		dims[i] = int(d)
	}
	if total > math.MaxInt {
		return nil, nil, fmt.Errorf("absurd dims %v: %d bytes of data do not fit in memory", dims, total)
	}

	want := int(total)
	data = make([]byte, 0, min(want, idxChunk))
	for len(data) < want {
		if len(data) == cap(data) {
			grown := make([]byte, len(data), min(want, max(2*cap(data), idxChunk)))
			copy(grown, data)
			data = grown
		}
		n, err := io.ReadFull(r, data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err != nil {
			return nil, nil, readErr("data", want, len(data), err)
		}
	}
	return dims, data, nil
}

// ReadIDXFile reads the IDX file at path with [ReadIDX], gunzipping it first
// if it starts with the gzip magic (0x1f 0x8b), whatever its name. Bytes after
// the declared payload are an error, and a gzipped file is read to its end so
// that its checksum is verified. Every error is one line naming the file:
//
//	idx PATH: bad magic 0x1f8b0808, want 0x00000803 or 0x00000801 (is this an IDX file?)
func ReadIDXFile(path string) (dims []int, data []byte, err error) {
	defer func() {
		if err != nil {
			dims, data = nil, nil
			err = fmt.Errorf("idx %s: %w", path, err)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, unwrapPath(err) // the path is added by the deferred wrap
	}
	defer f.Close()

	br := bufio.NewReader(f)
	var r io.Reader = br
	compressed := false
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		r, compressed = zr, true
	}

	dims, data, err = ReadIDX(r)
	if err != nil {
		return nil, nil, err
	}
	// Read to the end: catches trailing bytes and, for gzip, verifies the
	// checksum, which compress/gzip only checks at the end of the stream.
	var extra [1]byte
	switch n, err := io.ReadFull(r, extra[:]); {
	case n > 0:
		return nil, nil, fmt.Errorf("trailing bytes after the %d bytes of data declared by dims %v", len(data), dims)
	case err != io.EOF && compressed:
		return nil, nil, fmt.Errorf("corrupt gzip stream after the data: %w", err)
	case err != io.EOF:
		return nil, nil, fmt.Errorf("reading after the data: %w", err)
	}
	return dims, data, nil
}

// readErr reports a failed io.ReadFull of want bytes of part, n of which
// arrived. A short input gives the "truncated: ..." message.
func readErr(part string, want, n int, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated: expected %d bytes of %s, got %d", want, part, n)
	}
	return fmt.Errorf("reading %s: %w", part, err)
}

func badMagic(m [4]byte) error {
	return fmt.Errorf("bad magic 0x%08x, want 0x00000803 or 0x00000801 (is this an IDX file?)", be32(m[:]))
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// dimsUpTo decodes all ndim dims of hdr as uint32 values for error messages.
func dimsUpTo(hdr []byte, ndim int) []uint32 {
	out := make([]uint32, ndim)
	for i := range out {
		out[i] = be32(hdr[4*i:])
	}
	return out
}
