package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runsFixtures is the folder of handmade run folders (testdata/runs).
const runsFixtures = "../../testdata/runs"

// TestPlotRealRun trains the quickstart config, plots its folder with the
// defaults (RUN/curves.png) and checks the image and the verdict printed.
func TestPlotRealRun(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := nettrain(t, "train", "-q", "-c", quickstart, "--out", dir); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	code, out, errs := nettrain(t, "plot", dir)
	if code != 0 || errs != "" {
		t.Fatalf("plot: exit %d: %s", code, errs)
	}
	img := filepath.Join(dir, "curves.png")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "overfitting: train_acc − val_acc is 0.178") || !strings.Contains(lines[0], " → more regularization") ||
		lines[len(lines)-1] != "wrote "+img {
		t.Errorf("output:\n%s", out)
	}
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// loss and accuracy side by side, the update ratios below, a caption
	// on top: 10 × 7 inches at 96 dpi and the caption's lines.
	if w, h := p.Bounds().Dx(), p.Bounds().Dy(); w != 960 || h <= 672 || h > 760 {
		t.Errorf("image %d×%d, want 960 × 672 plus a caption", w, h)
	}

	// Several runs, as SVG, with a legend naming each; --metric and
	// --no-ratios pick the panels.
	svg := filepath.Join(t.TempDir(), "both.svg")
	code, out, errs = nettrain(t, "plot", dir, filepath.Join(runsFixtures, "noisy"), "--out", svg, "--metric", "loss,lr", "--no-ratios")
	if code != 0 {
		t.Fatalf("plot of two runs: exit %d: %s", code, errs)
	}
	b, _ := os.ReadFile(svg)
	text := string(b)
	for _, w := range []string{filepath.Base(dir), "noisy", ">lr<"} {
		if !strings.Contains(text, w) {
			t.Errorf("SVG lacks %q", w)
		}
	}
	if strings.Contains(text, "update ratio") || strings.Contains(text, "accuracy") {
		t.Error("SVG has panels not asked for")
	}
	for _, w := range []string{filepath.Base(dir) + ":\n  overfitting: ", "noisy:\n  noisy: ", "wrote " + svg} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// TestPlotSearchFolder: a search folder expands into its trials, each
// diagnosed under its number and status; the trial that recorded nothing
// is said so and left out of the picture.
func TestPlotSearchFolder(t *testing.T) {
	out := filepath.Join(t.TempDir(), "search.svg")
	code, stdout, errs := nettrain(t, "plot", filepath.Join(runsFixtures, "search"), "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, w := range []string{"trial 1 (done):\n  still-improving: ", "trial 2 (done):\n  overfitting: val_loss rose 40%", "trial 3 (diverged):\n  no-data: "} {
		if !strings.Contains(stdout, w) {
			t.Errorf("output lacks %q:\n%s", w, stdout)
		}
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), "trial 1 optimizer.lr=0.01") || strings.Contains(string(b), "trial 3 optimizer") {
		t.Error("the legend does not name the trials that ran")
	}
}

// TestPlotRatioBand: the band comes from config.yaml, the flags override
// it.
func TestPlotRatioBand(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "healthy band [1e-04, 5e-02]"}, // testdata/runs/healthy/config.yaml
		{[]string{"--ratio-low", "1e-6"}, "healthy band [1e-06, 5e-02]"},
		{[]string{"--ratio-low", "1e-6", "--ratio-high", "1e-2"}, "healthy band [1e-06, 1e-02]"},
	} {
		out := filepath.Join(t.TempDir(), "c.svg")
		args := append([]string{"plot", filepath.Join(runsFixtures, "healthy"), "--out", out}, tt.args...)
		if code, _, errs := nettrain(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		if b, _ := os.ReadFile(out); !strings.Contains(string(b), tt.want) {
			t.Errorf("%v: the SVG lacks %q", tt.args, tt.want)
		}
	}
}

// TestPlotBadInput: each bad input is one error line with exit 2, never a
// panic.
func TestPlotBadInput(t *testing.T) {
	tmp := t.TempDir()
	empty := filepath.Join(tmp, "empty")
	os.Mkdir(empty, 0o755)
	malformed := filepath.Join(tmp, "malformed")
	os.Mkdir(malformed, 0o755)
	writeFile(t, malformed, "metrics.csv", "epoch,step,train_loss\n1,10,2.0\n2,20,lots\n")
	diverged := filepath.Join(tmp, "diverged")
	os.Mkdir(diverged, 0o755)
	writeFile(t, diverged, "metrics.csv", "epoch,step,train_loss\n")
	healthy := filepath.Join(runsFixtures, "healthy")
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"no run", []string{"plot"}, []string{"requires at least 1 arg"}},
		{"missing folder", []string{"plot", filepath.Join(tmp, "nope")}, []string{"nope", "no such folder"}},
		{"folder without metrics.csv", []string{"plot", empty}, []string{"empty", "no metrics.csv"}},
		{"malformed csv", []string{"plot", malformed}, []string{"metrics.csv:3:6:", "column train_loss", `"lots" is not a number`}},
		{"nothing recorded", []string{"plot", diverged}, []string{"nothing to plot"}},
		{"unknown metric", []string{"plot", healthy, "--out", filepath.Join(tmp, "x.png"), "--metric", "loss,f1"}, []string{`--metric: metric "f1"`, "available: loss, acc, ratios, lr", "grad_norm"}},
		{"bad extension", []string{"plot", healthy, "--out", filepath.Join(tmp, "x.jpg")}, []string{"x.jpg", ".png or .svg"}},
		{"several runs without --out", []string{"plot", healthy, healthy}, []string{"--out: required with several runs"}},
		{"both ratio flags", []string{"plot", healthy, "--out", filepath.Join(tmp, "x.png"), "--ratios", "--no-ratios"}, []string{"--ratios and --no-ratios"}},
		{"inverted band", []string{"plot", healthy, "--out", filepath.Join(tmp, "x.png"), "--ratio-low", "0.5"}, []string{"--ratio-low 0.5", "below --ratio-high 0.05"}},
		{"negative band", []string{"plot", healthy, "--out", filepath.Join(tmp, "x.png"), "--ratio-high", "-1"}, []string{"must be > 0"}},
		{"unwritable --out", []string{"plot", healthy, "--out", filepath.Join(malformed, "metrics.csv", "x.png")}, []string{"--out", "metrics.csv/x.png"}},
		{"bad flag value", []string{"plot", healthy, "--ratio-low", "tiny"}, []string{"ratio-low"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := nettrain(t, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d (stderr %q)", code, exitUsage, errs)
			}
			if strings.Count(errs, "\n") != 1 || strings.Contains(errs, "goroutine") {
				t.Errorf("want exactly one error line, got %q", errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(errs, w) {
					t.Errorf("error %q does not say %q", errs, w)
				}
			}
		})
	}
}
