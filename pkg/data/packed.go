package data

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// A packed file holds one split of an 8-bit image data set, ready to be
// memory-mapped ([OpenPacked]) so that training reads the pixels from the
// page cache instead of holding them in the process's own memory. Layout
// (integers little-endian):
//
//	offset 0     8 bytes   magic "NTPACK\x00\x01"
//	offset 8     N·C·H·W   pixels, example after example, each (C,H,W) NCHW
//	then         4·N       labels, int32
//	then         J bytes   footer: JSON (packedFooter)
//	last 16      bytes     J (uint64), CRC-32C of the footer (uint32), "NTPK"
//
// The examples are cut into shards of ShardExamples; the footer holds the
// CRC-32C (Castagnoli) of each shard's pixels followed by its labels, so a
// flipped byte is found and its shard named.
const (
	packedMagic   = "NTPACK\x00\x01"
	packedTrailer = "NTPK"
	packedVersion = 1
	// PackedExt is the file name extension of packed files.
	PackedExt = ".ntpack"
	// DefaultShardExamples is the shard size PackWriter uses by default.
	DefaultShardExamples = 4096
	// packedMaxFooter bounds the footer a file may declare.
	packedMaxFooter = 64 << 20
)

// crcTable is the CRC-32C (Castagnoli) table of packed files.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// packedFooter is the JSON footer of a packed file.
type packedFooter struct {
	Version       int      `json:"version"`
	N             int      `json:"n"`
	C             int      `json:"c"`
	H             int      `json:"h"`
	W             int      `json:"w"`
	Classes       int      `json:"classes"`
	ClassNames    []string `json:"class_names,omitempty"`
	ShardExamples int      `json:"shard_examples"`
	// ShardCRC32C is the CRC-32C of each shard's pixels then labels.
	ShardCRC32C []uint32 `json:"shard_crc32c"`
}

// PackedSplitFile returns the path of split's packed file in dir:
// dir/train.ntpack or dir/test.ntpack.
func PackedSplitFile(dir, split string) string { return filepath.Join(dir, split+PackedExt) }

// PackWriter writes a packed file example by example, so that a data set
// larger than memory can be packed. It writes to PATH.tmp and renames it
// to PATH in Close: an interrupted or failed pack never leaves a partial
// file under the final name, nor replaces an existing one.
type PackWriter struct {
	path, tmp string
	f         *os.File
	w         *bufio.Writer
	foot      packedFooter
	labels    []int32
	shard     uint32 // running CRC of the current shard's pixels
	shardCRCs []uint32
	shardPix  []uint32 // CRC of each finished shard's pixels, labels added in Close
	err       error
}

// NewPackWriter starts a packed file at path for examples of shape
// (c,h,w) with the given classes (names optional, len classes when set)
// and shard size (0: DefaultShardExamples).
func NewPackWriter(path string, c, h, w, classes int, classNames []string, shardExamples int) (*PackWriter, error) {
	if c < 1 || h < 1 || w < 1 {
		return nil, fmt.Errorf("pack %s: example shape (%d,%d,%d) must be positive", path, c, h, w)
	}
	if classes < 1 || (classNames != nil && len(classNames) != classes) {
		return nil, fmt.Errorf("pack %s: %d classes with %d names", path, classes, len(classNames))
	}
	if shardExamples == 0 {
		shardExamples = DefaultShardExamples
	}
	if shardExamples < 1 {
		return nil, fmt.Errorf("pack %s: shard size %d must be >= 1", path, shardExamples)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return nil, fmt.Errorf("pack %s: %v", path, unwrapPath(err))
	}
	pw := &PackWriter{path: path, tmp: tmp, f: f, w: bufio.NewWriterSize(f, 1<<20),
		foot: packedFooter{Version: packedVersion, C: c, H: h, W: w, Classes: classes, ClassNames: slices.Clone(classNames), ShardExamples: shardExamples}}
	if _, err := pw.w.WriteString(packedMagic); err != nil {
		pw.Abort()
		return nil, fmt.Errorf("pack %s: %v", path, err)
	}
	return pw, nil
}

