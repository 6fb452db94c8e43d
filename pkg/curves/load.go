package curves

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nettrain/nettrain/pkg/config"
)

// Files of a run folder and of a search folder that Load reads (the
// writers are pkg/run and pkg/search/runner).
const (
	MetricsFile = "metrics.csv" // one row per epoch; required
	StepsFile   = "steps.csv"   // one row per optimizer step; optional
	ConfigFile  = "config.yaml" // the resolved config; optional
	SearchCSV   = "search.csv"  // a search folder's table of trials
	TrialsDir   = "trials"      // a search folder's trial run folders, NNN
)

// RatioPrefix starts the name of each steps.csv column holding one weight
// tensor's update ratio ‖ΔW‖/‖W‖: "update_ratio:fc1.weight".
const RatioPrefix = "update_ratio:"

// Run is one run folder's curves.
type Run struct {
	// Name is the run's name in legends and messages: the folder's base
	// name, or "trial N" for a trial of a search folder.
	Name string
	// Dir is the run folder.
	Dir string
	// Params are a search trial's searched values, "key=value" in the
	// order of search.csv; empty for a plain run.
	Params []string
	// Status is a search trial's status in search.csv (done, stopped,
	// diverged, failed, ...); empty for a plain run.
	Status string
	// Epochs is metrics.csv, one row per epoch.
	Epochs *Table
	// Steps is steps.csv, one row per optimizer step, or nil when the
	// folder has none.
	Steps *Table
	// RatioLow and RatioHigh are monitor.ratio_low and monitor.ratio_high
	// of the folder's config.yaml, 0 when it has none.
	RatioLow, RatioHigh float64
	// Notes are what the loader noticed without failing, such as a
	// config.yaml it could not read; one sentence each.
	Notes []string
}

// Empty reports whether the run recorded nothing: no epoch row and no step
// row (it stopped, diverged or was killed before its first epoch ended).
func (r *Run) Empty() bool { return r.Epochs.Rows() == 0 && r.Steps.Rows() == 0 }

// RatioColumns returns the names of the update-ratio columns of steps.csv
// (without RatioPrefix: the tensor names), in file order.
func (r *Run) RatioColumns() []string {
	if r.Steps == nil {
		return nil
	}
	var names []string
	for _, c := range r.Steps.Columns {
		if name, ok := strings.CutPrefix(c, RatioPrefix); ok {
			names = append(names, name)
		}
	}
	return names
}

// Load reads the run folder dir: metrics.csv (required), steps.csv (when
// present; the five columns of nettrain before the monitor section are
// enough) and monitor.ratio_low/ratio_high of config.yaml (when present).
// The run is named after the folder. A missing folder, a folder without
// metrics.csv and a malformed CSV file are errors naming the file (and for
// the CSV the line and column, see ParseError).
func Load(dir string) (*Run, error) {
	return loadRun(dir, filepath.Base(filepath.Clean(dir)))
}

func loadRun(dir, name string) (*Run, error) {
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	r := &Run{Name: name, Dir: dir}
	var err error
	r.Epochs, err = readFile(filepath.Join(dir, MetricsFile), metricsSpec)
	if errors.Is(err, fs.ErrNotExist) {
		hint := ""
		if IsSearch(dir) {
			hint = " (it is a search folder: pass it to LoadAll)"
		} else if _, serr := os.Stat(filepath.Join(dir, StepsFile)); serr != nil {
			hint = " (not a nettrain run folder?)"
		}
		return nil, fmt.Errorf("%s: no %s%s", dir, MetricsFile, hint)
	}
	if err != nil {
		return nil, err
	}
	r.Steps, err = readFile(filepath.Join(dir, StepsFile), stepsSpec)
	if errors.Is(err, fs.ErrNotExist) {
		r.Steps = nil
	} else if err != nil {
		return nil, err
	}
	r.readBand()
	return r, nil
}

// checkDir says what is wrong with dir as a folder to read.
func checkDir(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no such folder", dir)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s: not a folder (pass the run folder that holds %s)", dir, MetricsFile)
	}
	return nil
}

// readFile reads one CSV file of a run folder; a missing file is an
// error satisfying errors.Is(err, fs.ErrNotExist).
func readFile(path string, spec tableSpec) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readTable(f, path, spec)
}

// readBand reads monitor.ratio_low and ratio_high from the run's
// config.yaml (with pkg/config, as a resolved config); a config that does
// not load leaves a note and no band.
func (r *Run) readBand() {
	path := filepath.Join(r.Dir, ConfigFile)
	if _, err := os.Stat(path); err != nil {
		return
	}
	cfg, err := config.Load(path, nil)
	if err != nil {
		first, _, _ := strings.Cut(err.Error(), "\n")
		r.Notes = append(r.Notes, fmt.Sprintf("%s does not load (%s); its monitor.ratio_low/ratio_high are not used", path, first))
		return
	}
	r.RatioLow, r.RatioHigh = cfg.Monitor.RatioLow, cfg.Monitor.RatioHigh
}

