package data

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// imageExts are the file extensions (lower case) LoadImageFolder reads.
var imageExts = []string{".png", ".jpg", ".jpeg"}

// isImageName reports whether a file name has one of imageExts (any case).
func isImageName(name string) bool {
	return slices.Contains(imageExts, strings.ToLower(filepath.Ext(name)))
}

// maxImagePixels bounds W*H of one image (a decompression-bomb guard).
const maxImagePixels = 1 << 26

// splitNames are the splits a folder or CSV data set has.
var splitNames = []string{"train", "test"}

// LoadImageFolder loads one split ("train" or "test") of an image folder:
//
//	root/train/<class>/*.png|*.jpg|*.jpeg
//	root/test/<class>/...
//
// The classes are the sub-folders of root/train, sorted by name, indexed
// from 0 (ClassNames holds their names); when root/train does not exist the
// sub-folders of root/<split> are used. A test class folder that is not a
// training class is an error; a class may have no test images. Within a
// class, files are taken in name order; extensions are matched without
// case, and other files, sub-folders and hidden entries (".name") are
// ignored. Examples are ordered by class, then by file name.
//
// Images are decoded with image/png and image/jpeg (the format is sniffed
// from the content, not the extension). All images of the split must have
// the same width and height; the first image that differs is named in the
// error. If every image is grayscale (8/16-bit gray PNG or JPEG, or a
// palette of grays only), the Dataset has C = 1; otherwise C = 3 (R, G, B;
// grayscale images are replicated to three channels and alpha is dropped,
// after un-premultiplying). Note that C is decided per split. Values are
// scaled to [0,1]: v/255 for 8-bit images, v/65535 for 16-bit ones. The
// result has shape (N, C, H, W), in byte storage when every value is an
// 8-bit one (a quarter of the memory of float storage, the same values;
// see [Dataset]), in float storage otherwise.
//
// Errors are one line naming the folder or file, e.g.
//
//	data.dir /x: no train folder (want /x/train/<class>/*.png)
//	folder /x/train/cat/3.png: size 10x8, but /x/train/cat/1.png is 8x8 (all images must have the same size)
//	folder /x/train/dog/2.jpg: png: invalid format: not a PNG file
//
// Images are decoded on up to workers goroutines (≤ 1: one at a time);
// the result does not depend on workers.
func LoadImageFolder(root, split string, workers int) (*Dataset, error) {
	sc, err := scanFolder(root, split)
	if err != nil {
		return nil, err
	}
	// Pass 2: decode in parallel straight into the storage: bytes unless
	// a header announces 16-bit samples or an image turns out to need
	// them; the first error in file order is reported.
	d := sc.dataset()
	n, f := d.N, d.FeatureLen()
	decode := func(i int) error {
		if d.Pixels != nil {
			return decodeBytesInto(sc.paths[i], d.Pixels[i*f:(i+1)*f], sc.c, sc.w, sc.h)
		}
		return decodeInto(sc.paths[i], d.X[i*f:(i+1)*f], sc.c, sc.w, sc.h)
	}
	if sc.wide {
		d.X = make([]float32, n*f)
	} else {
		d.Pixels = make([]uint8, n*f)
	}
	errs := parallelEach(n, workers, decode)
	if !sc.wide && slices.Contains(errs, errWidePixels) {
		d.Pixels, d.X = nil, make([]float32, n*f)
		errs = parallelEach(n, workers, decode)
	}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("folder %s: %v", sc.paths[i], err)
		}
	}
	return d, nil
}

// folderScan is what the headers of an image folder split say: its files
// in example order, their labels, the classes and the example shape.
type folderScan struct {
	paths   []string
	labels  []int32
	classes []string
	c, h, w int
	// wide says some header announces 16-bit samples.
	wide bool
}

// dataset returns a Dataset with the scan's labels, shape and classes and
// no storage yet.
func (sc *folderScan) dataset() *Dataset {
	return &Dataset{
		Y: slices.Clone(sc.labels),
		N: len(sc.paths), C: sc.c, H: sc.h, W: sc.w,
		Classes:    len(sc.classes),
		ClassNames: sc.classes,
	}
}

