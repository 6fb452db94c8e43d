package data

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadIDXRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		dims []uint32
	}{
		{"1-D labels", []uint32{7}},
		{"3-D images", []uint32{3, 4, 5}},
		{"4-D", []uint32{2, 1, 3, 3}},
		{"empty", []uint32{0}},
		{"empty 3-D", []uint32{0, 28, 28}},
		{"one byte", []uint32{1}},
		{"larger than a chunk", []uint32{3, idxChunk/2 + 1}},
	}
	for _, tt := range tests {
		n := 1
		wantDims := make([]int, len(tt.dims))
		for i, d := range tt.dims {
			n *= int(d)
			wantDims[i] = int(d)
		}
		payload := seq(n)
		raw := ubyteIDX(tt.dims, payload)
		dir := t.TempDir()
		inputs := []struct {
			kind string
			read func() ([]int, []byte, error)
		}{
			{"ReadIDX", func() ([]int, []byte, error) { return ReadIDX(bytes.NewReader(raw)) }},
			{"ReadIDX one byte at a time", func() ([]int, []byte, error) {
				return ReadIDX(iotest.OneByteReader(bytes.NewReader(raw)))
			}},
			{"ReadIDXFile raw", func() ([]int, []byte, error) {
				return ReadIDXFile(writeFile(t, dir, "x-idx", raw))
			}},
			{"ReadIDXFile gz", func() ([]int, []byte, error) {
				return ReadIDXFile(writeFile(t, dir, "x-idx.gz", gzipBytes(t, raw, "x-idx")))
			}},
			{"ReadIDXFile gz without .gz name", func() ([]int, []byte, error) {
				return ReadIDXFile(writeFile(t, dir, "y-idx", gzipBytes(t, raw, "")))
			}},
		}
		for _, in := range inputs {
			t.Run(tt.name+"/"+in.kind, func(t *testing.T) {
				dims, data, err := in.read()
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(dims, wantDims) {
					t.Errorf("dims = %v, want %v", dims, wantDims)
				}
				if !bytes.Equal(data, payload) {
					t.Errorf("data differs: len %d, want %d", len(data), len(payload))
				}
			})
		}
	}
}

func TestReadIDXStopsAfterPayload(t *testing.T) {
	raw := append(ubyteIDX([]uint32{3}, []byte{1, 2, 3}), 0xAA, 0xBB)
	r := bytes.NewReader(raw)
	if _, _, err := ReadIDX(r); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 2 {
		t.Errorf("ReadIDX left %d bytes unread, want 2", r.Len())
	}
}

func TestReadIDXTruncatedEveryLength(t *testing.T) {
	raw := ubyteIDX([]uint32{2, 3, 2}, seq(12)) // 4 magic + 12 dims + 12 data
	for k := range len(raw) {
		var want string
		switch {
		case k < 4:
			want = "truncated: expected 4 bytes of header, got " + itoa(k)
		case k < 16:
			want = "truncated: expected 12 bytes of dims, got " + itoa(k-4)
		default:
			want = "truncated: expected 12 bytes of data, got " + itoa(k-16)
		}
		dims, data, err := ReadIDX(bytes.NewReader(raw[:k]))
		if err == nil || err.Error() != want {
			t.Errorf("len %d: err = %v, want %q", k, err, want)
		}
		if dims != nil || data != nil {
			t.Errorf("len %d: got dims %v and %d data bytes with an error", k, dims, len(data))
		}
	}
}

func TestReadIDXFileTruncatedEveryLength(t *testing.T) {
	raw := ubyteIDX([]uint32{4, 5}, seq(20))
	gz := gzipBytes(t, raw, "x")
	dir := t.TempDir()
	for _, in := range []struct {
		name string
		b    []byte
	}{{"raw", raw}, {"gz", gz}} {
		for k := range len(in.b) {
			p := writeFile(t, dir, in.name, in.b[:k])
			_, _, err := ReadIDXFile(p)
			checkOneLine(t, err)
			if !strings.HasPrefix(err.Error(), "idx "+p+": ") {
				t.Errorf("%s len %d: error %q does not name the file", in.name, k, err)
			}
		}
	}
}

func TestReadIDXErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string // exact message
	}{
		{"empty", nil, "truncated: expected 4 bytes of header, got 0"},
		{"text file", []byte("hello world"),
			"bad magic 0x68656c6c, want 0x00000803 or 0x00000801 (is this an IDX file?)"},
		{"gzip magic", []byte{0x1f, 0x8b, 0x08, 0x08, 0, 0},
			"bad magic 0x1f8b0808, want 0x00000803 or 0x00000801 (is this an IDX file?)"},
		{"unknown type code", idxBytes(0x42, []uint32{1}, []byte{0}),
			"bad magic 0x00004201, want 0x00000803 or 0x00000801 (is this an IDX file?)"},
		{"float32 type", idxBytes(0x0D, []uint32{1}, []byte{0, 0, 0, 0}),
			"unsupported data type 0x0d (float32): only unsigned byte (0x08) is supported"},
		{"signed byte type", idxBytes(0x09, []uint32{1}, []byte{0}),
			"unsupported data type 0x09 (signed byte): only unsigned byte (0x08) is supported"},
		{"int32 type", idxBytes(0x0C, []uint32{1}, []byte{0, 0, 0, 0}),
			"unsupported data type 0x0c (int32): only unsigned byte (0x08) is supported"},
		{"zero dims", []byte{0, 0, 8, 0}, "bad number of dimensions 0 in magic 0x00000800, want 1..16"},
		{"17 dims", append([]byte{0, 0, 8, 17}, make([]byte, 68)...),
			"bad number of dimensions 17 in magic 0x00000811, want 1..16"},
		{"absurd dims", ubyteIDX([]uint32{0xffffffff, 0xffffffff, 0xffffffff}, nil),
			"absurd dims [4294967295 4294967295 4294967295]: more than 4294967296 bytes of data"},
		{"just over 4 GiB", ubyteIDX([]uint32{1 << 16, 1<<16 + 1}, nil),
			"absurd dims [65536 65537]: more than 4294967296 bytes of data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dims, data, err := ReadIDX(bytes.NewReader(tt.in))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if dims != nil || data != nil {
				t.Errorf("got dims %v and %d data bytes with an error", dims, len(data))
			}
		})
	}
}

func TestReadIDXReaderError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(ubyteIDX([]uint32{10}, seq(3))), iotest.ErrReader(boom))
	_, _, err := ReadIDX(r)
	if !errors.Is(err, boom) || err.Error() != "reading data: boom" {
		t.Fatalf("err = %v, want reading data: boom", err)
	}
}

func TestReadIDXFileErrors(t *testing.T) {
	dir := t.TempDir()
	valid := ubyteIDX([]uint32{2, 2}, seq(4))
	gz := gzipBytes(t, valid, "x")
	badCRC := slices.Clone(gz)
	badCRC[len(badCRC)-8] ^= 0xff // CRC-32 is the trailer's first 4 bytes
	tests := []struct {
		name string
		file string
		in   []byte // nil: file not created
		want string // exact message after "idx PATH: "
	}{
		{"double gzip", "train-images-idx3-ubyte.gz", gzipBytes(t, gzipBytes(t, valid, "train-images-idx3-ubyte"), ""),
			"bad magic 0x1f8b0808, want 0x00000803 or 0x00000801 (is this an IDX file?)"},
		{"trailing bytes raw", "trail", append(slices.Clone(valid), 1),
			"trailing bytes after the 4 bytes of data declared by dims [2 2]"},
		{"trailing bytes gz", "trail.gz", gzipBytes(t, append(slices.Clone(valid), 1, 2), ""),
			"trailing bytes after the 4 bytes of data declared by dims [2 2]"},
		{"short garbage after gz member", "garbage.gz", append(slices.Clone(gz), 'x', 'y', 'z'),
			"corrupt gzip stream after the data: unexpected EOF"},
		{"garbage after gz member", "garbage.gz", append(slices.Clone(gz), []byte("0123456789abcdef")...),
			"corrupt gzip stream after the data: gzip: invalid header"},
		{"bad gzip checksum", "crc.gz", badCRC, "corrupt gzip stream after the data: gzip: invalid checksum"},
		{"missing", "nope", nil, "no such file or directory"},
		{"wrong type", "f32", idxBytes(0x0D, []uint32{1}, []byte{0, 0, 0, 0}),
			"unsupported data type 0x0d (float32): only unsigned byte (0x08) is supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.file)
			if tt.in != nil {
				writeFile(t, dir, tt.file, tt.in)
			}
			dims, data, err := ReadIDXFile(p)
			checkOneLine(t, err)
			if want := "idx " + p + ": " + tt.want; err.Error() != want {
				t.Errorf("err = %q\nwant  %q", err, want)
			}
			if dims != nil || data != nil {
				t.Errorf("got dims %v and %d data bytes with an error", dims, len(data))
			}
			if tt.in == nil && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("missing file: errors.Is(err, fs.ErrNotExist) = false")
			}
		})
	}
}

