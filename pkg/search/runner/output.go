package runner

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/report"
	"github.com/nettrain/nettrain/pkg/search"
	"github.com/schollz/progressbar/v3"
)

// writeFile writes content to path atomically.
func writeFile(path string, content []byte) error {
	if err := checkpoint.WriteFileAtomic(path, content); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	return nil
}

// readMetric returns the number of epochs in a trial's metrics.csv and
// metric's value in its last row (NaN when there is no row or no value).
func readMetric(path, metric string) (epochs int, v float64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, math.NaN(), fmt.Errorf("trial metrics: %w", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return 0, math.NaN(), fmt.Errorf("trial metrics %s: %w", path, err)
	}
	if len(rows) == 0 {
		return 0, math.NaN(), fmt.Errorf("trial metrics %s: empty", path)
	}
	col := -1
	for i, h := range rows[0] {
		if h == metric {
			col = i
		}
	}
	if col < 0 {
		return 0, math.NaN(), fmt.Errorf("trial metrics %s: no column %q", path, metric)
	}
	epochs = len(rows) - 1
	if epochs == 0 {
		return 0, math.NaN(), nil
	}
	v, err = strconv.ParseFloat(rows[epochs][col], 64)
	if err != nil {
		return epochs, math.NaN(), nil
	}
	return epochs, v, nil
}

// writeCSV writes search.csv: one row per trial, in id order.
func (s *searcher) writeCSV() error {
	spec := s.cfg.Search
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	head := []string{"trial", "stage", "status"}
	for _, p := range spec.Space {
		head = append(head, p.Key)
	}
	head = append(head, spec.Metric, "epochs", "seconds", "run_dir")
	_ = w.Write(head)
	for _, t := range s.st.trials() {
		row := []string{strconv.Itoa(t.ID), strconv.Itoa(t.Stage + 1), t.Status}
		row = append(row, t.Values...)
		m := ""
		if t.HasMetric {
			m = strconv.FormatFloat(t.Metric, 'g', -1, 64)
		}
		row = append(row, m, strconv.Itoa(t.Epochs), strconv.FormatFloat(t.Seconds, 'f', 1, 64), filepath.Join(TrialsDir, trialName(t)))
		_ = w.Write(row)
	}
	w.Flush()
	return writeFile(filepath.Join(s.dir, CSVFile), buf.Bytes())
}

// finish writes best.yaml and search.png and prints the leaderboard.
func (s *searcher) finish(wall float64) (*Summary, error) {
	spec := s.cfg.Search
	all := s.st.trials()
	sum := &Summary{Dir: s.dir, Trials: all, WallSeconds: wall}
	for _, t := range all {
		sum.Epochs += t.Epochs
		sum.TrialSeconds += t.Seconds
	}
	if err := s.writeCSV(); err != nil {
		return nil, err
	}
	top := ranked(all, spec.Mode == "max")
	out := s.progress.out(s.opt.Stdout)
	fmt.Fprintf(out, "\nleaderboard (%s, %s is better):\n", spec.Metric, map[bool]string{true: "higher", false: "lower"}[spec.Mode == "max"])
	fmt.Fprintf(out, "%4s %5s %5s %8s %6s  %s\n", "rank", "trial", "stage", spec.Metric, "epochs", "values")
	for i, t := range top[:min(len(top), 10)] {
		var vals []string
		for j, p := range s.st.spaceOf(t, spec.Space) {
			vals = append(vals, p.Key+"="+t.Values[j])
		}
		fmt.Fprintf(out, "%4d %5d %5d %8.4f %6d  %s\n", i+1, t.ID, t.Stage+1, t.Metric, t.Epochs, strings.Join(vals, " "))
	}
	lost := len(all) - len(top)
	if lost > 0 {
		fmt.Fprintf(out, "(%d trial%s without a metric: diverged or failed; see search.csv)\n", lost, plural(lost))
	}
	fmt.Fprintf(out, "%d trials, %d epochs in %s; the trials' own time adds up to %s\n", len(all), sum.Epochs,
		seconds(wall), seconds(sum.TrialSeconds))
	if len(top) == 0 {
		return sum, fmt.Errorf("search %s: no trial has a metric: every trial diverged or failed (see search.csv and trials/*.log)", s.dir)
	}
	sum.Best = top[0]
	if err := s.writeBest(sum.Best); err != nil {
		return nil, err
	}
	if err := s.writePlot(top); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "best: trial %d, %s %.4f; its config is %s: nettrain train -c %s\n", sum.Best.ID, spec.Metric, sum.Best.Metric,
		filepath.Join(s.dir, BestFile), filepath.Join(s.dir, BestFile))
	return sum, nil
}

// writeBest writes best.yaml: the best trial's config, named and placed
// as the searched config, ready for `nettrain train`.
func (s *searcher) writeBest(t *Trial) error {
	cfg, err := config.Load(s.trialPath(t, ".yaml"), nil)
	if err != nil {
		return err
	}
	cfg.Name, cfg.Output.Dir = s.cfg.Name, s.cfg.Output.Dir
	b, err := cfg.Marshal()
	if err != nil {
		return err
	}
	head := fmt.Sprintf("# the best trial (%d) of the search in %s: %s %s\n", t.ID, s.dir, s.cfg.Search.Metric, strconv.FormatFloat(t.Metric, 'g', -1, 64))
	return writeFile(filepath.Join(s.dir, BestFile), append([]byte(head), b...))
}

// writePlot draws search.png.
func (s *searcher) writePlot(top []*Trial) error {
	spec := s.cfg.Search
	sp := report.SearchPlot{Metric: spec.Metric, Max: spec.Mode == "max"}
	for _, p := range spec.Space {
		sp.Params = append(sp.Params, report.SearchParam{Key: p.Key, Log: p.Log})
	}
	for _, t := range top {
		sp.Trials = append(sp.Trials, report.SearchTrial{Values: t.Values, Stage: t.Stage, Metric: t.Metric})
	}
	var buf bytes.Buffer
	if err := report.WriteSearchPlot(&buf, sp); err != nil {
		return err
	}
	return writeFile(filepath.Join(s.dir, PlotFile), buf.Bytes())
}

// progress is the bar over the whole search's trials (nil writer: none).
// A later stage's size is known only once the stage before has ended
// (a narrowed grid may be smaller), so until then the bar counts its
// planned trials and is corrected when the stage is made.
type progress struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func newProgress(w io.Writer) *progress { return &progress{w: w} }

// update sets the bar to the search's finished trials out of its known
// and planned ones.
func (p *progress) update(st *State, spec search.Spec) {
	if p.w == nil {
		return
	}
	total, done := 0, 0
	for _, stage := range st.Stages {
		total += len(stage.Trials)
		for _, t := range stage.Trials {
			if t.finished() {
				done++
			}
		}
	}
	for i := len(st.Stages); i <= len(spec.Stages); i++ {
		if i == 0 {
			continue
		}
		if search.AllLists(spec.Space) {
			total += search.GridSize(spec.Space) // at most
		} else {
			total += spec.Stages[i-1].Trials
		}
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription("search trials"),
			progressbar.OptionSetWidth(24),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
		)
	}
	p.bar.ChangeMax(total)
	_ = p.bar.Set(done)
}

// out returns w for a line of text, clearing the bar first so the line
// does not mix with it (the bar redraws at its next update).
func (p *progress) out(w io.Writer) io.Writer {
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	return w
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}

// seconds formats a duration in seconds to a tenth of a second.
func seconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(100 * time.Millisecond).String()
}
