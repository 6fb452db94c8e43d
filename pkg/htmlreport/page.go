package htmlreport

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nettrain/nettrain/pkg/curves"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/run"
)

//go:embed page.html
var pageHTML string

// pageTemplate is the page; html/template escapes every value.
var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// page is what the template shows; empty parts are left out.
type page struct {
	Title, Subtitle   string
	Verdicts          []verdict
	Facts             []fact
	Warnings          []string
	Leaderboard       *table
	Images            []image
	Confusion         *heatmap
	Histograms        []histoKind
	HistogramsCaption string
	HistFirst         int
	HistLast          int
	ModelSummary      string
	ConfigTitle       string
	Config            string
	Metrics           *table
}

// verdict is one line of the diagnosis; Class colours it.
type verdict struct {
	Name, Text, Advice, Class string
}

// fact is one number of the results.
type fact struct{ Label, Value string }

// image is a plot, as a data URI.
type image struct {
	Title, Caption string
	Src            template.URL
}

// table is a sortable table of text cells.
type table struct {
	Header []string
	Rows   [][]string
}

// Options say what the page is made of.
type Options struct {
	// Dir is the run folder or search folder.
	Dir string
	// Now stamps the page; nil means time.Now.
	Now func() time.Time
}

// Write renders the page of opt.Dir to w. A folder that is neither a run
// (metrics.csv) nor a search (search.csv) is an error naming it.
func Write(w io.Writer, opt Options) error {
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	var p *page
	var err error
	if curves.IsSearch(opt.Dir) {
		p, err = searchPage(opt.Dir)
	} else {
		p, err = runPage(opt.Dir)
	}
	if err != nil {
		// What the folder holds is the user's input: a missing or
		// malformed file is a bad argument (exit 2), not a crash.
		return &engine.InputError{Err: err}
	}
	p.Subtitle = strings.TrimSpace(p.Subtitle + " · report of " + now().Format("2006-01-02 15:04"))
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return fmt.Errorf("report of %s: %w", opt.Dir, err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// runPage gathers a run folder's page.
func runPage(dir string) (*page, error) {
	r, err := curves.Load(dir)
	if err != nil {
		return nil, err
	}
	p := &page{Title: "Run " + r.Name, Subtitle: dir, ConfigTitle: "Config"}
	p.Verdicts = verdicts(curves.Diagnose(r))
	res, err := readSummary(filepath.Join(dir, run.SummaryFile))
	if err != nil {
		return nil, err
	}
	if res != nil {
		p.Facts = resultFacts(res)
		p.Warnings = res.Warnings
		if len(res.Test.Confusion) > 0 {
			p.Confusion = newHeatmap(res.Test.Confusion, res.ClassNames)
		}
	} else {
		p.Subtitle += " · no summary.json: the run has not finished"
	}
	if p.Images, err = runImages(r); err != nil {
		return nil, err
	}
	if err := addHistograms(p, filepath.Join(dir, run.HistogramsFile)); err != nil {
		return nil, err
	}
	p.ModelSummary = modelSummary(filepath.Join(dir, run.CheckpointDir, run.BestCheckpoint))
	p.Config = readText(filepath.Join(dir, run.ConfigFile))
	if p.Metrics, err = readTable(filepath.Join(dir, run.MetricsFile)); err != nil {
		return nil, err
	}
	return p, nil
}

// searchPage gathers a search folder's page.
func searchPage(dir string) (*page, error) {
	p := &page{Title: "Search " + filepath.Base(filepath.Clean(dir)), Subtitle: dir, ConfigTitle: "Best trial's config (best.yaml)"}
	lb, err := readTable(filepath.Join(dir, "search.csv"))
	if err != nil {
		return nil, err
	}
	if lb != nil {
		metric, max := searchMode(dir)
		sortLeaderboard(lb, metric, max)
		p.Leaderboard = lb
		p.Facts = []fact{{"trials", strconv.Itoa(len(lb.Rows))}}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "search.png")); err == nil {
		p.Images = append(p.Images, image{Title: "Search", Caption: "each trial's searched values against its metric (search.png)", Src: dataURI("image/png", b)})
	}
	runs, err := curves.LoadSearch(dir)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(runs, func(r *curves.Run) bool { return !r.Empty() }) {
		img, err := plotImage(runs, "Trials' curves", "every trial of the search, overlaid", false)
		if err != nil {
			return nil, err
		}
		p.Images = append(p.Images, img)
	}
	p.Config = readText(filepath.Join(dir, "best.yaml"))
	return p, nil
}

// verdicts turns a diagnosis into the page's lines.
func verdicts(d curves.Diagnosis) []verdict {
	var out []verdict
	for _, v := range d.Verdicts {
		class := "warn"
		switch v.Name {
		case curves.Healthy:
			class = "healthy"
		case curves.Diverged, curves.Spikes:
			class = "bad"
		}
		out = append(out, verdict{Name: v.Name, Text: v.Finding, Advice: v.Advice, Class: class})
	}
	return out
}

// readSummary reads summary.json; a missing one is nil (an unfinished run).
func readSummary(path string) (*run.Result, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var res run.Result
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &res, nil
}

// resultFacts are the headline numbers of a finished run.
func resultFacts(res *run.Result) []fact {
	f := []fact{
		{"test accuracy", fmt.Sprintf("%.4f", res.Test.Accuracy)},
		{"test loss", fmt.Sprintf("%.4f", res.Test.Loss)},
		{fmt.Sprintf("best %s (epoch %d)", res.BestMetric, res.Best.Epoch), fmt.Sprintf("%.4f", engine.MetricValue(res.Best, res.BestMetric))},
		{"epochs trained", strconv.Itoa(len(res.Epochs))},
		{"parameters", strconv.Itoa(res.Parameters)},
		{"training time (last invocation)", fmt.Sprintf("%.1f s", res.TrainSeconds)},
		{"peak memory", fmt.Sprintf("%.0f MiB", float64(res.PeakMemoryBytes)/(1<<20))},
	}
	if n := len(res.Epochs); n > 0 {
		f = append(f, fact{"images/s (last epoch)", fmt.Sprintf("%.0f", res.Epochs[n-1].ImagesPerSecond)})
	}
	if res.StopReason != "" {
		f = append(f, fact{"stopped", res.StopReason})
	}
	return f
}

// runImages are a run's curves and, when it has them, update ratios.
func runImages(r *curves.Run) ([]image, error) {
	img, err := plotImage([]*curves.Run{r}, "Learning curves", "", true)
	if err != nil {
		return nil, err
	}
	return []image{img}, nil
}

// plotImage draws runs with pkg/curves as a PNG data URI.
func plotImage(runs []*curves.Run, title, caption string, ratios bool) (image, error) {
	var buf bytes.Buffer
	opt := curves.PlotOptions{Ratios: ratios, RatioLow: runs[0].RatioLow, RatioHigh: runs[0].RatioHigh}
	if len(runs) == 1 && caption == "" {
		caption = curves.Diagnose(runs[0]).Headline().String()
	}
	if err := curves.Plot(runs, opt, &buf, "png"); err != nil {
		return image{}, err
	}
	return image{Title: title, Caption: caption, Src: dataURI("image/png", buf.Bytes())}, nil
}

// dataURI embeds b in the page.
func dataURI(mime string, b []byte) template.URL {
	return template.URL("data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(b))
}

// modelSummary is the layer table of the model in a checkpoint, or "" when
// it cannot be read (the page then has no model section).
func modelSummary(path string) string {
	l, err := run.LoadCheckpoint(path)
	if err != nil {
		return ""
	}
	var b strings.Builder
	if err := l.Model.Summary(&b); err != nil {
		return ""
	}
	return b.String()
}

// readText is a text file's content, "" when it is missing.
func readText(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// readTable reads a CSV file; a missing one is nil.
func readTable(path string) (*table, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	return &table{Header: recs[0], Rows: recs[1:]}, nil
}