// IsSearch reports whether dir is a search folder: it holds search.csv,
// or a trials folder and no metrics.csv.
func IsSearch(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, SearchCSV)); err == nil {
		return true
	}
	if _, err := os.Stat(filepath.Join(dir, MetricsFile)); err == nil {
		return false
	}
	st, err := os.Stat(filepath.Join(dir, TrialsDir))
	return err == nil && st.IsDir()
}

// LoadSearch reads the trials of the search folder dir, in trial order,
// each a Run named "trial N" with its searched values and status from
// search.csv. Without search.csv the trials are the folders under
// trials/ whose names are numbers. A trial folder without metrics.csv
// (a trial not started yet) is left out; one with an empty metrics.csv
// is kept (see Run.Empty).
func LoadSearch(dir string) ([]*Run, error) {
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	trials, err := searchTrials(dir)
	if err != nil {
		return nil, err
	}
	var runs []*Run
	for _, t := range trials {
		if _, err := os.Stat(filepath.Join(t.dir, MetricsFile)); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		r, err := loadRun(t.dir, "trial "+strconv.Itoa(t.id))
		if err != nil {
			return nil, err
		}
		r.Params, r.Status = t.params, t.status
		runs = append(runs, r)
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("%s: a search folder without any trial run folder holding %s", dir, MetricsFile)
	}
	return runs, nil
}

// trial is one row of search.csv (or one folder under trials/).
type trial struct {
	id     int
	dir    string
	status string
	params []string
}

// searchTrials lists the search's trials: from search.csv, whose columns
// are trial, stage, status, the searched keys, the metric, epochs,
// seconds and run_dir (pkg/search/runner writeCSV), or else from the
// numbered folders under trials/.
func searchTrials(dir string) ([]trial, error) {
	path := filepath.Join(dir, SearchCSV)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return listTrials(dir)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	csvErr := func(err error) error {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return &ParseError{Path: path, Line: pe.Line, Column: pe.Column, Msg: pe.Err.Error()}
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	head, err := cr.Read()
	if err == io.EOF {
		return nil, &ParseError{Path: path, Msg: "empty file: no header"}
	}
	if err != nil {
		return nil, csvErr(err)
	}
	head = slices.Clone(head)
	iStatus := slices.Index(head, "status")
	if len(head) < 8 || head[0] != "trial" || iStatus != 2 || head[len(head)-1] != "run_dir" {
		return nil, &ParseError{Path: path, Line: 1, Msg: fmt.Sprintf("header %q is not a search table's (trial,stage,status,KEY...,METRIC,epochs,seconds,run_dir)", strings.Join(head, ","))}
	}
	keys := head[iStatus+1 : len(head)-4] // the searched keys; then metric, epochs, seconds, run_dir
	var out []trial
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		id, err := strconv.Atoi(row[0])
		if err != nil || id < 1 {
			return nil, &ParseError{Path: path, Line: line, Column: 1, Msg: fmt.Sprintf("column trial: %q is not a trial number", row[0])}
		}
		rd := row[len(row)-1]
		if rd == "" || filepath.IsAbs(rd) || !filepath.IsLocal(rd) {
			l, c := cr.FieldPos(len(row) - 1)
			return nil, &ParseError{Path: path, Line: l, Column: c, Msg: fmt.Sprintf("column run_dir: %q is not a folder inside the search folder", rd)}
		}
		t := trial{id: id, dir: filepath.Join(dir, rd), status: row[iStatus]}
		for k, key := range keys {
			t.params = append(t.params, key+"="+row[iStatus+1+k])
		}
		out = append(out, t)
	}
	return out, nil
}

// listTrials lists the numbered folders under dir/trials, in number order.
func listTrials(dir string) ([]trial, error) {
	entries, err := os.ReadDir(filepath.Join(dir, TrialsDir))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	var out []trial
	for _, e := range entries {
		id, err := strconv.Atoi(e.Name())
		if e.IsDir() && err == nil && id > 0 {
			out = append(out, trial{id: id, dir: filepath.Join(dir, TrialsDir, e.Name())})
		}
	}
	slices.SortFunc(out, func(a, b trial) int { return a.id - b.id })
	return out, nil
}

// LoadAll reads each path as a run folder (Load) or, when it is a search
// folder (IsSearch), as its trials (LoadSearch), in order. When two runs
// would get the same name the names are made distinct: a trial's name is
// prefixed with its search folder's base name, and a run folder's name
// becomes the path as given.
func LoadAll(paths []string) ([]*Run, error) {
	if len(paths) == 0 {
		return nil, errors.New("no run folder given")
	}
	var runs []*Run
	var from []string // the path each run came from
	for _, p := range paths {
		if IsSearch(p) {
			rs, err := LoadSearch(p)
			if err != nil {
				return nil, err
			}
			runs = append(runs, rs...)
			for range rs {
				from = append(from, p)
			}
			continue
		}
		r, err := Load(p)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
		from = append(from, p)
	}
	count := map[string]int{}
	for _, r := range runs {
		count[r.Name]++
	}
	for i, r := range runs {
		if count[r.Name] < 2 {
			continue
		}
		if r.Params != nil || r.Status != "" || strings.HasPrefix(r.Name, "trial ") {
			r.Name = filepath.Base(filepath.Clean(from[i])) + " " + r.Name
		} else {
			r.Name = filepath.Clean(from[i])
		}
	}
	return runs, nil
}
