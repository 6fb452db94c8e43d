package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
)

const quickstart = "../../configs/quickstart.yaml"

// nettrain runs one command line and returns exit status, stdout, stderr.
func nettrain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(args, &out, &errb, false)
	return code, out.String(), errb.String()
}

// writeFile writes content to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// copyDir copies the flat folder src to a new temp folder.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dst, e.Name(), string(b))
	}
	return dst
}

// TestEndToEnd trains the quickstart config, checks the run directory, and
// checks that eval reproduces the final test accuracy exactly.
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := nettrain(t, "train", "-c", quickstart, "--out", dir)
	if code != 0 {
		t.Fatalf("train exit %d\n%s\n%s", code, out, errs)
	}
	for _, name := range []string{"config.yaml", "metrics.csv", "summary.json", "checkpoints/last.ckpt", "checkpoints/best.ckpt"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("run directory lacks %s", name)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "metrics.csv"))
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if lines[0] != "epoch,step,lr,train_loss,train_acc,val_loss,val_acc,ema_val_loss,ema_val_acc,epoch_seconds,images_per_second" || len(lines) != 16 {
		t.Errorf("metrics.csv: header %q and %d rows, want 15 rows", lines[0], len(lines)-1)
	}
	var summary struct {
		Test struct {
			Accuracy float64 `json:"accuracy"`
			N        int     `json:"n"`
		} `json:"test"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err := json.Unmarshal(b, &summary); err != nil {
		t.Fatal(err)
	}
	if summary.Test.Accuracy < 0.75 || summary.Test.N != 500 {
		t.Fatalf("test accuracy %.4f on %d examples, want >= 0.75 on 500", summary.Test.Accuracy, summary.Test.N)
	}

	code, out, errs = nettrain(t, "eval", filepath.Join(dir, "checkpoints", "best.ckpt"), "--json")
	if code != 0 {
		t.Fatalf("eval exit %d: %s", code, errs)
	}
	var ev struct {
		Accuracy float64 `json:"accuracy"`
		Loss     float64 `json:"loss"`
		N        int     `json:"n"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, out)
	}
	if ev.Accuracy != summary.Test.Accuracy || ev.N != summary.Test.N {
		t.Fatalf("eval accuracy %v on %d, training reported %v on %d", ev.Accuracy, ev.N, summary.Test.Accuracy, summary.Test.N)
	}

	// A second run into the same folder must not destroy the first.
	before, _ := os.ReadFile(filepath.Join(dir, "checkpoints", "best.ckpt"))
	code, _, errs = nettrain(t, "train", "-c", quickstart, "--out", dir)
	after, _ := os.ReadFile(filepath.Join(dir, "checkpoints", "best.ckpt"))
	if code != 2 || !strings.Contains(errs, "already holds a run") || !bytes.Equal(before, after) {
		t.Fatalf("re-running into a used folder: exit %d, %q; checkpoint kept: %v", code, errs, bytes.Equal(before, after))
	}
}

func TestSanity(t *testing.T) {
	code, out, errs := nettrain(t, "sanity", "-c", quickstart, "--json")
	if code != 0 {
		t.Fatalf("sanity exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = nettrain(t, "sanity", "-c", quickstart, "--set", "optimizer.lr=50")
	if code != 1 || !strings.Contains(out, "too high") {
		t.Fatalf("sanity with lr=50: exit %d, want 1 and a learning-rate-too-high diagnosis\n%s", code, out)
	}
}

// TestBadInput checks that bad input gives exit 2 and one error line naming
// the culprit, never a panic.
func TestBadInput(t *testing.T) {
	tmp := t.TempDir()
	small := "../../testdata/fashion-mnist-small"

	// A data folder whose training images are truncated.
	truncated := copyDir(t, small)
	img, _ := os.ReadFile(filepath.Join(small, "train-images-idx3-ubyte.gz"))
	writeFile(t, truncated, "train-images-idx3-ubyte.gz", string(img[:len(img)/2]))
	// A data folder whose training labels have the wrong magic number.
	wrongMagic := copyDir(t, small)
	os.Remove(filepath.Join(wrongMagic, "train-labels-idx1-ubyte.gz"))
	writeFile(t, wrongMagic, "train-labels-idx1-ubyte", "\x12\x34\x08\x01\x00\x00\x00\x01\x05")

	unknownKey := writeFile(t, tmp, "unknown.yaml", "data:\n  dir: "+small+"\noptimizer:\n  lr: 0.1\n  momentun: 0.9\n")
	// A trained checkpoint with one flipped byte.
	run := filepath.Join(tmp, "run")
	if code, _, errs := nettrain(t, "train", "-c", quickstart, "--out", run, "--set", "train.epochs=1"); code != 0 {
		t.Fatalf("train: %s", errs)
	}
	ckpt, _ := os.ReadFile(filepath.Join(run, "checkpoints", "best.ckpt"))
	ckpt[len(ckpt)-100] ^= 0x01
	flipped := writeFile(t, tmp, "flipped.ckpt", string(ckpt))

	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown key", []string{"validate", "-c", unknownKey}, []string{"unknown.yaml:5", "optimizer.momentun", `did you mean "momentum"`}},
		{"missing data folder", []string{"train", "-c", quickstart, "--set", "data.dir=/nonexistent/fm", "--out", filepath.Join(tmp, "r1")}, []string{"/nonexistent/fm", "no such folder"}},
		{"truncated idx", []string{"train", "-c", quickstart, "--set", "data.dir=" + truncated, "--out", filepath.Join(tmp, "r2")}, []string{"train-images-idx3-ubyte.gz"}},
		{"wrong magic", []string{"validate", "-c", quickstart, "--set", "data.dir=" + wrongMagic}, []string{"train-labels-idx1-ubyte", "bad magic"}},
		{"flipped checkpoint byte", []string{"eval", flipped}, []string{"flipped.ckpt", "checksum mismatch"}},
		{"non-numeric --set", []string{"train", "-c", quickstart, "--set", "optimizer.lr=fast"}, []string{"optimizer.lr", "fast"}},
		{"missing config file", []string{"validate", "-c", filepath.Join(tmp, "nope.yaml")}, []string{"nope.yaml"}},
		{"missing checkpoint", []string{"eval", filepath.Join(tmp, "nope.ckpt")}, []string{"nope.ckpt"}},
		{"bad split", []string{"eval", filepath.Join(run, "checkpoints", "best.ckpt"), "--split", "dev"}, []string{"--split", "dev"}},
		{"unknown command", []string{"trian"}, []string{"trian"}},
		{"missing --config", []string{"train"}, []string{"config"}},
		{"bad flag value", []string{"sanity", "-c", quickstart, "--max-steps", "many"}, []string{"max-steps"}},
		{"unknown activation", []string{"validate", "-c", quickstart, "--set", "model.activation=relux"}, []string{"model.activation", "relux", "known: elu, gelu, leaky_relu, prelu, relu"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := nettrain(t, tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, errs)
			}
			if strings.Count(errs, "\n") != 1 || strings.Contains(errs, "goroutine") {
				t.Errorf("want exactly one error line, got %q", errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("error %q does not mention %q", errs, w)
				}
			}
		})
	}
}

