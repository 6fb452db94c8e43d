package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromiumPath is Debian's Chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// chromium runs headless Chromium on page with extra flags and returns its
// stdout and the console lines it logged. It skips the test with a clear
// message only when Chromium is absent and CI is not set.
func chromium(t *testing.T, page string, flags ...string) (stdout string, console []string) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: .ci/run installs Debian's chromium for this test", chromiumPath)
		}
		t.Skipf("%s is missing: install Debian's chromium (apt-get install chromium) to render the report", chromiumPath)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
		"--user-data-dir=" + t.TempDir(), "--no-first-run", "--disable-extensions"}, flags...)
	cmd := exec.CommandContext(ctx, chromiumPath, append(args, "file://"+page)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", flags, err, errb.String())
	}
	for _, l := range strings.Split(errb.String(), "\n") {
		if strings.Contains(l, ":CONSOLE") {
			console = append(console, l)
		}
	}
	return out.String(), console
}

// TestReportRendersInChromium writes the report of a quickstart run and of
// a search, opens each in headless Chromium, and checks that it renders:
// the page's script ran to its end, every section is in the DOM, nothing
// was logged to the console (a script error or a resource that failed to
// load would be), and nothing is fetched from the network.
func TestReportRendersInChromium(t *testing.T) {
	dir := t.TempDir()
	runDir := filepath.Join(dir, "run")
	if code, _, errs := nettrain(t, "train", "-c", quickstart, "--out", runDir, "--set", "train.epochs=4", "--set", "monitor.every=5"); code != 0 {
		t.Fatalf("train: %s", errs)
	}
	searchDir := filepath.Join(dir, "search")
	cases := []struct {
		name, dir string
		want      []string
	}{
		{"run", runDir, []string{"Diagnosis", "Results", "Learning curves", "Confusion matrix", "Histograms", "Weights", "Gradients", "Activations", "Model", "Config", "Metrics per epoch", "Trouser"}},
	}
	// A search runs its trials as processes of the real binary.
	if out, err := exec.Command(buildBinary(t), "search", "-c", searchConfig(t, dir), "--out", searchDir, "--parallel", "1", "-q").CombinedOutput(); err != nil {
		t.Fatalf("search: %v\n%s", err, out)
	}
	cases = append(cases, struct {
		name, dir string
		want      []string
	}{"search", searchDir, []string{"Leaderboard", "Trials' curves", "Search", "Best trial's config"}})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page := filepath.Join(dir, c.name+".html")
			code, out, errs := nettrain(t, "report", c.dir, "--out", page)
			if code != 0 || !strings.Contains(out, "wrote "+page) {
				t.Fatalf("report: exit %d\n%s%s", code, out, errs)
			}
			html, err := os.ReadFile(page)
			if err != nil {
				t.Fatal(err)
			}
			if m := regexp.MustCompile(`(src|href)="(https?:)?//`).Find(html); m != nil {
				t.Errorf("the page loads %s from the network", m)
			}
			dom, console := chromium(t, page, "--dump-dom")
			if len(console) > 0 {
				t.Errorf("console messages:\n%s", strings.Join(console, "\n"))
			}
			if !strings.Contains(dom, `data-ready="1"`) {
				t.Errorf("the page's script did not run to its end")
			}
			for _, w := range c.want {
				if !strings.Contains(dom, w) {
					t.Errorf("rendered page lacks %q", w)
				}
			}
			shot := filepath.Join(dir, c.name+".png")
			if _, console := chromium(t, page, "--screenshot="+shot, "--window-size=1200,1600", "--hide-scrollbars"); len(console) > 0 {
				t.Errorf("console messages while taking the screenshot:\n%s", strings.Join(console, "\n"))
			}
			if st, err := os.Stat(shot); err != nil || st.Size() < 10_000 {
				t.Errorf("screenshot %s: %v (%v bytes)", shot, err, st)
			}
		})
	}
}

// searchConfig writes a 2×1 grid search over the quickstart's rate, one
// epoch each, and returns its path.
func searchConfig(t *testing.T, dir string) string {
	t.Helper()
	abs, err := filepath.Abs("../../testdata/fashion-mnist-small")
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, "grid.yaml", `name: grid
data:
  dir: `+abs+`
  val_split: 200
  train_limit: 600
model:
  hidden: [32]
optimizer:
  lr: 0.05
train:
  epochs: 2
search:
  method: grid
  space:
    - key: optimizer.lr
      values: [0.02, 0.05]
`)
}

// TestReportBadInput checks the one-line errors of `nettrain report`.
func TestReportBadInput(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing folder", []string{"report", filepath.Join(dir, "nope")}, "nope"},
		{"not a run", []string{"report", dir}, "metrics.csv"},
		{"bad extension", []string{"report", dir, "--out", filepath.Join(dir, "r.png")}, "*.html"},
		{"no folder", []string{"report"}, "accepts 1 arg"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := nettrain(t, c.args...)
			if code != exitUsage || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
				t.Errorf("exit %d, stderr %q; want exit %d and one line with %q", code, errs, exitUsage, c.want)
			}
		})
	}
}
