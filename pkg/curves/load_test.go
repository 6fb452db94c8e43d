package curves

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fixtures is the folder of handmade run folders (made by gen.py there).
const fixtures = "../../testdata/runs"

func fixture(name string) string { return filepath.Join(fixtures, name) }

// TestLoadFixtures reads each handmade run folder: the columns, the rows,
// the update-ratio tensors, a kept extra column, the five-column
// steps.csv of old runs and the band of config.yaml.
func TestLoadFixtures(t *testing.T) {
	for _, tt := range []struct {
		name          string
		epochs, steps int
		ratios        []string
		column        string // a column that must be kept
		low, high     float64
	}{
		{"healthy", 12, 360, []string{"fc1.weight", "classifier.weight"}, "images_per_second", 1e-4, 0.05},
		{"still-improving", 12, 360, []string{"fc1.weight", "classifier.weight"}, "custom_metric", 0, 0},
		{"legacy", 12, 360, nil, "lr", 0, 0},
		{"overfitting-gap", 12, 0, nil, "val_acc", 0, 0},
		{"diverged-nan", 1, 37, []string{"fc1.weight", "classifier.weight"}, "grad_norm", 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Load(fixture(tt.name))
			if err != nil {
				t.Fatal(err)
			}
			if r.Name != tt.name || r.Epochs.Rows() != tt.epochs || r.Steps.Rows() != tt.steps {
				t.Errorf("name %q, %d epochs, %d steps; want %q, %d, %d", r.Name, r.Epochs.Rows(), r.Steps.Rows(), tt.name, tt.epochs, tt.steps)
			}
			if got := r.RatioColumns(); !slices.Equal(got, tt.ratios) {
				t.Errorf("ratio tensors %v, want %v", got, tt.ratios)
			}
			if !r.Epochs.Has(tt.column) && !r.Steps.Has(tt.column) {
				t.Errorf("column %q not kept: %v %v", tt.column, r.Epochs.Columns, r.Steps)
			}
			if r.RatioLow != tt.low || r.RatioHigh != tt.high || len(r.Notes) > 0 {
				t.Errorf("band [%g, %g], notes %q; want [%g, %g]", r.RatioLow, r.RatioHigh, r.Notes, tt.low, tt.high)
			}
		})
	}
	r, _ := Load(fixture("healthy"))
	if v := r.Epochs.Column("val_acc"); len(v) != 12 || v[0] != 0.821 {
		t.Errorf("val_acc %v", v)
	}
	if v := r.Epochs.Column("ema_val_loss"); !math.IsNaN(v[0]) {
		t.Errorf("an empty cell read as %v, want NaN", v[0])
	}
	if r.Epochs.Column("nope") != nil || r.Steps.Has("nope") {
		t.Error("a column that is not there")
	}
}

// writeRun writes a run folder with the given files.
func writeRun(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	okMetrics = "epoch,step,lr,train_loss,train_acc,val_loss,val_acc\n1,10,0.1,2.0,0.3,2.1,0.3\n2,20,0.1,1.5,0.5,1.6,0.5\n"
	okSteps   = "step,epoch,batch,lr,loss\n1,1,1,0.1,2.3\n2,1,2,0.1,2.2\n"
)

// TestLoadErrors checks that each malformed input is one error naming the
// file, and for CSV the line and column, and what is wrong.
func TestLoadErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	for _, tt := range []struct {
		name  string
		files map[string]string
		dir   string // instead of files
		want  []string
	}{
		{"missing folder", nil, "/nonexistent/run", []string{"/nonexistent/run", "no such folder"}},
		{"a file", nil, file, []string{"not a folder"}},
		{"no metrics.csv", map[string]string{"other.txt": "x"}, "", []string{"no metrics.csv", "not a nettrain run folder"}},
		{"empty metrics.csv", map[string]string{"metrics.csv": ""}, "", []string{"metrics.csv: empty file"}},
		{"missing column", map[string]string{"metrics.csv": "epoch,step,loss\n1,2,3\n"}, "", []string{"metrics.csv:1:", `no column "train_loss"`}},
		{"duplicate column", map[string]string{"metrics.csv": "epoch,train_loss,epoch\n1,2,3\n"}, "", []string{"metrics.csv:1:", `"epoch" twice`}},
		{"unnamed column", map[string]string{"metrics.csv": "epoch,train_loss,\n1,2,3\n"}, "", []string{"metrics.csv:1:", "column 3 has no name"}},
		{"bad number", map[string]string{"metrics.csv": okMetrics + "3,30,0.1,fast,0.5,1.6,0.5\n"}, "", []string{"metrics.csv:4:10:", "column train_loss", `"fast" is not a number`}},
		{"too few cells", map[string]string{"metrics.csv": okMetrics + "3,30,0.1\n"}, "", []string{"metrics.csv:4:", "3 cells, the header has 7 columns"}},
		{"empty loss", map[string]string{"metrics.csv": okMetrics + "3,30,0.1,,0.5,1.6,0.5\n"}, "", []string{"metrics.csv:4:10:", "column train_loss: empty cell"}},
		{"fractional epoch", map[string]string{"metrics.csv": okMetrics + "2.5,30,0.1,1,0.5,1.6,0.5\n"}, "", []string{"metrics.csv:4:1:", "column epoch", "whole number"}},
		{"negative step", map[string]string{"metrics.csv": okMetrics + "3,-1,0.1,1,0.5,1.6,0.5\n"}, "", []string{"metrics.csv:4:3:", "column step"}},
		{"bare quote", map[string]string{"metrics.csv": okMetrics + "3,3\"0,0.1,1,0.5,1.6,0.5\n"}, "", []string{"metrics.csv:4:", "quote"}},
		{"bad steps row", map[string]string{"metrics.csv": okMetrics, "steps.csv": okSteps + "3,1,3,0.1,NaNx\n"}, "", []string{"steps.csv:4:11:", "column loss", `"NaNx"`}},
		{"steps without loss", map[string]string{"metrics.csv": okMetrics, "steps.csv": "step,epoch,batch\n1,1,1\n"}, "", []string{"steps.csv:1:", `no column "loss"`}},
		{"steps batch missing", map[string]string{"metrics.csv": okMetrics, "steps.csv": okSteps + "3,1,,0.1,2\n"}, "", []string{"steps.csv:4:5:", "column batch: empty cell"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir
			if dir == "" {
				dir = writeRun(t, tt.files)
			}
			_, err := Load(dir)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q has more than one line", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
		})
	}
}