// scanFolder lists the image files of one split of the folder data set at
// root and reads their headers (pass 1 of [LoadImageFolder]): classes,
// file order, sizes and channels, with LoadImageFolder's errors.
func scanFolder(root, split string) (*folderScan, error) {
	if err := checkSplitRoot(root, split); err != nil {
		return nil, err
	}
	splitDir := filepath.Join(root, split)
	classes, err := folderClasses(root, split)
	if err != nil {
		return nil, err
	}
	// Sub-folders of the split that are not classes.
	subs, err := subFolders(splitDir)
	if err != nil {
		return nil, err
	}
	for _, s := range subs {
		if _, ok := slices.BinarySearch(classes, s); !ok {
			return nil, fmt.Errorf("folder %s: class %q is not a class of %s (classes: %s)",
				filepath.Join(splitDir, s), s, filepath.Join(root, "train"), strings.Join(classes, ", "))
		}
	}

	sc := &folderScan{classes: classes, c: 1}
	for ci, class := range classes {
		dir := filepath.Join(splitDir, class)
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue // a class without images in this split
		}
		if err != nil {
			return nil, fmt.Errorf("folder %s: %v", dir, unwrapPath(err))
		}
		for _, e := range ents {
			name := e.Name()
			if strings.HasPrefix(name, ".") || !isImageName(name) {
				continue
			}
			p := filepath.Join(dir, name)
			if e.IsDir() {
				continue
			}
			if e.Type()&fs.ModeSymlink != 0 {
				if st, err := os.Stat(p); err == nil && st.IsDir() {
					continue
				}
			}
			sc.paths = append(sc.paths, p)
			sc.labels = append(sc.labels, int32(ci))
		}
	}
	if len(sc.paths) == 0 {
		return nil, fmt.Errorf("folder %s: no %s images in the class folders (%s)",
			splitDir, strings.Join(imageExts, "/"), strings.Join(classes, ", "))
	}

	// Pass 1: headers only. Sizes, formats and channels, in file order.
	for i, p := range sc.paths {
		cfg, err := decodeConfig(p)
		if err != nil {
			return nil, fmt.Errorf("folder %s: %v", p, err)
		}
		if cfg.Width < 1 || cfg.Height < 1 || cfg.Width*cfg.Height > maxImagePixels {
			return nil, fmt.Errorf("folder %s: unsupported image size %dx%d (want 1..%d pixels)", p, cfg.Width, cfg.Height, maxImagePixels)
		}
		if i == 0 {
			sc.w, sc.h = cfg.Width, cfg.Height
		} else if cfg.Width != sc.w || cfg.Height != sc.h {
			return nil, fmt.Errorf("folder %s: size %dx%d, but %s is %dx%d (all images must have the same size)",
				p, cfg.Width, cfg.Height, sc.paths[0], sc.w, sc.h)
		}
		if !grayModel(cfg.ColorModel) {
			sc.c = 3
		}
		switch cfg.ColorModel {
		case color.Gray16Model, color.RGBA64Model, color.NRGBA64Model:
			sc.wide = true
		}
	}
	return sc, nil
}

// parallelEach calls fn(i) for i in [0, n) on up to workers goroutines
// (≤ 1: one), handing out indices in order, and returns each call's
// error.
func parallelEach(n, workers int, fn func(i int) error) []error {
	errs := make([]error, n)
	var next sync.Mutex
	idx := 0
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				i := idx
				idx++
				next.Unlock()
				if i >= n {
					return
				}
				errs[i] = fn(i)
			}
		}()
	}
	wg.Wait()
	return errs
}

// checkSplitRoot validates split and that root is a folder.
func checkSplitRoot(root, split string) error {
	if !slices.Contains(splitNames, split) {
		return fmt.Errorf("data: unknown split %q, want \"train\" or \"test\"", split)
	}
	switch st, err := os.Stat(root); {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("data.dir %s: no such folder", root)
	case err != nil:
		return fmt.Errorf("data.dir %s: %v", root, unwrapPath(err))
	case !st.IsDir():
		return fmt.Errorf("data.dir %s: not a folder", root)
	}
	return nil
}

// folderClasses returns the sorted class names: the sub-folders of
// root/train, or of root/split when root/train does not exist.
func folderClasses(root, split string) ([]string, error) {
	splitDir := filepath.Join(root, split)
	if st, err := os.Stat(splitDir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("data.dir %s: no %s folder (want %s/<class>/*.png)", root, split, splitDir)
	}
	from := filepath.Join(root, "train")
	if _, err := os.Stat(from); errors.Is(err, fs.ErrNotExist) {
		from = splitDir
	}
	classes, err := subFolders(from)
	if err != nil {
		return nil, err
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("folder %s: no class folders (want %s/<class>/*.png)", from, from)
	}
	return classes, nil
}

