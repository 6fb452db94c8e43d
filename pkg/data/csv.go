package data

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultLabelColumn is the label column name LoadCSVDir uses.
const DefaultLabelColumn = "label"

// maxIntLabel bounds integer labels: Classes = largest label + 1 becomes
// the number of model outputs, so a huge label is almost surely a mistake.
const maxIntLabel = 1<<16 - 1

// CSVOptions configures [ReadCSV] and [LoadCSVFile].
type CSVOptions struct {
	// LabelColumn names the label column; "" means "label".
	LabelColumn string
	// ClassNames, if not nil, is the sorted list of class names the labels
	// must come from (the training set's, when reading the test set): the
	// labels are then names, mapped to their index in ClassNames, even if
	// they look like integers.
	ClassNames []string
	// IntLabels requires integer labels (the training set's were
	// integers). It is ignored when ClassNames is set.
	IntLabels bool
	// Unlabelled accepts a table without the label column, as for
	// prediction: every column is then a feature and every label 0.
	Unlabelled bool
}

// ReadCSV reads a labelled table from r; name (usually the file path) is
// used in error messages. The first record is the header of column names
// (a UTF-8 byte order mark and surrounding spaces are removed; names must be
// unique and not empty). The label column (CSVOptions.LabelColumn, default
// "label") may be anywhere; every other column is a feature, in header
// order. Blank lines are skipped; every record must have as many fields as
// the header.
//
// Labels are either all non-negative integers (at most 65535): the class
// indices, Classes = largest + 1, ClassNames nil; or, if any label is not an
// integer, class names: the distinct labels sorted (byte order) are the
// classes, index i = ClassNames[i]. See CSVOptions to impose the training
// set's classes on a test set.
//
// Feature values are parsed as float32 (strconv.ParseFloat, so "1e-3",
// " 2 " and "-0.5" are fine) and kept as they are, not scaled; empty,
// non-numeric, out-of-range and non-finite (NaN, Inf) values are errors. The
// result has shape (N, F, 1, 1): F features as F channels of a 1x1 image,
// the same layout as the output of PCA preprocessing, so per-channel
// standardization of a table is per-feature standardization.
//
// Errors are one line naming the file and line, and the column for a value:
//
//	csv train.csv:7: column 3 "petal_width": invalid number "abc"
//	csv train.csv: no label column "label" in the header (columns: "a", "b")
func ReadCSV(r io.Reader, name string, opts CSVOptions) (*Dataset, error) {
	labelCol := opts.LabelColumn
	if labelCol == "" {
		labelCol = DefaultLabelColumn
	}
	cr := newCSVReader(r)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("csv %s: empty file, want a header line", name)
	}
	if err != nil {
		return nil, csvErr(name, err)
	}
	header = slices.Clone(header)
	li, err := checkHeader(name, header, labelCol, opts.Unlabelled)
	if err != nil {
		return nil, err
	}
	nf := len(header)
	if li >= 0 {
		nf--
	}
	rows := 0

	var x []float32
	var labels []string
	var labelLines []int
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvErr(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, fmt.Errorf("csv %s:%d: %d fields, want %d as in the header", name, line, len(rec), len(header))
		}
		for j, s := range rec {
			if j == li {
				continue
			}
			v, err := parseValue(s)
			if err != nil {
				ln, _ := cr.FieldPos(j)
				return nil, fmt.Errorf("csv %s:%d: column %d %q: %v", name, ln, j+1, header[j], err)
			}
			x = append(x, v)
		}
		rows++
		if li < 0 {
			continue
		}
		labels = append(labels, strings.TrimSpace(rec[li]))
		ln, _ := cr.FieldPos(li)
		labelLines = append(labelLines, ln)
	}
	if rows == 0 {
		return nil, fmt.Errorf("csv %s: no data rows after the header", name)
	}
	d := &Dataset{X: x, Y: make([]int32, rows), N: rows, C: nf, H: 1, W: 1}
	if li < 0 {
		return d, nil
	}
	if err := mapLabels(name, labelCol, labels, labelLines, opts, d); err != nil {
		return nil, err
	}
	return d, nil
}

// newCSVReader returns a csv.Reader over r that trims leading spaces and
// leaves the field count to the caller.
func newCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	return cr
}

// csvErr formats an encoding/csv error as "csv NAME:LINE: ...".
func csvErr(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("csv %s:%d: column %d: %v", name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("csv %s: %v", name, err)
}

// checkHeader cleans the header names in place and returns the index of
// the label column, -1 when it is missing and unlabelled allows that.
func checkHeader(name string, header []string, labelCol string, unlabelled bool) (int, error) {
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	seen := make(map[string]int, len(header))
	li := -1
	for j := range header {
		h := strings.TrimSpace(header[j])
		header[j] = h
		if h == "" {
			return -1, fmt.Errorf("csv %s:1: column %d has an empty name", name, j+1)
		}
		if !utf8.ValidString(h) {
			return -1, fmt.Errorf("csv %s:1: the name of column %d, %q, is not UTF-8 (save the file as UTF-8)", name, j+1, h)
		}
		if k, dup := seen[h]; dup {
			return -1, fmt.Errorf("csv %s:1: columns %d and %d are both named %q", name, k+1, j+1, h)
		}
		seen[h] = j
		if h == labelCol {
			li = j
		}
	}
	if li < 0 && unlabelled {
		return -1, nil
	}
	if li < 0 {
		return -1, fmt.Errorf("csv %s: no label column %q in the header (columns: %s)", name, labelCol, quoteList(header, 10))
	}
	if len(header) < 2 {
		return -1, fmt.Errorf("csv %s: no feature columns, only the label column %q", name, labelCol)
	}
	return li, nil
}

// quoteList returns the first max names of s quoted, joined by ", ".
func quoteList(s []string, max int) string {
	var b strings.Builder
	for i, v := range s {
		if i == max {
			fmt.Fprintf(&b, ", ... (%d more)", len(s)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(v))
	}
	return b.String()
}

// parseValue parses one feature value as a finite float32.
func parseValue(s string) (float32, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("missing value (empty field)")
	}
	v, err := strconv.ParseFloat(t, 32)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("value %q out of float32 range", t)
		}
		return 0, fmt.Errorf("invalid number %q", t)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("value %q is not a finite number", t)
	}
	return float32(v), nil
}