// TestLoadKeepsSpecialValues: NaN and infinite cells are read as such
// (a diverged loss), empty cells as NaN.
func TestLoadKeepsSpecialValues(t *testing.T) {
	dir := writeRun(t, map[string]string{"metrics.csv": "epoch,train_loss,val_loss\n1,+Inf,\n2,NaN,-Inf\n"})
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tl, vl := r.Epochs.Column("train_loss"), r.Epochs.Column("val_loss")
	if !math.IsInf(tl[0], 1) || !math.IsNaN(tl[1]) || !math.IsNaN(vl[0]) || !math.IsInf(vl[1], -1) {
		t.Errorf("train_loss %v, val_loss %v", tl, vl)
	}
}

// TestConfigBand: a config.yaml that does not load leaves a note and no
// band; one that does gives its band.
func TestConfigBand(t *testing.T) {
	bad := writeRun(t, map[string]string{"metrics.csv": okMetrics, "config.yaml": "data:\n  dir: .\nmonitor:\n  ratio_lo: 1\n"})
	r, err := Load(bad)
	if err != nil {
		t.Fatal(err)
	}
	if r.RatioLow != 0 || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "ratio_lo") {
		t.Errorf("band %g, notes %q", r.RatioLow, r.Notes)
	}
}

// TestLoadSearch expands a search folder into its trials: from search.csv
// (names, searched values, status; the diverged trial with an empty
// metrics.csv kept as an empty run), and from trials/ alone without it.
func TestLoadSearch(t *testing.T) {
	dir := fixture("search")
	if !IsSearch(dir) || IsSearch(fixture("healthy")) {
		t.Fatal("IsSearch")
	}
	runs, err := LoadAll([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, r.Name+"|"+strings.Join(r.Params, " ")+"|"+r.Status)
	}
	want := []string{"trial 1|optimizer.lr=0.01|done", "trial 2|optimizer.lr=0.1|done", "trial 3|optimizer.lr=3.0|diverged"}
	if !slices.Equal(got, want) {
		t.Errorf("trials %q, want %q", got, want)
	}
	if runs[0].Empty() || !runs[2].Empty() {
		t.Error("Empty")
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "search folder") {
		t.Errorf("Load of a search folder: %v", err)
	}

	// Without search.csv: the numbered folders under trials/.
	bare := writeRun(t, map[string]string{"trials/002/metrics.csv": okMetrics, "trials/010/metrics.csv": okMetrics,
		"trials/001.yaml": "x", "trials/notes/metrics.csv": okMetrics, "trials/003/steps.csv": okSteps})
	runs, err = LoadSearch(bare)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].Name != "trial 2" || runs[1].Name != "trial 10" {
		t.Errorf("trials %v", runs)
	}

	for _, tt := range []struct {
		name, csv, want string
	}{
		{"not a search table", "a,b\n1,2\n", "search.csv:1: header"},
		{"bad trial", "trial,stage,status,k,m,epochs,seconds,run_dir\nx,1,done,1,1,1,1,trials/001\n", `search.csv:2:1: column trial: "x"`},
		{"escaping run_dir", "trial,stage,status,k,m,epochs,seconds,run_dir\n1,1,done,1,1,1,1,../elsewhere\n", "column run_dir"},
		{"short row", "trial,stage,status,k,m,epochs,seconds,run_dir\n1,1,done\n", "wrong number of fields"},
		{"no trial ran", "trial,stage,status,k,m,epochs,seconds,run_dir\n1,1,pending,1,,0,0,trials/001\n", "without any trial run folder"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := writeRun(t, map[string]string{"search.csv": tt.csv})
			_, err := LoadAll([]string{d})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestLoadAllNames: runs that would share a name are told apart.
func TestLoadAllNames(t *testing.T) {
	a := writeRun(t, map[string]string{"run/metrics.csv": okMetrics})
	b := writeRun(t, map[string]string{"run/metrics.csv": okMetrics})
	runs, err := LoadAll([]string{filepath.Join(a, "run"), filepath.Join(b, "run"), fixture("healthy")})
	if err != nil {
		t.Fatal(err)
	}
	if runs[0].Name != filepath.Join(a, "run") || runs[1].Name != filepath.Join(b, "run") || runs[2].Name != "healthy" {
		t.Errorf("names %q %q %q", runs[0].Name, runs[1].Name, runs[2].Name)
	}
	runs, err = LoadAll([]string{fixture("search"), fixture("search")})
	if err != nil {
		t.Fatal(err)
	}
	if runs[0].Name != "search trial 1" || runs[3].Name != "search trial 1" {
		t.Errorf("names %q %q", runs[0].Name, runs[3].Name)
	}
	if _, err := LoadAll(nil); err == nil {
		t.Error("no paths loaded")
	}
}