// Add appends one example: pix, shape (c,h,w) of the writer, and its
// label in [0, classes).
func (pw *PackWriter) Add(pix []uint8, label int32) error {
	if pw.err != nil {
		return pw.err
	}
	ft := &pw.foot
	if len(pix) != ft.C*ft.H*ft.W {
		return fmt.Errorf("pack %s: example %d has %d values, want %d (%d,%d,%d)", pw.path, ft.N, len(pix), ft.C*ft.H*ft.W, ft.C, ft.H, ft.W)
	}
	if label < 0 || int(label) >= ft.Classes {
		return fmt.Errorf("pack %s: example %d has label %d, want 0 to %d", pw.path, ft.N, label, ft.Classes-1)
	}
	if ft.N == maxViewRows {
		return fmt.Errorf("pack %s: more than %d examples (split the data set over several files)", pw.path, maxViewRows)
	}
	if _, err := pw.w.Write(pix); err != nil {
		pw.err = fmt.Errorf("pack %s: %v", pw.path, err)
		return pw.err
	}
	pw.shard = crc32.Update(pw.shard, crcTable, pix)
	pw.labels = append(pw.labels, label)
	ft.N++
	if ft.N%ft.ShardExamples == 0 {
		pw.shardPix = append(pw.shardPix, pw.shard)
		pw.shard = 0
	}
	return nil
}

// Close writes the labels and the footer, syncs the file and renames it to
// its final name. After an error the temporary file is removed.
func (pw *PackWriter) Close() error {
	if pw.err != nil {
		pw.Abort()
		return pw.err
	}
	ft := &pw.foot
	if ft.N == 0 {
		pw.Abort()
		return fmt.Errorf("pack %s: no examples", pw.path)
	}
	if ft.N%ft.ShardExamples != 0 {
		pw.shardPix = append(pw.shardPix, pw.shard)
	}
	lab := make([]byte, 4*ft.N)
	for i, y := range pw.labels {
		binary.LittleEndian.PutUint32(lab[4*i:], uint32(y))
	}
	ft.ShardCRC32C = make([]uint32, len(pw.shardPix))
	for s, c := range pw.shardPix {
		lo, hi := s*ft.ShardExamples, min((s+1)*ft.ShardExamples, ft.N)
		ft.ShardCRC32C[s] = crc32.Update(c, crcTable, lab[4*lo:4*hi])
	}
	foot, err := json.Marshal(ft)
	if err != nil {
		pw.Abort()
		return fmt.Errorf("pack %s: %v", pw.path, err)
	}
	var tail [16]byte
	binary.LittleEndian.PutUint64(tail[0:], uint64(len(foot)))
	binary.LittleEndian.PutUint32(tail[8:], crc32.Checksum(foot, crcTable))
	copy(tail[12:], packedTrailer)
	for _, b := range [][]byte{lab, foot, tail[:]} {
		if _, err := pw.w.Write(b); err != nil {
			pw.Abort()
			return fmt.Errorf("pack %s: %v", pw.path, err)
		}
	}
	if err := pw.w.Flush(); err == nil {
		err = pw.f.Sync()
	} else {
		pw.Abort()
		return fmt.Errorf("pack %s: %v", pw.path, err)
	}
	if err := pw.f.Close(); err != nil {
		os.Remove(pw.tmp)
		return fmt.Errorf("pack %s: %v", pw.path, err)
	}
	if err := os.Rename(pw.tmp, pw.path); err != nil {
		os.Remove(pw.tmp)
		return fmt.Errorf("pack %s: %v", pw.path, unwrapPath(err))
	}
	return nil
}

// Abort closes and removes the temporary file; the final path is left as
// it was.
func (pw *PackWriter) Abort() {
	pw.f.Close()
	os.Remove(pw.tmp)
}

// WritePacked packs the byte-stored data set d into path (see
// [PackWriter]). A data set in float storage (a CSV table, 16-bit images)
// is refused: packed files hold 8-bit values.
//
// A streamed folder (see [OpenImageFolderStream]) is decoded as it is
// written, a block of examples at a time on its decode workers, so packing
// needs memory for one block, not for the data set.
func WritePacked(path string, d *Dataset, shardExamples int) error {
	if d.files != nil && d.deferred == nil {
		return writePackedStream(path, d, shardExamples)
	}
	if !d.Bytes() || d.deferred != nil {
		return fmt.Errorf("pack %s: the data set holds float values, not 8-bit images (packed files store bytes: IDX and 8-bit PNG/JPEG folders)", path)
	}
	pw, err := NewPackWriter(path, d.C, d.H, d.W, d.Classes, d.ClassNames, shardExamples)
	if err != nil {
		return err
	}
	f := d.FeatureLen()
	for i := range d.N {
		row := i
		if d.rows != nil {
			row = int(d.rows[i])
		}
		if err := pw.Add(d.Pixels[row*f:(row+1)*f], d.Y[i]); err != nil {
			pw.Abort()
			return err
		}
	}
	return pw.Close()
}