func TestValidateAndVersion(t *testing.T) {
	code, out, errs := nettrain(t, "validate", "-c", quickstart)
	if code != 0 || !strings.Contains(out, "valid") || !strings.Contains(out, "total") {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = nettrain(t, "version")
	if code != 0 || !strings.HasPrefix(out, "nettrain ") {
		t.Fatalf("version: exit %d %q", code, out)
	}
}

// TestSeveralConfigErrors checks that every problem of a config is reported,
// one line each, with exit status 2.
func TestSeveralConfigErrors(t *testing.T) {
	code, _, errs := nettrain(t, "validate", "-c", quickstart, "--set", "train.epochs=0", "--set", "optimizer.lr=-1")
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if code != 2 || len(lines) != 2 || !strings.Contains(errs, "train.epochs") || !strings.Contains(errs, "optimizer.lr") {
		t.Fatalf("exit %d, stderr %q: want 2 and one line per problem", code, errs)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "nettrain: ") {
			t.Errorf("line %q lacks the nettrain: prefix", l)
		}
	}
}

// TestThreadsDoNotChangeResults trains each model on 1 and 2 threads and
// compares every metric except the timings, and every tensor of best.ckpt
// and last.ckpt (weights, batch-norm statistics, optimizer state) bit for
// bit: an MLP, a CNN with batch norm, and a ResNet-8 without and with
// augmentation and mixup (the augmentation workers split each batch by the
// thread count), on the in-repo subset.
func TestThreadsDoNotChangeResults(t *testing.T) {
	small := []string{"--set", "data.dir=../../testdata/fashion-mnist-small", "--set", "data.val_split=200", "--set", "train.epochs=1"}
	cases := []struct {
		name string
		args []string
	}{
		{"mlp", []string{"-c", quickstart, "--set", "train.epochs=2"}},
		{"cnn with batch norm", append([]string{"-c", "../../configs/fashion-cnn.yaml", "--set", "model.batch_norm=true"}, small...)},
		{"resnet", append([]string{"-c", "../../configs/fashion-resnet.yaml"}, small...)},
		{"resnet with augmentation and mixup", append([]string{"-c", "../../configs/fashion-resnet.yaml", "--set", "data.train_limit=1000",
			"--set", "augment=[{op: crop, pad: 2}, {op: hflip, p: 0.5}, {op: erase, p: 0.5}]", "--set", "train.mixup={alpha: 0.2}"}, small...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var dirs []string
			for _, threads := range []string{"1", "2"} {
				dir := t.TempDir()
				args := append([]string{"train", "-q", "--out", dir, "--threads", threads}, tc.args...)
				if code, _, errs := nettrain(t, args...); code != 0 {
					t.Fatalf("--threads %s: exit %d: %s", threads, code, errs)
				}
				dirs = append(dirs, dir)
			}
			if one, two := testfix.MetricsWithoutTimings(t, dirs[0]), testfix.MetricsWithoutTimings(t, dirs[1]); one != two {
				t.Errorf("metrics differ between 1 and 2 threads:\n%s\nvs\n%s", one, two)
			}
			for _, ckpt := range []string{"best.ckpt", "last.ckpt"} {
				t.Run(ckpt, func(t *testing.T) { // sameTensors and metricsWithoutTimings: resume_test.go
					sameTensors(t, filepath.Join(dirs[0], "checkpoints", ckpt), filepath.Join(dirs[1], "checkpoints", ckpt))
				})
			}
		})
	}
	if code, _, errs := nettrain(t, "validate", "-c", quickstart, "--threads", "-1"); code != 2 || !strings.Contains(errs, "--threads") {
		t.Fatalf("--threads -1: exit %d, %q", code, errs)
	}
}
