package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// csvColumn reads a CSV file and returns the named column, checking the
// header starts with the given columns.
func csvColumn(t *testing.T, path, header, col string) []string {
	t.Helper()
	recs := readCSV(t, path)
	if len(recs) == 0 || !strings.HasPrefix(strings.Join(recs[0], ",")+",", header+",") {
		t.Fatalf("%s: header %v, want it to start with %s", path, recs[:min(len(recs), 1)], header)
	}
	i := strings.Index(header+",", col+",")
	idx := strings.Count(header[:i], ",")
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[idx])
	}
	return out
}

// TestScheduleMatchesTraining previews the quickstart's schedule with a
// warmup and the linear scaling rule, trains the same config, and checks
// that the CSV's lr column is steps.csv's, string for string; the PNG must
// decode.
func TestScheduleMatchesTraining(t *testing.T) {
	dir := t.TempDir()
	set := []string{"--set", "train.epochs=2", "--set", "schedule.warmup_epochs=0.5", "--set", "schedule.scale_rule=linear", "--set", "schedule.base_batch_size=128"}
	lrCSV, lrPNG := filepath.Join(dir, "lr.csv"), filepath.Join(dir, "plots", "lr.png")
	code, out, errs := nettrain(t, append([]string{"schedule", "-c", quickstart, "--csv", lrCSV, "--out", lrPNG}, set...)...)
	if code != 0 {
		t.Fatalf("schedule: exit %d\n%s%s", code, out, errs)
	}
	for _, w := range []string{"cosine", "warmup 0.5 epochs", "linear scaling", "2 epochs × 29 optimizer steps = 58 steps", "1800 training examples", "wrote " + lrCSV, "wrote " + lrPNG} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	f, err := os.Open(lrPNG)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("%s does not decode as PNG: %v", lrPNG, err)
	}

	run := filepath.Join(dir, "run")
	if code, _, errs := nettrain(t, append([]string{"train", "-c", quickstart, "--out", run}, set...)...); code != 0 {
		t.Fatalf("train: %s", errs)
	}
	want := csvColumn(t, filepath.Join(run, "steps.csv"), "step,epoch,batch,lr,loss", "lr")
	got := csvColumn(t, lrCSV, "step,epoch,lr", "lr")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the previewed rates differ from the trained ones:\n%v\nvs\n%v", got, want)
	}
	if len(got) != 58 {
		t.Errorf("%d previewed steps, want 58", len(got))
	}
}

// TestScheduleText checks the summary printed without --out/--csv, that
// --train-examples gives the same without loading data, accumulation, and
// the reduce-on-plateau caveat.
func TestScheduleText(t *testing.T) {
	code, loaded, errs := nettrain(t, "schedule", "-c", quickstart)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if rows := regexp.MustCompile(`(?m)^\s+\d+  `).FindAllString(loaded, -1); len(rows) != 15 || !strings.Contains(loaded, "lr from ") {
		t.Errorf("want 15 epoch rows and the range:\n%s", loaded)
	}
	code, given, _ := nettrain(t, "schedule", "-c", quickstart, "--train-examples", "1800", "--set", "data.dir=/nonexistent")
	if code != 0 || given != loaded {
		t.Errorf("--train-examples 1800 (no data needed): exit %d\n%s\nwant\n%s", code, given, loaded)
	}
	code, out, _ := nettrain(t, "schedule", "-c", quickstart, "--train-examples", "1800", "--set", "train.accumulate=3")
	if code != 0 || !strings.Contains(out, "15 epochs × 10 optimizer steps = 150 steps") {
		t.Errorf("accumulate 3 (29 batches → 10 steps): exit %d\n%s", code, out)
	}
	code, out, _ = nettrain(t, "schedule", "-c", quickstart, "--train-examples", "1800", "--set", "schedule.plateau.enabled=true")
	if code != 0 || !strings.Contains(out, "cannot be previewed") || !strings.Contains(out, "reduce-on-plateau") {
		t.Errorf("plateau: exit %d, want the caveat\n%s", code, out)
	}
}

func TestScheduleBadInput(t *testing.T) {
	dir := t.TempDir()
	notADir := writeFile(t, dir, "file", "x")
	folderPNG := filepath.Join(dir, "folder", "lr.png")
	if err := os.MkdirAll(folderPNG, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"unwritable --csv", []string{"--csv", filepath.Join(notADir, "lr.csv")}, []string{"--csv", "lr.csv"}},
		{"--out is a folder", []string{"--out", folderPNG}, []string{"--out", "lr.png"}},
		{"unwritable --out", []string{"--out", filepath.Join(notADir, "lr.png")}, []string{"--out", "lr.png"}},
		{"unknown plot format", []string{"--out", filepath.Join(dir, "lr.gif")}, []string{"--out", ".png"}},
		{"negative --train-examples", []string{"--train-examples", "-3"}, []string{"--train-examples"}},
		{"bad schedule", []string{"--set", "schedule.type=invsqrt"}, []string{"invsqrt"}},
		{"missing data", []string{"--set", "data.dir=/nonexistent/fm"}, []string{"/nonexistent/fm"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := nettrain(t, append([]string{"schedule", "-c", quickstart}, tc.args...)...)
			if code != 2 || strings.Count(errs, "\n") != 1 {
				t.Errorf("exit %d, stderr %q: want 2 and one line", code, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("error %q does not mention %q", errs, w)
				}
			}
		})
	}
	if code, _, errs := nettrain(t, "schedule"); code != 2 || !strings.Contains(errs, "config") {
		t.Errorf("no -c: exit %d %q", code, errs)
	}
}

// TestReadmeRecipes checks that every YAML snippet of the README's
// "Recipes" section is the configs/recipes file its first line names (so
// TestShippedConfigs loads it, and checks it against the full data set where
// that is installed) and passes `nettrain validate` with the in-repo subset
// standing in for the full data set (2,000 images: val_split 200), and
// `nettrain schedule`.
func TestReadmeRecipes(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Recipes\n")
	if !ok {
		t.Fatal(`README.md has no "## Recipes" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(blocks) != 3 {
		t.Fatalf("%d yaml snippets in Recipes, want 3", len(blocks))
	}
	for _, b := range blocks {
		snippet := b[1]
		m := regexp.MustCompile(`^# (configs/recipes/[a-z0-9-]+\.yaml)`).FindStringSubmatch(snippet)
		if m == nil {
			t.Errorf("snippet does not start with # configs/recipes/NAME.yaml:\n%s", snippet)
			continue
		}
		t.Run(m[1], func(t *testing.T) {
			path := filepath.Join("../..", m[1])
			file, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(file, []byte(snippet)) {
				t.Errorf("the README snippet differs from %s", m[1])
			}
			code, out, errs := nettrain(t, "validate", "-c", path, "--set", "data.dir=../../testdata/fashion-mnist-small", "--set", "data.val_split=200")
			if code != 0 {
				t.Errorf("validate: exit %d\n%s%s", code, out, errs)
			}
			if code, out, errs := nettrain(t, "schedule", "-c", path, "--train-examples", "55000"); code != 0 {
				t.Errorf("schedule: exit %d\n%s%s", code, out, errs)
			}
		})
	}
}