// TestReadIDXHugeDimsTinyData checks that memory follows the bytes present,
// not the size the header declares.
func TestReadIDXHugeDimsTinyData(t *testing.T) {
	tests := []struct {
		name string
		dims []uint32
	}{
		{"1 GiB declared", []uint32{1 << 30}},
		{"4 GiB declared", []uint32{1 << 16, 1 << 16}},
		{"60000x28x28 declared", []uint32{60000, 28, 28}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := ubyteIDX(tt.dims, seq(10))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, err := ReadIDX(bytes.NewReader(raw))
			runtime.ReadMemStats(&after)
			if err == nil || !strings.HasPrefix(err.Error(), "truncated: expected ") || !strings.HasSuffix(err.Error(), " bytes of data, got 10") {
				t.Fatalf("err = %v, want truncated ... got 10", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
				t.Errorf("allocated %d bytes for a 10-byte payload", alloc)
			}
		})
	}
}

func FuzzReadIDX(f *testing.F) {
	valid3 := ubyteIDX([]uint32{2, 3, 4}, seq(24))
	f.Add(valid3)
	f.Add(ubyteIDX([]uint32{5}, []byte{0, 1, 2, 9, 255}))
	f.Add(ubyteIDX([]uint32{0}, nil))
	f.Add(ubyteIDX([]uint32{1, 1, 1, 1}, []byte{7}))
	f.Add(valid3[:len(valid3)-1])
	f.Add(valid3[:10])
	f.Add(append(slices.Clone(valid3), 1, 2, 3))
	f.Add([]byte{})
	f.Add([]byte{0, 0, 8})
	f.Add([]byte{0, 0, 8, 0})
	f.Add([]byte{0, 0, 8, 255})
	f.Add([]byte{0x1f, 0x8b, 8, 8})
	f.Add(idxBytes(0x0D, []uint32{1}, []byte{0, 0, 0, 0}))
	f.Add(ubyteIDX([]uint32{0xffffffff, 0xffffffff}, nil))
	f.Add(ubyteIDX([]uint32{1 << 20, 1 << 10}, seq(100)))
	f.Fuzz(func(t *testing.T, in []byte) {
		dims, data, err := ReadIDX(bytes.NewReader(in))
		if err != nil {
			if dims != nil || data != nil {
				t.Fatalf("error %v with dims %v and %d data bytes", err, dims, len(data))
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if len(dims) < 1 || len(dims) > idxMaxDims {
			t.Fatalf("len(dims) = %d", len(dims))
		}
		n := 1
		for _, d := range dims {
			if d < 0 {
				t.Fatalf("negative dim in %v", dims)
			}
			n *= d
		}
		if n != len(data) {
			t.Fatalf("dims %v (product %d) but %d data bytes", dims, n, len(data))
		}
		if 4+4*len(dims)+len(data) > len(in) {
			t.Fatalf("returned more bytes than the input holds")
		}
		// Round trip: writing dims and data back gives exactly the bytes
		// ReadIDX consumed.
		u := make([]uint32, len(dims))
		for i, d := range dims {
			u[i] = uint32(d)
		}
		if out := ubyteIDX(u, data); !bytes.Equal(out, in[:len(out)]) {
			t.Fatalf("re-encoding differs:\n in: %q\nout: %q", in[:len(out)], out)
		}
	})
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
