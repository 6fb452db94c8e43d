package data

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Data set formats accepted by [Load].
const (
	// FormatIDX is an MNIST-style IDX folder, see [LoadIDXDir].
	FormatIDX = "idx"
	// FormatFolder is an image folder root/<split>/<class>/*.png|jpg, see
	// [LoadImageFolder].
	FormatFolder = "folder"
	// FormatCSV is a table root/<split>.csv with a label column, see
	// [LoadCSVDir].
	FormatCSV = "csv"
	// FormatPacked is root/<split>.ntpack, a packed file written by
	// `nettrain pack` and memory-mapped, see [OpenPacked].
	FormatPacked = "packed"
)

// Formats lists the accepted values of Load's format.
var Formats = []string{FormatIDX, FormatFolder, FormatCSV, FormatPacked}

// Load loads one split ("train" or "test") of the data set in folder dir
// stored in format ("idx", "folder" or "csv"; "" means "idx"):
//
//	idx     dir/train-images-idx3-ubyte[.gz] ...   (N,1,H,W) in [0,1]
//	folder  dir/train/<class>/*.png|jpg|jpeg       (N,1 or 3,H,W) in [0,1]
//	csv     dir/train.csv with a "label" column    (N,F,1,1), values as is
//	packed  dir/train.ntpack (nettrain pack)       as packed, in [0,1], memory-mapped
//
// See [LoadIDXDir], [LoadImageFolder] and [LoadCSVDir] for the details and
// the error messages.
func Load(format, dir, split string) (*Dataset, error) {
	return LoadWith(format, dir, split, LoadOptions{})
}

// LoadOptions are the format-specific settings of [LoadWith].
type LoadOptions struct {
	// LabelColumn names the label column of format "csv"; "" means
	// [DefaultLabelColumn].
	LabelColumn string
	// Workers bounds the goroutines that decode the images of format
	// "folder": the caller's worker budget; 0 or 1 decodes one image at a
	// time. The result does not depend on it.
	Workers int
	// MissingClasses accepts a training split whose labels leave classes
	// below the largest one without an example (set when the caller keeps
	// a chosen subset of the classes, data.classes). Without it such a
	// split is an error: a stray label 200 among 0-9 would otherwise make
	// a 201-class model.
	MissingClasses bool
	// Stream opens format "folder" as a stream ([OpenImageFolderStream])
	// instead of loading it; other formats refuse it.
	Stream bool
}

// LoadWith is [Load] with format-specific options.
func LoadWith(format, dir, split string, o LoadOptions) (*Dataset, error) {
	var d *Dataset
	var err error
	if o.Stream && format != FormatFolder {
		return nil, fmt.Errorf("data.stream: only for data.format %s, not %q", FormatFolder, format)
	}
	switch format {
	case FormatFolder:
		if o.Stream {
			d, err = OpenImageFolderStream(dir, split, o.Workers)
		} else {
			d, err = LoadImageFolder(dir, split, o.Workers)
		}
	case FormatIDX, "":
		d, err = LoadIDXDir(dir, split)
	case FormatCSV:
		d, err = LoadCSVDirColumn(dir, split, o.LabelColumn)
	case FormatPacked:
		if err = checkSplitRoot(dir, split); err == nil {
			d, err = OpenPacked(PackedSplitFile(dir, split), o.Workers)
		}
	default:
		return nil, fmt.Errorf("data.format: unknown format %q; allowed: %s", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return nil, err
	}
	if split == "train" && !o.MissingClasses {
		if err := checkEveryClass(format, dir, d); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// checkEveryClass verifies that every class 0..d.Classes-1 of the training
// split d has an example; the error names the labels' file (or the empty
// class folder) and the first example of the label above the gap.
func checkEveryClass(format, dir string, d *Dataset) error {
	count := make([]int, d.Classes)
	for _, y := range d.Y {
		count[y]++
	}
	missing := slices.Index(count, 0)
	if missing < 0 {
		return nil
	}
	if format == FormatFolder {
		return fmt.Errorf("folder %s: no images: every class folder of the training split needs one (or choose the classes with data.classes)",
			filepath.Join(dir, "train", d.ClassNames[missing]))
	}
	above := missing + 1
	for count[above] == 0 {
		above++ // the largest label has an example, so this stops
	}
	gapEnd := above - 1
	first := slices.Index(d.Y, int32(above))
	source := "csv " + filepath.Join(dir, "train.csv")
	if format == FormatPacked {
		source = "packed " + PackedSplitFile(dir, "train")
	} else if format != FormatCSV {
		source = "idx " + filepath.Join(dir, idxSplitFiles["train"][1])
		if p, err := findIDX(dir, idxSplitFiles["train"][1]); err == nil {
			source = "idx " + p
		}
	}
	gap := fmt.Sprintf("class %d", missing)
	if gapEnd > missing {
		gap = fmt.Sprintf("classes %d to %d", missing, gapEnd)
	}
	return fmt.Errorf("%s: label %d (example %d) leaves %s without an example: training labels must be 0 to C-1 with every class present (fix the labels, or choose the classes with data.classes)",
		source, above, first, gap)
}