// mapLabels turns the label strings into d.Y, d.Classes and d.ClassNames.
func mapLabels(name, labelCol string, labels []string, lines []int, opts CSVOptions, d *Dataset) error {
	if opts.ClassNames != nil {
		return mapNames(name, labelCol, labels, lines, opts.ClassNames, d)
	}
	ints := make([]int32, len(labels))
	maxLabel := -1
	for i, s := range labels {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 || v > maxIntLabel {
			if opts.IntLabels || (err == nil && v > maxIntLabel) {
				return fmt.Errorf("csv %s:%d: column %q: label %q is not an integer class in [0,%d] (the training labels are integers)",
					name, lines[i], labelCol, s, maxIntLabel)
			}
			classes := slices.Sorted(func(yield func(string) bool) {
				seen := map[string]bool{}
				for _, l := range labels {
					if !seen[l] {
						seen[l] = true
						if !yield(l) {
							return
						}
					}
				}
			})
			return mapNames(name, labelCol, labels, lines, classes, d)
		}
		ints[i] = int32(v)
		maxLabel = max(maxLabel, v)
	}
	d.Y, d.Classes = ints, maxLabel+1
	return nil
}

// mapNames maps class-name labels to their index in the sorted classes.
func mapNames(name, labelCol string, labels []string, lines []int, classes []string, d *Dataset) error {
	for i, s := range labels {
		if s == "" {
			return fmt.Errorf("csv %s:%d: column %q: empty label", name, lines[i], labelCol)
		}
		if !utf8.ValidString(s) {
			return fmt.Errorf("csv %s:%d: column %q: label %q is not UTF-8 (save the file as UTF-8)", name, lines[i], labelCol, s)
		}
		k, ok := slices.BinarySearch(classes, s)
		if !ok {
			return fmt.Errorf("csv %s:%d: column %q: label %q is not a training class (classes: %s)",
				name, lines[i], labelCol, s, quoteList(classes, 10))
		}
		d.Y[i] = int32(k)
	}
	d.Classes, d.ClassNames = len(classes), slices.Clone(classes)
	return nil
}

// LoadCSVFile reads the CSV file at path with [ReadCSV].
func LoadCSVFile(path string, opts CSVOptions) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("csv %s: %v", path, unwrapPath(err))
	}
	defer f.Close()
	return ReadCSV(f, path, opts)
}

// LoadCSVDir loads one split ("train" or "test") of a CSV data set:
// dir/train.csv or dir/test.csv, label column "label" (see [ReadCSV]). For
// the test split, when dir/train.csv exists, its header must have the same
// feature columns in the same order, and its labels define the classes: if
// they are names, the test labels must be among them (and get the same
// indices); if they are integers, the test labels must be integers too.
func LoadCSVDir(dir, split string) (*Dataset, error) {
	return LoadCSVDirColumn(dir, split, DefaultLabelColumn)
}

// LoadCSVDirColumn is [LoadCSVDir] with the label column labelCol ("" means
// [DefaultLabelColumn]).
func LoadCSVDirColumn(dir, split, labelCol string) (*Dataset, error) {
	if labelCol == "" {
		labelCol = DefaultLabelColumn
	}
	if err := checkSplitRoot(dir, split); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, split+".csv")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("data.dir %s: no %s.csv", dir, split)
	}
	opts := CSVOptions{LabelColumn: labelCol}
	trainPath := filepath.Join(dir, "train.csv")
	if split == "train" {
		return LoadCSVFile(path, opts)
	}
	if _, err := os.Stat(trainPath); err != nil {
		return LoadCSVFile(path, opts) // no training file to agree with
	}
	train, err := LoadCSVFile(trainPath, opts)
	if err != nil {
		return nil, err
	}
	trainHeader, err := csvHeader(trainPath, opts.LabelColumn)
	if err != nil {
		return nil, err
	}
	testHeader, err := csvHeader(path, opts.LabelColumn)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(trainHeader, testHeader) {
		return nil, fmt.Errorf("csv %s:1: feature columns %s differ from those of %s (%s)",
			path, quoteList(testHeader, 10), trainPath, quoteList(trainHeader, 10))
	}
	if train.ClassNames != nil {
		opts.ClassNames = train.ClassNames
	} else {
		opts.IntLabels = true
	}
	return LoadCSVFile(path, opts)
}

// csvHeader returns the feature column names of the CSV file at path, in
// order (the label column left out).
func csvHeader(path, labelCol string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("csv %s: %v", path, unwrapPath(err))
	}
	defer f.Close()
	header, err := newCSVReader(f).Read()
	if err != nil {
		return nil, csvErr(path, err)
	}
	header = slices.Clone(header)
	li, err := checkHeader(path, header, labelCol, false)
	if err != nil {
		return nil, err
	}
	return slices.Delete(header, li, li+1), nil
}
