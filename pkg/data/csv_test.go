package data

import (
	"bytes"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// tabularFixture is the committed CSV data set.
var tabularFixture = filepath.Join(imagesDir, "tabular")

func TestLoadCSVDirFixture(t *testing.T) {
	train, err := LoadCSVDir(tabularFixture, "train")
	if err != nil {
		t.Fatal(err)
	}
	classes := []string{"setosa", "versicolor", "virginica"}
	if train.N != 9 || train.C != 3 || train.H != 1 || train.W != 1 || train.Classes != 3 || !slices.Equal(train.ClassNames, classes) {
		t.Fatalf("train: N=%d shape (%d,%d,%d) Classes=%d names %v", train.N, train.C, train.H, train.W, train.Classes, train.ClassNames)
	}
	checkCSVRows(t, train, fixtureCSVTrain, classes)

	test, err := LoadCSVDir(tabularFixture, "test")
	if err != nil {
		t.Fatal(err)
	}
	if test.N != 4 || test.C != 3 || !slices.Equal(test.ClassNames, classes) {
		t.Fatalf("test: N=%d C=%d names %v", test.N, test.C, test.ClassNames)
	}
	checkCSVRows(t, test, fixtureCSVTest, classes)
}

// checkCSVRows compares d with the fixture rows "f1,f2,label,f3".
func checkCSVRows(t *testing.T, d *Dataset, rows []string, classes []string) {
	t.Helper()
	for i, r := range rows {
		f := strings.Split(r, ",")
		for j, s := range []string{f[0], f[1], f[3]} {
			v, _ := strconv.ParseFloat(s, 32)
			if got := d.Example(i)[j]; got != float32(v) {
				t.Errorf("row %d feature %d = %v, want %v", i, j, got, v)
			}
		}
		if want := int32(slices.Index(classes, f[2])); d.Y[i] != want {
			t.Errorf("row %d label %d, want %d (%s)", i, d.Y[i], want, f[2])
		}
	}
}

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		opts    CSVOptions
		x       []float32
		y       []int32
		classes int
		names   []string
	}{
		{"int labels", "a,b,label\n1,2,0\n3,4,2\n", CSVOptions{}, []float32{1, 2, 3, 4}, []int32{0, 2}, 3, nil},
		{"label first, spaces, CRLF, BOM, blank lines", "\ufeff label , x\r\n 1 , 0.5\r\n\r\n0,-1e-3\r\n", CSVOptions{},
			[]float32{0.5, -1e-3}, []int32{1, 0}, 2, nil},
		{"names sorted", "x,label\n1,dog\n2,cat\n3,dog\n", CSVOptions{}, []float32{1, 2, 3}, []int32{1, 0, 1}, 2, []string{"cat", "dog"}},
		{"one non-integer makes names", "x,label\n1,10\n2,9\n3,x\n", CSVOptions{}, []float32{1, 2, 3}, []int32{0, 1, 2}, 3, []string{"10", "9", "x"}},
		{"negative labels are names", "x,label\n1,-1\n2,1\n", CSVOptions{}, []float32{1, 2}, []int32{0, 1}, 2, []string{"-1", "1"}},
		{"custom label column, quotes", "y,\"f,1\"\n\"b\",\"7\"\n", CSVOptions{LabelColumn: "y"}, []float32{7}, []int32{0}, 1, []string{"b"}},
		{"imposed classes", "x,label\n1,b\n2,b\n", CSVOptions{ClassNames: []string{"a", "b", "c"}}, []float32{1, 2}, []int32{1, 1}, 3, []string{"a", "b", "c"}},
		{"imposed classes, integer-looking", "x,label\n1,2\n", CSVOptions{ClassNames: []string{"1", "2"}}, []float32{1}, []int32{1}, 2, []string{"1", "2"}},
		{"unlabelled: every column a feature", "a,b\n1,2\n\n3,4\n", CSVOptions{Unlabelled: true}, []float32{1, 2, 3, 4}, []int32{0, 0}, 0, nil},
		{"unlabelled, a label column present", "a,label\n1,cat\n", CSVOptions{Unlabelled: true}, []float32{1}, []int32{0}, 1, []string{"cat"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ReadCSV(strings.NewReader(tt.in), "t.csv", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.X, tt.x) || !slices.Equal(d.Y, tt.y) || d.Classes != tt.classes || !slices.Equal(d.ClassNames, tt.names) {
				t.Errorf("got X=%v Y=%v Classes=%d names=%v", d.X, d.Y, d.Classes, d.ClassNames)
			}
			if f := len(tt.x) / len(tt.y); d.N != len(tt.y) || d.C != f || d.H != 1 || d.W != 1 {
				t.Errorf("shape (%d,%d,%d,%d), want (%d,%d,1,1)", d.N, d.C, d.H, d.W, len(tt.y), f)
			}
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name, in string
		opts     CSVOptions
		want     string
	}{
		{"bad number", "a,b,label\n1,2,0\n3,x4,1\n", CSVOptions{}, `csv t.csv:3: column 2 "b": invalid number "x4"`},
		{"bad number after label", "label,a,b\n0,1,2\n\n1,3,1..5\n", CSVOptions{}, `csv t.csv:4: column 3 "b": invalid number "1..5"`},
		{"empty value", "a,label\n,1\n", CSVOptions{}, `csv t.csv:2: column 1 "a": missing value (empty field)`},
		{"nan", "a,label\nNaN,1\n", CSVOptions{}, `csv t.csv:2: column 1 "a": value "NaN" is not a finite number`},
		{"inf", "a,label\n-Inf,1\n", CSVOptions{}, `csv t.csv:2: column 1 "a": value "-Inf" is not a finite number`},
		{"out of range", "a,label\n1e39,1\n", CSVOptions{}, `csv t.csv:2: column 1 "a": value "1e39" out of float32 range`},
		{"missing label column", "a,b\n1,2\n", CSVOptions{}, `csv t.csv: no label column "label" in the header (columns: "a", "b")`},
		{"missing custom label column", "a,label\n1,2\n", CSVOptions{LabelColumn: "class"}, `csv t.csv: no label column "class" in the header (columns: "a", "label")`},
		{"only label", "label\n1\n", CSVOptions{}, `csv t.csv: no feature columns, only the label column "label"`},
		{"field count", "a,b,label\n1,2,0\n1,2\n", CSVOptions{}, "csv t.csv:3: 2 fields, want 3 as in the header"},
		{"duplicate column", "a,a,label\n1,2,0\n", CSVOptions{}, `csv t.csv:1: columns 1 and 2 are both named "a"`},
		{"empty column name", "a,,label\n1,2,0\n", CSVOptions{}, "csv t.csv:1: column 2 has an empty name"},
		{"empty file", "", CSVOptions{}, "csv t.csv: empty file, want a header line"},
		{"no rows", "a,label\n", CSVOptions{}, "csv t.csv: no data rows after the header"},
		{"bad quote", "a,label\n1,\"x\n", CSVOptions{}, `csv t.csv:2: column 6: extraneous or missing " in quoted-field`},
		{"empty label", "a,label\n1,cat\n2, \n", CSVOptions{}, `csv t.csv:3: column "label": empty label`},
		{"huge int label", "a,label\n1,70000\n", CSVOptions{}, `csv t.csv:2: column "label": label "70000" is not an integer class in [0,65535] (the training labels are integers)`},
		{"names where ints required", "a,label\n1,cat\n", CSVOptions{IntLabels: true}, `csv t.csv:2: column "label": label "cat" is not an integer class in [0,65535] (the training labels are integers)`},
		{"not a training class", "a,label\n1,cat\n2,emu\n", CSVOptions{ClassNames: []string{"cat", "dog"}}, `csv t.csv:3: column "label": label "emu" is not a training class (classes: "cat", "dog")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ReadCSV(strings.NewReader(tt.in), "t.csv", tt.opts)
			checkOneLine(t, err)
			if d != nil {
				t.Error("dataset returned with an error")
			}
			if err.Error() != tt.want {
				t.Errorf("err = %q\nwant  %q", err, tt.want)
			}
		})
	}
}

func TestLoadCSVDirErrors(t *testing.T) {
	tests := []struct {
		name        string
		train, test string // "" = no file
		split, want string // DIR is replaced by the folder
	}{
		{"test features differ", "a,b,label\n1,2,x\n", "b,a,label\n1,2,x\n", "test",
			`csv DIR/test.csv:1: feature columns "b", "a" differ from those of DIR/train.csv ("a", "b")`},
		{"test class unknown", "a,label\n1,x\n2,y\n", "a,label\n1,z\n", "test",
			`csv DIR/test.csv:2: column "label": label "z" is not a training class (classes: "x", "y")`},
		{"test names, train ints", "a,label\n1,0\n", "a,label\n1,cat\n", "test",
			`csv DIR/test.csv:2: column "label": label "cat" is not an integer class in [0,65535] (the training labels are integers)`},
		{"bad train file named", "a,label\n1,0\nq,1\n", "a,label\n1,0\n", "test",
			`csv DIR/train.csv:3: column 1 "a": invalid number "q"`},
		{"missing file", "a,label\n1,0\n", "", "test", "data.dir DIR: no test.csv"},
		{"unknown split", "a,label\n1,0\n", "", "val", `data: unknown split "val", want "train" or "test"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.train != "" {
				writeFile(t, dir, "train.csv", []byte(tt.train))
			}
			if tt.test != "" {
				writeFile(t, dir, "test.csv", []byte(tt.test))
			}
			_, err := LoadCSVDir(dir, tt.split)
			checkOneLine(t, err)
			if want := strings.ReplaceAll(tt.want, "DIR", dir); err.Error() != want {
				t.Errorf("err = %q\nwant  %q", err, want)
			}
		})
	}
	// Integer test labels above the training maximum are accepted (Classes
	// comes from the split, as for IDX; the engine checks the model).
	dir := t.TempDir()
	writeFile(t, dir, "train.csv", []byte("a,label\n1,0\n2,1\n"))
	writeFile(t, dir, "test.csv", []byte("a,label\n1,1\n"))
	if d, err := LoadCSVDir(dir, "test"); err != nil || d.Classes != 2 || d.ClassNames != nil {
		t.Errorf("int test labels: %v %+v", err, d)
	}
	// A test split without a training file stands alone.
	dir = t.TempDir()
	writeFile(t, dir, "test.csv", []byte("a,label\n1,z\n"))
	if d, err := LoadCSVDir(dir, "test"); err != nil || !slices.Equal(d.ClassNames, []string{"z"}) {
		t.Errorf("test only: %v %+v", err, d)
	}
}