// subFolders returns the names of the non-hidden sub-folders of dir,
// sorted.
func subFolders(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("folder %s: %v", dir, unwrapPath(err))
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			st, err := os.Stat(filepath.Join(dir, e.Name()))
			isDir = err == nil && st.IsDir()
		}
		if isDir {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out) // os.ReadDir sorts already; be explicit
	return out, nil
}

// decodeConfig reads the header of the PNG or JPEG image at path.
func decodeConfig(path string) (image.Config, error) {
	fh, err := os.Open(path)
	if err != nil {
		return image.Config{}, unwrapPath(err)
	}
	defer fh.Close()
	br := bufio.NewReader(fh)
	switch sniff(br) {
	case "png":
		return png.DecodeConfig(br)
	case "jpeg":
		return jpeg.DecodeConfig(br)
	}
	return image.Config{}, errUnknownFormat
}

// errUnknownFormat reports a file that is neither PNG nor JPEG.
var errUnknownFormat = errors.New("not a PNG or JPEG image")

// sniff returns "png" or "jpeg" from the first bytes of br, or "".
func sniff(br *bufio.Reader) string {
	head, _ := br.Peek(8)
	switch {
	case len(head) >= 8 && string(head) == "\x89PNG\r\n\x1a\n":
		return "png"
	case len(head) >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff:
		return "jpeg"
	}
	return ""
}

// decodeImage decodes the PNG or JPEG image at path.
func decodeImage(path string) (image.Image, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer fh.Close()
	br := bufio.NewReader(fh)
	switch sniff(br) {
	case "png":
		return png.Decode(br)
	case "jpeg":
		return jpeg.Decode(br)
	}
	return nil, errUnknownFormat
}

// grayModel reports whether images of color model m are grayscale: the
// gray models, or a palette of grays only.
func grayModel(m color.Model) bool {
	switch m {
	case color.GrayModel, color.Gray16Model:
		return true
	}
	if p, ok := m.(color.Palette); ok {
		for _, c := range p {
			r, g, b, _ := c.RGBA()
			if r != g || g != b {
				return false
			}
		}
		return true
	}
	return false
}

// decodeInto decodes the image at path, which must be w×h, into dst, shape
// (c,h,w) with c = 1 or 3, scaled to [0,1].
func decodeInto(path string, dst []float32, c, w, h int) error {
	img, err := decodeImage(path)
	if err != nil {
		return err
	}
	return pixelsInto(img, dst, c, w, h)
}

// decodeBytesInto is decodeInto for byte storage: dst holds the 8-bit
// values. An image with a value no byte holds exactly (16-bit samples,
// un-premultiplied alpha) is errWidePixels.
func decodeBytesInto(path string, dst []uint8, c, w, h int) error {
	img, err := decodeImage(path)
	if err != nil {
		return err
	}
	return bytesInto(img, dst, c, w, h)
}

// errWidePixels reports an image whose values need float storage.
var errWidePixels = errors.New("pixel values finer than 8 bits")

// pixelsInto writes img, which must be w×h, into dst, shape (c,h,w) with
// c = 1 or 3, scaled to [0,1]. An image of 8-bit values is written as
// bytes first and scaled with pixelScale, exactly what byte storage reads.
func pixelsInto(img image.Image, dst []float32, c, w, h int) error {
	n := c * w * h
	bp := byteScratch.Get().(*[]uint8)
	defer byteScratch.Put(bp)
	if cap(*bp) < n {
		*bp = make([]uint8, n)
	}
	buf := (*bp)[:n]
	switch err := bytesInto(img, buf, c, w, h); err {
	case nil:
		for i, b := range buf {
			dst[i] = pixelScale[b]
		}
		return nil
	case errWidePixels:
		return writePixels(img, dst, c, w, h, func(b uint8) float32 { return pixelScale[b] }, func(v uint16) (float32, bool) {
			return float32(v) / 65535, true
		})
	default:
		return err
	}
}

// byteScratch holds the byte buffers pixelsInto decodes into.
var byteScratch = sync.Pool{New: func() any { return new([]uint8) }}

// bytesInto is pixelsInto for byte storage: dst holds the 8-bit values;
// an image with a value no byte holds is errWidePixels.
func bytesInto(img image.Image, dst []uint8, c, w, h int) error {
	if m, ok := img.(*image.YCbCr); ok && c == 3 && m.Rect.Min == (image.Point{}) && m.Rect.Dx() == w && m.Rect.Dy() == h {
		if xs, ys, ok := chromaShifts(m.SubsampleRatio); ok {
			ycbcrBytes(m, dst, w, h, xs, ys)
			return nil
		}
	}
	return writePixels(img, dst, c, w, h, func(b uint8) uint8 { return b }, func(v uint16) (uint8, bool) {
		return uint8(v / 257), v%257 == 0
	})
}

