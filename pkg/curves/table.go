package curves

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Table is one CSV file of a run folder read into columns: Columns are the
// header's names in file order and Values[j] the cells of column j, one
// per row, as numbers. An empty cell (a value not measured on that row,
// such as val_loss without a validation split or grad_norm between
// monitor steps) is NaN; so is a cell "NaN". Columns the reader does not
// know are kept like the others, by name.
type Table struct {
	// Path is the file the table was read from, for messages.
	Path    string
	Columns []string
	Values  [][]float64
}

// Rows returns the number of data rows.
func (t *Table) Rows() int {
	if t == nil || len(t.Values) == 0 {
		return 0
	}
	return len(t.Values[0])
}

// Column returns the values of the column named name, or nil when the
// table has no such column.
func (t *Table) Column(name string) []float64 {
	if t == nil {
		return nil
	}
	if j := slices.Index(t.Columns, name); j >= 0 {
		return t.Values[j]
	}
	return nil
}

// Has reports whether the table has a column named name.
func (t *Table) Has(name string) bool { return t != nil && slices.Contains(t.Columns, name) }

// tableSpec says what a file must hold: the columns it requires, the
// columns whose cells must be whole numbers >= 0 (when present) and the
// columns whose cells must not be empty (when present).
type tableSpec struct {
	required []string
	whole    []string
	filled   []string
}

// Specs of the two files of a run folder.
var (
	// metricsSpec: metrics.csv of any nettrain version has epoch and
	// train_loss; step is the global optimizer step at the epoch's end.
	metricsSpec = tableSpec{
		required: []string{"epoch", "train_loss"},
		whole:    []string{"epoch", "step"},
		filled:   []string{"epoch", "step", "train_loss"},
	}
	// stepsSpec: steps.csv of any version has step, epoch, batch, lr and
	// loss; acc, grad_norm and update_ratio:NAME came with the monitor.
	stepsSpec = tableSpec{
		required: []string{"step", "epoch", "batch", "loss"},
		whole:    []string{"step", "epoch", "batch"},
		filled:   []string{"step", "epoch", "batch", "loss"},
	}
)

// ParseError is a malformed CSV file: the file, the 1-based line and
// column (byte in the line; 0 when it is about the whole line) and what
// is wrong.
type ParseError struct {
	Path         string
	Line, Column int
	Msg          string
}

func (e *ParseError) Error() string {
	switch {
	case e.Line == 0:
		return fmt.Sprintf("%s: %s", e.Path, e.Msg)
	case e.Column == 0:
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Column, e.Msg)
}

// readTable parses a CSV file strictly: a header of distinct, non-empty
// names holding the spec's required columns, then rows of exactly as
// many cells, each empty or a number (strconv.ParseFloat: "NaN", "+Inf"
// and "-Inf" are read as such), whole numbers in the spec's whole columns
// and no empty cell in its filled columns. Empty lines are skipped. The
// first problem is returned as a *ParseError.
func readTable(r io.Reader, path string, spec tableSpec) (*Table, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // counted here, for a message naming the header
	cr.ReuseRecord = true
	fail := func(line, col int, format string, args ...any) error {
		return &ParseError{Path: path, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
	}
	csvErr := func(err error) error {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return fail(pe.Line, pe.Column, "%v", pe.Err)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	head, err := cr.Read()
	if err == io.EOF {
		return nil, fail(0, 0, "empty file: no header (want %s, ...)", strings.Join(spec.required, ","))
	}
	if err != nil {
		return nil, csvErr(err)
	}
	t := &Table{Path: path, Columns: slices.Clone(head)}
	for j, name := range t.Columns {
		line, col := cr.FieldPos(j)
		switch {
		case name == "":
			return nil, fail(line, col, "header column %d has no name", j+1)
		case slices.Index(t.Columns, name) < j:
			return nil, fail(line, col, "header names column %q twice", name)
		}
	}
	for _, name := range spec.required {
		if !slices.Contains(t.Columns, name) {
			line, _ := cr.FieldPos(0)
			return nil, fail(line, 0, "header has no column %q (it has %s)", name, strings.Join(t.Columns, ","))
		}
	}
	kind := make([]int, len(t.Columns)) // bit 1: whole, bit 2: filled
	for j, name := range t.Columns {
		if slices.Contains(spec.whole, name) {
			kind[j] |= 1
		}
		if slices.Contains(spec.filled, name) {
			kind[j] |= 2
		}
	}
	t.Values = make([][]float64, len(t.Columns))
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(err)
		}
		if len(rec) != len(t.Columns) {
			line, _ := cr.FieldPos(0)
			return nil, fail(line, 0, "%d cells, the header has %d columns", len(rec), len(t.Columns))
		}
		for j, cell := range rec {
			v := math.NaN()
			line, col := cr.FieldPos(j)
			name := t.Columns[j]
			switch {
			case cell == "" && kind[j]&2 != 0:
				return nil, fail(line, col, "column %s: empty cell, want a number", name)
			case cell == "":
			default:
				v, err = strconv.ParseFloat(cell, 64)
				if err != nil {
					return nil, fail(line, col, "column %s: %q is not a number", name, cell)
				}
				if kind[j]&1 != 0 && (v < 0 || v != math.Trunc(v) || math.IsInf(v, 0)) {
					return nil, fail(line, col, "column %s: %q is not a whole number >= 0", name, cell)
				}
			}
			t.Values[j] = append(t.Values[j], v)
		}
	}
	return t, nil
}