// writePackedStream is WritePacked for a streamed folder d.
func writePackedStream(path string, d *Dataset, shardExamples int) error {
	pw, err := NewPackWriter(path, d.C, d.H, d.W, d.Classes, d.ClassNames, shardExamples)
	if err != nil {
		return err
	}
	const block = 1024
	f, src := d.FeatureLen(), d.files
	buf := make([]uint8, block*f)
	for lo := 0; lo < d.N; lo += block {
		n := min(block, d.N-lo)
		errs := parallelEach(n, src.workers, func(j int) error {
			return decodeBytesInto(src.paths[d.rows[lo+j]], buf[j*f:(j+1)*f], src.c, src.w, src.h)
		})
		for j, err := range errs {
			if err == errWidePixels {
				err = fmt.Errorf("%v: packed files store 8-bit values", err)
			}
			if err == nil {
				err = pw.Add(buf[j*f:(j+1)*f], d.Y[lo+j])
			} else {
				err = fmt.Errorf("pack %s: folder %s: %v", path, src.paths[d.rows[lo+j]], err)
			}
			if err != nil {
				pw.Abort()
				return err
			}
		}
	}
	return pw.Close()
}

// OpenPacked memory-maps the packed file at path read-only and returns it
// as a byte-stored view (see [Dataset]): the pixels stay in the file's
// pages, which the kernel can drop and reread, so the process's own
// memory holds only the labels and the row indices. Every shard's checksum
// is verified first, on up to workers goroutines. Errors are one line
// naming the file: a truncated file, a bad magic or footer, a shard whose
// checksum differs.
func OpenPacked(path string, workers int) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("packed %s: %v", path, unwrapPath(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("packed %s: %v", path, unwrapPath(err))
	}
	size := st.Size()
	if st.IsDir() {
		return nil, fmt.Errorf("packed %s: a folder, not a packed file", path)
	}
	ft, err := readPackedFooter(f, size)
	if err != nil {
		return nil, fmt.Errorf("packed %s: %v", path, err)
	}
	feat := ft.C * ft.H * ft.W
	pixEnd := int64(len(packedMagic)) + int64(ft.N)*int64(feat)
	mem, err := mapFile(f, int(pixEnd+4*int64(ft.N)))
	if err != nil {
		return nil, fmt.Errorf("packed %s: memory-mapping %d bytes: %v", path, pixEnd, err)
	}
	pix := mem[len(packedMagic):pixEnd:pixEnd]
	lab := mem[pixEnd:]
	if err := verifyShards(ft, pix, lab, workers); err != nil {
		unmapFile(mem)
		return nil, fmt.Errorf("packed %s: %v", path, err)
	}
	d := &Dataset{Pixels: pix, Y: make([]int32, ft.N), N: ft.N, C: ft.C, H: ft.H, W: ft.W,
		Classes: ft.Classes, ClassNames: ft.ClassNames, rows: identityRows(ft.N)}
	for i := range d.Y {
		d.Y[i] = int32(binary.LittleEndian.Uint32(lab[4*i:]))
	}
	// The labels are copied: only the pixels stay mapped, for the life of
	// the process (a data set is loaded once per run).
	return d, nil
}