// chromaShifts returns the horizontal and vertical shifts that map a luma
// position to its chroma sample under ratio r (image.YCbCr.COffset for an
// image at the origin).
func chromaShifts(r image.YCbCrSubsampleRatio) (xs, ys uint, ok bool) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 0, 0, true
	case image.YCbCrSubsampleRatio422:
		return 1, 0, true
	case image.YCbCrSubsampleRatio420:
		return 1, 1, true
	case image.YCbCrSubsampleRatio440:
		return 0, 1, true
	case image.YCbCrSubsampleRatio411:
		return 2, 0, true
	case image.YCbCrSubsampleRatio410:
		return 2, 1, true
	}
	return 0, 0, false
}

// ycbcrBytes writes the RGB planes of m (w×h, at the origin) into dst,
// shape (3,h,w), converting each sample with color.YCbCrToRGB: the values
// of the generic path without its per-pixel method calls.
func ycbcrBytes(m *image.YCbCr, dst []uint8, w, h int, xs, ys uint) {
	hw := w * h
	r, g, b := dst[:hw], dst[hw:2*hw], dst[2*hw:3*hw]
	for y := range h {
		yrow := m.Y[y*m.YStride : y*m.YStride+w]
		c0 := (y >> ys) * m.CStride
		cb, cr := m.Cb[c0:], m.Cr[c0:]
		o := y * w
		for x, yy := range yrow {
			ci := x >> xs
			r[o+x], g[o+x], b[o+x] = color.YCbCrToRGB(yy, cb[ci], cr[ci])
		}
	}
}

// writePixels writes img, which must be w×h, into dst, shape (c,h,w) with
// c = 1 or 3: an 8-bit sample b as fromByte(b), a 16-bit one (and any
// un-premultiplied value) v as fromWide(v), which reports false when dst
// cannot hold it (errWidePixels). Both conversions give the same value for
// v = 257·b: the float32 b/255 and (257·b)/65535 are the same correctly
// rounded quotient.
func writePixels[T uint8 | float32](img image.Image, dst []T, c, w, h int, fromByte func(uint8) T, fromWide func(uint16) (T, bool)) error {
	b := img.Bounds()
	if b.Dx() != w || b.Dy() != h {
		return fmt.Errorf("decoded size %dx%d differs from the header's %dx%d", b.Dx(), b.Dy(), w, h)
	}
	gray := grayModel(img.ColorModel())
	if !gray && c == 1 {
		return fmt.Errorf("decoded as a colour image but its header says grayscale")
	}
	hw := h * w
	switch m := img.(type) {
	case *image.Gray:
		for y := range h {
			row := m.Pix[y*m.Stride : y*m.Stride+w]
			for x, v := range row {
				dst[y*w+x] = fromByte(v)
			}
		}
	case *image.NRGBA:
		for y := range h {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := range w {
				dst[y*w+x] = fromByte(row[4*x])
				dst[hw+y*w+x] = fromByte(row[4*x+1])
				dst[2*hw+y*w+x] = fromByte(row[4*x+2])
			}
		}
	case *image.YCbCr:
		for y := range h {
			for x := range w {
				yi, ci := m.YOffset(b.Min.X+x, b.Min.Y+y), m.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bb := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				dst[y*w+x] = fromByte(r)
				dst[hw+y*w+x] = fromByte(g)
				dst[2*hw+y*w+x] = fromByte(bb)
			}
		}
	default:
		// 16-bit, premultiplied, paletted, CMYK, ...: un-premultiplied
		// 16-bit values, alpha dropped.
		for y := range h {
			for x := range w {
				p := color.NRGBA64Model.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA64)
				var ok [3]bool
				dst[y*w+x], ok[0] = fromWide(p.R)
				ok[1], ok[2] = true, true
				if !gray {
					dst[hw+y*w+x], ok[1] = fromWide(p.G)
					dst[2*hw+y*w+x], ok[2] = fromWide(p.B)
				}
				if !ok[0] || !ok[1] || !ok[2] {
					return errWidePixels
				}
			}
		}
	}
	if gray && c == 3 {
		copy(dst[hw:2*hw], dst[:hw])
		copy(dst[2*hw:3*hw], dst[:hw])
	}
	return nil
}
