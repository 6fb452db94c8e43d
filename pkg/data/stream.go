package data

import (
	"fmt"
	"sync"
)

// folderFiles holds the examples of a streamed image folder (see
// [OpenImageFolderStream]) as the paths of their files: row r is decoded
// from paths[r] each time it is read. It is shared by the data set's
// subsets and splits and is safe for concurrent reads.
type folderFiles struct {
	paths   []string
	c, h, w int
	// workers bounds the goroutines that decode the examples of one
	// Gather or Range (≤ 1: one at a time).
	workers int

	mu  sync.Mutex
	err error // the first read error, kept (see [Dataset.Err])
}

// read decodes row r into dst (len c*h*w) as float32 values in [0,1], the
// values [LoadImageFolder] would hold. An undecodable file leaves dst
// zero and is kept as the source's error.
func (s *folderFiles) read(r int, dst []float32) {
	if err := decodeInto(s.paths[r], dst, s.c, s.w, s.h); err != nil {
		clear(dst)
		s.mu.Lock()
		if s.err == nil {
			s.err = fmt.Errorf("folder %s: %v", s.paths[r], err)
		}
		s.mu.Unlock()
	}
}

// load decodes the examples of d, a view of s, into d's own byte storage
// (float storage if an image needs values finer than 8 bits), keeping any
// deferred preprocessing: d is no longer streamed. A file that does not
// decode is kept as s's error and its example is zero.
func (s *folderFiles) load(d *Dataset) {
	f := d.FeatureLen()
	pix := make([]uint8, d.N*f)
	errs := parallelEach(d.N, s.workers, func(j int) error {
		return decodeBytesInto(s.paths[d.rows[j]], pix[j*f:(j+1)*f], s.c, s.w, s.h)
	})
	for j, err := range errs {
		if err == errWidePixels { // float storage: read as the stream reads
			d.toFloat()
			return
		}
		if err != nil {
			s.read(int(d.rows[j]), make([]float32, f)) // records the error
			clear(pix[j*f : (j+1)*f])
		}
	}
	d.Pixels, d.rows, d.files = pix, nil, nil
}

// readErr returns the first read error, or nil.
func (s *folderFiles) readErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// OpenImageFolderStream opens one split of an image folder (the layout,
// classes, example order, checks and errors of [LoadImageFolder]) without
// decoding it: only the file names and labels are held in memory, and
// every read of an example decodes its file again, so memory does not grow
// with the number of images. A read of several examples ([Dataset.Gather],
// [Dataset.Range], the [Loader]'s batches) decodes them on up to workers
// goroutines. The values read are those LoadImageFolder holds, to the bit.
//
// Only the headers are read here, so a file whose header is sound but
// whose pixels are not is found when it is first read: the read gives
// zeros for it and [Dataset.Err] reports the file from then on. Readers of
// a streamed data set check Err after reading.
func OpenImageFolderStream(root, split string, workers int) (*Dataset, error) {
	sc, err := scanFolder(root, split)
	if err != nil {
		return nil, err
	}
	if len(sc.paths) > maxViewRows {
		return nil, fmt.Errorf("folder %s: %d images, more than the %d a stream reads", root, len(sc.paths), maxViewRows)
	}
	d := sc.dataset()
	d.files = &folderFiles{paths: sc.paths, c: sc.c, h: sc.h, w: sc.w, workers: workers}
	d.rows = identityRows(d.N)
	return d, nil
}

// Streamed reports whether d reads its examples from files as they are
// read (see [OpenImageFolderStream]).
func (d *Dataset) Streamed() bool { return d.files != nil }

// Err returns the first error met reading an example of a streamed data
// set (see [OpenImageFolderStream]), shared with its subsets and splits;
// nil for a data set in memory, whose reads cannot fail.
func (d *Dataset) Err() error {
	if d.files == nil {
		return nil
	}
	return d.files.readErr()
}

// each calls fn(i, x) for every example i of d in order, x its values as
// readers see them, valid only during the call. A streamed data set is
// read a block at a time, decoded in parallel.
func (d *Dataset) each(fn func(i int, x []float32)) {
	f := d.FeatureLen()
	if d.files == nil {
		buf := make([]float32, f)
		for i := range d.N {
			fn(i, d.view(i, buf))
		}
		return
	}
	const block = 256
	buf := make([]float32, block*f)
	for lo := 0; lo < d.N; lo += block {
		n := min(block, d.N-lo)
		d.Range(buf, lo, n)
		for j := range n {
			fn(lo+j, buf[j*f:(j+1)*f])
		}
	}
}