// readPackedFooter reads and checks the magic, trailer and footer of a
// packed file of size bytes.
func readPackedFooter(r io.ReaderAt, size int64) (*packedFooter, error) {
	var magic [len(packedMagic)]byte
	var tail [16]byte
	if size < int64(len(magic)+len(tail)) {
		return nil, fmt.Errorf("truncated: %d bytes, not a packed file", size)
	}
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return nil, err
	}
	if string(magic[:]) != packedMagic {
		return nil, fmt.Errorf("bad magic %q, want %q (is this a packed file? `nettrain pack` writes them)", magic[:], packedMagic)
	}
	if _, err := r.ReadAt(tail[:], size-16); err != nil {
		return nil, err
	}
	if string(tail[12:]) != packedTrailer {
		return nil, errors.New("no trailer at the end: the file is truncated or was not closed")
	}
	n := binary.LittleEndian.Uint64(tail[0:])
	if n == 0 || n > packedMaxFooter || int64(n) > size-int64(len(magic)+len(tail)) {
		return nil, fmt.Errorf("footer length %d does not fit the %d-byte file (truncated?)", n, size)
	}
	foot := make([]byte, n)
	if _, err := r.ReadAt(foot, size-16-int64(n)); err != nil {
		return nil, err
	}
	if crc32.Checksum(foot, crcTable) != binary.LittleEndian.Uint32(tail[8:]) {
		return nil, errors.New("footer checksum mismatch: the file is damaged")
	}
	var ft packedFooter
	if err := json.Unmarshal(foot, &ft); err != nil {
		return nil, fmt.Errorf("footer: %v", err)
	}
	if canon, err := json.Marshal(&ft); err != nil || !bytes.Equal(canon, foot) {
		return nil, errors.New("footer is not in the encoding nettrain writes (one encoding per content)")
	}
	switch {
	case ft.Version != packedVersion:
		return nil, fmt.Errorf("format version %d, this nettrain reads %d", ft.Version, packedVersion)
	case ft.N < 1 || ft.C < 1 || ft.H < 1 || ft.W < 1 || ft.Classes < 1 || ft.ShardExamples < 1:
		return nil, fmt.Errorf("footer declares %d examples of (%d,%d,%d), %d classes, shards of %d: all must be positive", ft.N, ft.C, ft.H, ft.W, ft.Classes, ft.ShardExamples)
	case ft.N > maxViewRows:
		return nil, fmt.Errorf("footer declares %d examples, more than the %d a file may hold", ft.N, maxViewRows)
	case ft.ClassNames != nil && len(ft.ClassNames) != ft.Classes:
		return nil, fmt.Errorf("footer names %d classes, declares %d", len(ft.ClassNames), ft.Classes)
	case len(ft.ShardCRC32C) != (ft.N+ft.ShardExamples-1)/ft.ShardExamples:
		return nil, fmt.Errorf("footer has %d shard checksums for %d examples in shards of %d", len(ft.ShardCRC32C), ft.N, ft.ShardExamples)
	}
	feat := int64(ft.C) * int64(ft.H) * int64(ft.W)
	if feat > maxImagePixels*3 {
		return nil, fmt.Errorf("footer declares examples of %d values, more than %d", feat, maxImagePixels*3)
	}
	want := int64(len(magic)) + int64(ft.N)*(feat+4) + int64(n) + 16
	if ft.N > 0 && (int64(ft.N)*(feat+4))/int64(ft.N) != feat+4 || want != size {
		return nil, fmt.Errorf("the footer declares %d examples of (%d,%d,%d): %d bytes, the file has %d (truncated or damaged)", ft.N, ft.C, ft.H, ft.W, want, size)
	}
	return &ft, nil
}

// verifyShards checks every shard's CRC-32C, on up to workers goroutines;
// the first bad shard in order is reported.
func verifyShards(ft *packedFooter, pix, lab []byte, workers int) error {
	feat := ft.C * ft.H * ft.W
	bad := make([]bool, len(ft.ShardCRC32C))
	var wg sync.WaitGroup
	next := make(chan int)
	for range max(1, min(workers, len(bad))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range next {
				lo, hi := s*ft.ShardExamples, min((s+1)*ft.ShardExamples, ft.N)
				c := crc32.Update(0, crcTable, pix[lo*feat:hi*feat])
				bad[s] = crc32.Update(c, crcTable, lab[4*lo:4*hi]) != ft.ShardCRC32C[s]
			}
		}()
	}
	for s := range bad {
		next <- s
	}
	close(next)
	wg.Wait()
	if s := slices.Index(bad, true); s >= 0 {
		lo, hi := s*ft.ShardExamples, min((s+1)*ft.ShardExamples, ft.N)
		return fmt.Errorf("shard %d (examples %d to %d) fails its checksum: the file is damaged; pack it again", s, lo, hi-1)
	}
	for i := range ft.N {
		if y := int32(binary.LittleEndian.Uint32(lab[4*i:])); y < 0 || int(y) >= ft.Classes {
			return fmt.Errorf("example %d has label %d, want 0 to %d", i, y, ft.Classes-1)
		}
	}
	return nil
}