// FuzzReadCSV: ReadCSV never panics, errors are one line, and a success is a
// consistent Dataset of finite values.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"a,b,label\n1,2,0\n3,4,2\n",
		"\ufeffx,label\r\n1,cat\r\n2,dog\r\n",
		"label,x\n\"a\nb\",1e-3\n",
		"x,label\n1,\n",
		"x,label\nNaN,1\n",
		"x,label\n1e39,1\n",
		"a,a,label\n",
		"label\n1\n",
		"x,label\n1,2,3\n",
		"x,label\n1,\"2\n",
		"",
		",\n,\n",
		"x , label\n 0x1p-2 , 65535\n",
		"x,label\n1,70000\n",
	} {
		f.Add([]byte(s), "")
	}
	f.Add([]byte("y;x\n1;2\n"), "y")
	f.Add([]byte("k,x\n3,4\n"), "k")
	f.Fuzz(func(t *testing.T, in []byte, label string) {
		d, err := ReadCSV(bytes.NewReader(in), "fuzz.csv", CSVOptions{LabelColumn: label})
		if err != nil {
			if d != nil {
				t.Fatal("dataset with an error")
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if d.N < 1 || d.C < 1 || d.H != 1 || d.W != 1 || len(d.X) != d.N*d.C || len(d.Y) != d.N {
			t.Fatalf("inconsistent dataset N=%d shape (%d,%d,%d) len X %d Y %d", d.N, d.C, d.H, d.W, len(d.X), len(d.Y))
		}
		if d.ClassNames != nil && len(d.ClassNames) != d.Classes {
			t.Fatalf("%d class names for %d classes", len(d.ClassNames), d.Classes)
		}
		for _, y := range d.Y {
			if y < 0 || int(y) >= d.Classes {
				t.Fatalf("label %d outside [0,%d)", y, d.Classes)
			}
		}
		for _, v := range d.X {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("non-finite value %v", v)
			}
		}
	})
}
