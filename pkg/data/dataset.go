package data

import (
	"fmt"
	"math"
	"slices"
)

// Dataset is N labelled examples of shape (C,H,W), stored NCHW.
//
// The examples are held in one of two ways. Float storage (X) holds any
// float32 values: CSV tables, preprocessed or projected data, whatever a
// caller builds. Byte storage (Pixels) holds 8-bit images as the loaders
// read them, a quarter of the memory: byte b stands for the float32 value
// b/255, exactly what float storage would hold. A byte-stored data set may
// also carry a deferred elementwise preprocessing (global, channel or
// feature standardization, set by that method's Apply), which is applied
// to each example as it is read. Readers ([Dataset.Gather],
// [Dataset.Range], [Dataset.Example], the [Loader]) therefore see the
// same float32 values to the bit whichever storage holds them.
type Dataset struct {
	// X holds the examples in float storage, shape (N, C, H, W), len
	// N*C*H*W; nil when Pixels holds them. Loaders scale pixel values to
	// [0,1].
	X []float32
	// Pixels holds the examples in byte storage, shape (N, C, H, W), len
	// N*C*H*W, byte b standing for b/255; nil when X holds them. Only one
	// of X and Pixels is set.
	Pixels []uint8
	// Y holds the labels, shape (N,), each a class index in [0, Classes).
	Y []int32
	// N is the number of examples; C, H, W the shape of one example.
	N, C, H, W int
	// Classes is the number of classes.
	Classes int
	// ClassNames names the classes, len Classes; may be nil.
	ClassNames []string
	// deferred, when set (byte storage only), is the elementwise
	// standardization applied to every example read.
	deferred *standardize
	// rows, when set (byte storage only), makes d a view: example i is
	// row rows[i] of Pixels, which is shared and never written (a
	// memory-mapped packed file, see [OpenPacked]), or, with files set,
	// decoded from file rows[i]. Subsets and splits of a view are views
	// too: they copy indices, not pixels.
	rows []int32
	// files, when set, makes d a streamed image folder (see
	// [OpenImageFolderStream]): X and Pixels are nil and example i is
	// decoded from a file each time it is read.
	files *folderFiles
}

// FashionMNISTClasses lists the 10 Fashion-MNIST class names, indexed by label.
var FashionMNISTClasses = []string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// FeatureLen returns C*H*W, the number of float32 values in one example.
func (d *Dataset) FeatureLen() int { return d.C * d.H * d.W }

// Bytes reports whether d is in byte storage (Pixels).
func (d *Dataset) Bytes() bool { return d.Pixels != nil }

// stored returns the number of values d holds: len(X), len(Pixels), or
// the rows of a view times C*H*W.
func (d *Dataset) stored() int {
	switch {
	case d.rows != nil:
		return len(d.rows) * d.FeatureLen()
	case d.Pixels != nil:
		return len(d.Pixels)
	}
	return len(d.X)
}

// lazy reports whether d's stored values are converted as they are read:
// byte storage, or a streamed folder.
func (d *Dataset) lazy() bool { return d.Pixels != nil || d.files != nil }

// view returns the values of example i, len C*H*W: a view of X in float
// storage (writes change d), or the converted bytes (decoded file),
// preprocessed as deferred, written into buf (len >= C*H*W) otherwise.
func (d *Dataset) view(i int, buf []float32) []float32 {
	f := d.FeatureLen()
	if !d.lazy() {
		return d.X[i*f : (i+1)*f : (i+1)*f]
	}
	x := buf[:f:f]
	if d.rows != nil {
		i = int(d.rows[i])
	}
	if d.files != nil {
		d.files.read(i, x)
	} else {
		for j, b := range d.Pixels[i*f : (i+1)*f] {
			x[j] = pixelScale[b]
		}
	}
	if d.deferred != nil {
		d.deferred.apply(x)
	}
	return x
}

// Example returns a copy of example i, shape (C,H,W), len C*H*W, as
// readers see it. It panics if i is out of range.
func (d *Dataset) Example(i int) []float32 {
	return d.Range(nil, i, 1)
}

// Range writes the examples lo, ..., lo+n-1, shape (n, C, H, W), into dst
// (allocated when shorter than n*C*H*W) and returns dst[:n*C*H*W]. It
// panics if the range is out of bounds.
func (d *Dataset) Range(dst []float32, lo, n int) []float32 {
	f := d.FeatureLen()
	if len(dst) < n*f {
		dst = make([]float32, n*f)
	}
	dst = dst[:n*f]
	switch {
	case d.files != nil:
		d.readParallel(dst, n, func(j int) int { return lo + j })
	case d.Pixels == nil:
		copy(dst, d.X[lo*f:(lo+n)*f])
	default:
		for j := range n {
			d.view(lo+j, dst[j*f:])
		}
	}
	return dst
}

// readParallel writes examples at(0), ..., at(n-1) of a streamed d into
// dst, shape (n, C, H, W), decoding them on up to d.files.workers
// goroutines.
func (d *Dataset) readParallel(dst []float32, n int, at func(j int) int) {
	f := d.FeatureLen()
	parallelEach(n, d.files.workers, func(j int) error {
		d.view(at(j), dst[j*f:(j+1)*f])
		return nil
	})
}

