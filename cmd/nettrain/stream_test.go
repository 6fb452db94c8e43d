package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
)

// TestStreamTrainsTheSame: training from a streamed image folder
// (data.stream) ends with the test accuracy and loss, and the weights, of
// training from the folder loaded in memory, with and without
// augmentation; a file that stops decoding mid-run ends the run with one
// line naming it, exit 2.
func TestStreamTrainsTheSame(t *testing.T) {
	root := t.TempDir()
	writeRGBFolder(t, root)
	cfg := writeFile(t, root, "rgb.yaml", `data: {dir: ., format: folder, val_split: 8}
preprocess: {method: channel}
model: {arch: cnn, widths: [4], convs_per_stage: 1, hidden: []}
optimizer: {lr: 0.05, momentum: 0.9}
train: {epochs: 2, batch_size: 16}
`)
	last := func(out string) string {
		lines := strings.Split(strings.TrimSpace(out), "\n")
		l := lines[len(lines)-1]
		if i := strings.Index(l, "trained in"); i > 0 {
			return l[:i]
		}
		return l
	}
	for _, extra := range [][]string{nil, {"--set", "augment=[{op: hflip, p: 0.5}]"}, {"--set", "preprocess={method: pca, components: 6}", "--set", "model={arch: mlp, hidden: [8]}"}} {
		var got [2]string
		var weights, metrics [2]string
		for i, stream := range []string{"false", "true"} {
			run := filepath.Join(t.TempDir(), "run")
			args := append([]string{"train", "-c", cfg, "--out", run, "--set", "data.stream=" + stream}, extra...)
			code, out, errs := nettrain(t, args...)
			if code != 0 {
				t.Fatalf("%v: exit %d\n%s%s", args, code, out, errs)
			}
			got[i] = last(out)
			weights[i] = testfix.TensorsHash(t, filepath.Join(run, "checkpoints", "last.ckpt"))
			metrics[i] = testfix.MetricsWithoutTimings(t, run)
		}
		if got[0] != got[1] || !strings.HasPrefix(got[0], "test accuracy") {
			t.Errorf("%v: in memory %q; streamed %q", extra, got[0], got[1])
		}
		if weights[0] != weights[1] || metrics[0] != metrics[1] {
			t.Errorf("%v: weights %s and %s, metrics differ: %v", extra, weights[0], weights[1], metrics[0] != metrics[1])
		}
	}

	// A test image whose header is sound and whose pixels are not: the
	// in-memory load refuses it up front, the stream when it reads it.
	bad := filepath.Join(root, "test", "red", "3.png")
	b, err := os.ReadFile(bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, b[:len(b)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(t.TempDir(), "run")
	code, _, errs := nettrain(t, "train", "-c", cfg, "--out", run, "--set", "data.stream=true")
	if code != 2 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "folder "+bad+": ") {
		t.Errorf("a corrupt streamed image: exit %d, %q; want 2 and one line naming %s", code, errs, bad)
	}
	if _, err := os.Stat(filepath.Join(run, "checkpoints", "best.ckpt")); err != nil {
		t.Errorf("the stream did not train up to the test set's corrupt file: %v", err)
	}
	code, _, errs = nettrain(t, "train", "-c", quickstart, "--out", filepath.Join(t.TempDir(), "run"), "--set", "data.stream=true")
	if code != 2 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "data.stream: only for data.format folder") {
		t.Errorf("stream of IDX: exit %d, %q", code, errs)
	}
}
