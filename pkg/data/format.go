package data

import (
	"fmt"
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
)

// Formats lists the accepted values of Load's format.
var Formats = []string{FormatIDX, FormatFolder, FormatCSV}

// Load loads one split ("train" or "test") of the data set in folder dir
// stored in format ("idx", "folder" or "csv"; "" means "idx"):
//
//	idx     dir/train-images-idx3-ubyte[.gz] ...   (N,1,H,W) in [0,1]
//	folder  dir/train/<class>/*.png|jpg|jpeg       (N,1 or 3,H,W) in [0,1]
//	csv     dir/train.csv with a "label" column    (N,F,1,1), values as is
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
}

// LoadWith is [Load] with format-specific options.
func LoadWith(format, dir, split string, o LoadOptions) (*Dataset, error) {
	switch format {
	case FormatIDX, "":
		return LoadIDXDir(dir, split)
	case FormatFolder:
		return LoadImageFolder(dir, split, o.Workers)
	case FormatCSV:
		return LoadCSVDirColumn(dir, split, o.LabelColumn)
	}
	return nil, fmt.Errorf("data.format: unknown format %q; allowed: %s", format, strings.Join(Formats, ", "))
}