// Gather writes the examples idx[0], idx[1], ..., shape (len(idx), C, H,
// W), into dst, which needs len >= len(idx)*C*H*W. Indices may repeat. It
// panics if an index is out of range or dst is too short.
func (d *Dataset) Gather(dst []float32, idx []int) {
	f := d.FeatureLen()
	if d.files != nil {
		d.readParallel(dst, len(idx), func(j int) int { return idx[j] })
		return
	}
	for j, i := range idx {
		if d.Pixels == nil {
			copy(dst[j*f:(j+1)*f], d.X[i*f:(i+1)*f])
		} else {
			d.view(i, dst[j*f:])
		}
	}
}

// toFloat turns a byte-stored d into float storage holding the values
// readers see (any deferred preprocessing applied); a float-stored d is
// left as it is.
func (d *Dataset) toFloat() {
	if !d.lazy() {
		return
	}
	x := d.Range(nil, 0, d.N)
	d.X, d.Pixels, d.deferred, d.rows, d.files = x, nil, nil, nil, nil
}

// Subset returns a new Dataset holding copies of the examples listed in idx,
// in that order (shape (len(idx), C, H, W)); indices may repeat. The
// storage, any deferred preprocessing, Classes and ClassNames are kept; a
// view's subset is a view of the same pixels. It panics if an index is out
// of range.
func (d *Dataset) Subset(idx []int) *Dataset {
	f := d.FeatureLen()
	s := &Dataset{
		Y:          make([]int32, len(idx)),
		N:          len(idx),
		C:          d.C,
		H:          d.H,
		W:          d.W,
		Classes:    d.Classes,
		ClassNames: slices.Clone(d.ClassNames),
		deferred:   d.deferred,
	}
	switch {
	case d.rows != nil:
		s.Pixels, s.files, s.rows = d.Pixels, d.files, make([]int32, len(idx))
		for j, i := range idx {
			s.rows[j] = d.rows[i]
		}
	case d.Pixels != nil:
		s.Pixels = make([]uint8, len(idx)*f)
		for j, i := range idx {
			copy(s.Pixels[j*f:(j+1)*f], d.Pixels[i*f:(i+1)*f])
		}
	default:
		s.X = make([]float32, len(idx)*f)
		for j, i := range idx {
			copy(s.X[j*f:(j+1)*f], d.X[i*f:(i+1)*f])
		}
	}
	for j, i := range idx {
		s.Y[j] = d.Y[i]
	}
	return s
}

// Clone returns a deep copy of d that owns its values: in the same
// storage, except that a view's pixels are copied out of the shared ones
// and a streamed data set is decoded into byte storage (float storage
// for images finer than 8 bits).
func (d *Dataset) Clone() *Dataset {
	c := d.Subset(allIndices(d.N))
	if c.files != nil {
		c.files.load(c)
		return c
	}
	if c.rows != nil {
		f := d.FeatureLen()
		own := make([]uint8, c.N*f)
		for j, r := range c.rows {
			i := int(r)
			copy(own[j*f:(j+1)*f], c.Pixels[i*f:(i+1)*f])
		}
		c.Pixels, c.rows = own, nil
	}
	return c
}

// Mirrored returns a copy of d with every image mirrored left to right:
// each row of W stored values reversed, in either storage. A deferred
// preprocessing is kept and applies to the mirrored values, so mirror a
// data set before a per-feature preprocessing, not after.
func (d *Dataset) Mirrored() *Dataset {
	m := d.Clone()
	if m.W > 0 {
		reverseRows(m.X, m.W)
		reverseRows(m.Pixels, m.W)
	}
	return m
}

// reverseRows reverses each run of w values of x in place.
func reverseRows[T any](x []T, w int) {
	for r := 0; r+w <= len(x); r += w {
		slices.Reverse(x[r : r+w])
	}
}

// maxViewRows bounds the examples of a view (int32 row indices).
const maxViewRows = math.MaxInt32

// identityRows returns the rows 0, 1, ..., n-1 of a view (int32: a view
// of a million examples holds 4 MB of row indices, not 8).
func identityRows(n int) []int32 {
	rows := make([]int32, n)
	for i := range rows {
		rows[i] = int32(i)
	}
	return rows
}

// allIndices returns 0, 1, ..., n-1.
func allIndices(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// SelectClasses returns the examples of d whose label is one of labels,
// in their order in d, relabelled to the label's index in labels (the
// examples of labels[0] become class 0); Classes is len(labels) and the
// class names follow. A label outside [0, d.Classes) is an error naming
// its index in labels.
func (d *Dataset) SelectClasses(labels []int) (*Dataset, error) {
	relabel := make(map[int32]int32, len(labels))
	for i, l := range labels {
		if l < 0 || l >= d.Classes {
			return nil, fmt.Errorf("classes[%d]: label %d is not a class of the data (labels 0 to %d)", i, l, d.Classes-1)
		}
		relabel[int32(l)] = int32(i)
	}
	var idx []int
	for i, y := range d.Y {
		if _, ok := relabel[y]; ok {
			idx = append(idx, i)
		}
	}
	s := d.Subset(idx)
	for i, y := range s.Y {
		s.Y[i] = relabel[y]
	}
	s.Classes = len(labels)
	if d.ClassNames != nil {
		s.ClassNames = make([]string, len(labels))
		for i, l := range labels {
			s.ClassNames[i] = d.ClassNames[l]
		}
	}
	return s, nil
}
