package main

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nettrain/nettrain/internal/testfix"
)

// badInputCase is one bad command line of TestBadInputSuite.
type badInputCase struct {
	name string
	// setup writes the bad files the case needs under dir (a fresh temp
	// folder) and returns the command line.
	setup func(t *testing.T, dir string) []string
	// want are substrings the one error line must contain: the file, key,
	// flag or line it must name.
	want []string
	// sealed are folders (relative to dir) that the command must leave
	// exactly as they were: no file added, removed or changed. Every file
	// that existed under dir before the command must be unchanged anyway.
	sealed []string
	// notRoot skips the case when running as root (root reads and writes
	// files whatever their permissions).
	notRoot bool
}

// TestBadInputSuite feeds nettrain bad user input of every kind (config,
// data, checkpoint, flags, resume and init) and checks that each is
// refused with exit status 1 or 2 and exactly one line on stderr that
// names the culprit, never a panic or a stack trace, and that the command
// leaves the files it was given unchanged.
func TestBadInputSuite(t *testing.T) {
	// One quick training run whose folder and checkpoints the checkpoint,
	// resume and init cases copy.
	shared := t.TempDir()
	sharedRun := filepath.Join(shared, "run")
	sharedCfg := biFashionConfig(t, shared)
	if code, _, errs := nettrain(t, "train", "-q", "-c", sharedCfg, "--out", sharedRun); code != 0 {
		t.Fatalf("training the shared run: exit %d: %s", code, errs)
	}
	ckptBytes := biRead(t, filepath.Join(sharedRun, "checkpoints", "best.ckpt"))

	folderData := biAbs(t, "../../testdata/images/folder")
	tabularData := biAbs(t, "../../testdata/images/tabular")

	// folderCase copies the image-folder fixture to dir/data, lets edit
	// spoil it and returns a train command on it.
	folderCase := func(edit func(t *testing.T, data string)) func(t *testing.T, dir string) []string {
		return func(t *testing.T, dir string) []string {
			data := filepath.Join(dir, "data")
			biCopyTree(t, folderData, data)
			edit(t, data)
			cfg := biTinyConfig(t, dir, data, "folder")
			return []string{"train", "-q", "-c", cfg, "--out", filepath.Join(dir, "out")}
		}
	}
	// csvCase copies the CSV fixture to dir/data, replaces train.csv with
	// content and returns a train command on it.
	csvCase := func(content string) func(t *testing.T, dir string) []string {
		return func(t *testing.T, dir string) []string {
			data := filepath.Join(dir, "data")
			biCopyTree(t, tabularData, data)
			biWrite(t, filepath.Join(data, "train.csv"), []byte(content))
			cfg := biTinyConfig(t, dir, data, "csv")
			return []string{"train", "-q", "-c", cfg, "--out", filepath.Join(dir, "out")}
		}
	}
	// idxCase writes a tiny IDX data set to dir/data, lets edit spoil it
	// and returns a train command on it.
	idxCase := func(edit func(t *testing.T, data string)) func(t *testing.T, dir string) []string {
		return func(t *testing.T, dir string) []string {
			data := filepath.Join(dir, "data")
			biTinyIDX(t, data)
			edit(t, data)
			cfg := biTinyConfig(t, dir, data, "idx")
			return []string{"train", "-q", "-c", cfg, "--out", filepath.Join(dir, "out")}
		}
	}
	// ckptCase writes b as dir/name and returns an eval command on it.
	ckptCase := func(name string, b []byte) func(t *testing.T, dir string) []string {
		return func(t *testing.T, dir string) []string {
			p := filepath.Join(dir, name)
			biWrite(t, p, b)
			return []string{"eval", p}
		}
	}
	// withRun copies the shared run to dir/run, then calls args with its
	// path.
	withRun := func(args func(t *testing.T, dir, run string) []string) func(t *testing.T, dir string) []string {
		return func(t *testing.T, dir string) []string {
			run := filepath.Join(dir, "run")
			biCopyTree(t, sharedRun, run)
			return args(t, dir, run)
		}
	}
	// configCase writes content as dir/name and returns cmd -c that file
	// plus extra arguments.
	configCase := func(cmd, name, content string, extra ...string) func(t *testing.T, dir string) []string {
		return func(t *testing.T, dir string) []string {
			p := filepath.Join(dir, name)
			biWrite(t, p, []byte(content))
			return append([]string{cmd, "-c", p}, extra...)
		}
	}
	// setCase returns cmd on the fashion config with the --set overrides.
	setCase := func(cmd string, sets ...string) func(t *testing.T, dir string) []string {
		return func(t *testing.T, dir string) []string {
			args := []string{cmd, "-c", biFashionConfig(t, dir)}
			if cmd == "train" {
				args = append(args, "-q", "--out", filepath.Join(dir, "out"))
			}
			for _, s := range sets {
				args = append(args, "--set", s)
			}
			return args
		}
	}

	// plus appends arguments to the command line of setup.
	plus := func(setup func(t *testing.T, dir string) []string, extra ...string) func(t *testing.T, dir string) []string {
		return func(t *testing.T, dir string) []string { return append(setup(t, dir), extra...) }
	}

	half := slices.Clone(ckptBytes[:len(ckptBytes)/2])
	flipped := slices.Clone(ckptBytes)
	flipped[len(flipped)/2] ^= 0x40

	cases := []badInputCase{
		// --- config errors ---
		{name: "config unknown key",
			setup: configCase("validate", "unknown.yaml", "data:\n  dir: "+testfix.SmallData(t)+"\n  train_limit: 600\noptimizer:\n  lr: 0.1\n  momentun: 0.9\n"),
			want:  []string{"unknown.yaml:6", "optimizer.momentun"}},
		{name: "config wrong type",
			setup: configCase("validate", "type.yaml", "data:\n  dir: "+testfix.SmallData(t)+"\ntrain:\n  epochs: many\n"),
			want:  []string{"type.yaml:4", "train.epochs"}},
		{name: "config list where a number is wanted",
			setup: configCase("validate", "list.yaml", "data:\n  dir: "+testfix.SmallData(t)+"\noptimizer:\n  lr: [0.1, 0.2]\n"),
			want:  []string{"list.yaml:4", "optimizer.lr"}},
		{name: "config negative lr", setup: setCase("train", "optimizer.lr=-0.1"), want: []string{"optimizer.lr", "-0.1"}},
		{name: "config negative val_split", setup: setCase("validate", "data.val_split=-5"), want: []string{"data.val_split"}},
		{name: "config dropout out of range", setup: setCase("validate", "model.dropout=1.5"), want: []string{"model.dropout"}},
		{name: "config zero batch size", setup: setCase("train", "train.batch_size=0"), want: []string{"train.batch_size"}},
		{name: "config unknown optimizer",
			setup: configCase("validate", "adamx.yaml", "data:\n  dir: "+testfix.SmallData(t)+"\noptimizer:\n  type: adamx\n  lr: 0.001\n"),
			want:  []string{"adamx.yaml:4", "optimizer.type", "adamx"}},
		// A typo in the optimizer type of a config that sets momentum: one
		// problem, so one line (not a second one about momentum not being
		// used by the misspelt type).
		{name: "config unknown optimizer with momentum", setup: setCase("validate", "optimizer.type=adamx"), want: []string{"optimizer.type", "adamx"}},
		{name: "config unknown activation", setup: setCase("validate", "model.activation=relux"), want: []string{"model.activation", "relux"}},
		{name: "config unknown init", setup: setCase("validate", "model.init=kaiming_normall"), want: []string{"model.init", "kaiming_normall"}},
		{name: "config unknown schedule", setup: setCase("validate", "schedule.type=cosin"), want: []string{"schedule.type", "cosin"}},
		{name: "config unknown preprocess method", setup: setCase("validate", "preprocess.method=zscore"), want: []string{"preprocess.method", "zscore"}},
		{name: "config unknown data format", setup: setCase("validate", "data.format=parquet"), want: []string{"data.format", "parquet"}},
		{name: "config bad YAML syntax",
			setup: configCase("validate", "syntax.yaml", "data:\n  dir: [unclosed\nmodel:\n  hidden: [8]\n"),
			want:  []string{"syntax.yaml:2"}},
		{name: "config tab indentation",
			setup: configCase("validate", "tabs.yaml", "data:\n\tdir: x\n"),
			want:  []string{"tabs.yaml:2"}},
		{name: "config not a mapping",
			setup: configCase("validate", "list.yaml", "- data\n- model\n"),
			want:  []string{"list.yaml"}},
		{name: "config duplicate key",
			setup: configCase("validate", "dup.yaml", "data:\n  dir: "+testfix.SmallData(t)+"\ntrain:\n  epochs: 1\n  epochs: 2\n"),
			want:  []string{"dup.yaml:5", "epochs"}},
		{name: "config non-UTF-8 bytes",
			setup: configCase("validate", "latin1.yaml", "name: caf\xe9\ndata:\n  dir: "+testfix.SmallData(t)+"\n"),
			want:  []string{"latin1.yaml"}},
		{name: "--set unknown key", setup: setCase("train", "train.epochz=3"), want: []string{"train.epochz"}},
		{name: "--set bad value", setup: setCase("train", "train.epochs=abc"), want: []string{"train.epochs", "abc"}},
		{name: "--set without =", setup: setCase("validate", "train.epochs"), want: []string{"--set", "train.epochs"}},
		{name: "config empty file", setup: configCase("train", "empty.yaml", ""), want: []string{"empty.yaml"}},
		{name: "config only comments", setup: configCase("validate", "comments.yaml", "# nothing here\n"), want: []string{"comments.yaml"}},
		{name: "config missing",
			setup: func(t *testing.T, dir string) []string {
				return []string{"train", "-c", filepath.Join(dir, "nope.yaml")}
			},
			want: []string{"nope.yaml"}},
		{name: "config is a directory",
			setup: func(t *testing.T, dir string) []string {
				p := filepath.Join(dir, "configs.yaml")
				biMkdir(t, p)
				return []string{"validate", "-c", p}
			},
			want: []string{"configs.yaml"}},

		// --- data errors ---
		{name: "data.dir missing",
			setup: func(t *testing.T, dir string) []string {
				return setCase("train", "data.dir="+filepath.Join(dir, "no-such-data"))(t, dir)
			},
			want: []string{"no-such-data"}},
		{name: "data.dir is a file",
			setup: func(t *testing.T, dir string) []string {
				p := filepath.Join(dir, "data.txt")
				biWrite(t, p, []byte("hello\n"))
				return setCase("train", "data.dir="+p)(t, dir)
			},
			want: []string{"data.txt"}},
		{name: "IDX images missing",
			setup: idxCase(func(t *testing.T, data string) { biRemove(t, filepath.Join(data, "train-images-idx3-ubyte")) }),
			want:  []string{"train-images-idx3-ubyte"}},
		{name: "IDX images truncated",
			setup: idxCase(func(t *testing.T, data string) {
				p := filepath.Join(data, "train-images-idx3-ubyte")
				b := biRead(t, p)
				biWrite(t, p, b[:len(b)/2])
			}),
			want: []string{"train-images-idx3-ubyte", "truncated"}},
		{name: "IDX bad magic",
			setup: idxCase(func(t *testing.T, data string) {
				p := filepath.Join(data, "train-labels-idx1-ubyte")
				b := biRead(t, p)
				b[0], b[1] = 0x12, 0x34
				biWrite(t, p, b)
			}),
			want: []string{"train-labels-idx1-ubyte", "bad magic"}},
		{name: "IDX image and label counts differ",
			setup: idxCase(func(t *testing.T, data string) {
				biWriteIDX(t, filepath.Join(data, "train-labels-idx1-ubyte"), []uint32{biTinyN - 1}, biLabels(biTinyN-1))
			}),
			want: []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte"}},
		{name: "IDX gzip corrupted",
			setup: idxCase(func(t *testing.T, data string) {
				p := filepath.Join(data, "train-images-idx3-ubyte")
				gz := biGzip(t, biRead(t, p))
				gz[len(gz)/2] ^= 0xff
				biRemove(t, p)
				biWrite(t, p+".gz", gz)
			}),
			want: []string{"train-images-idx3-ubyte.gz"}},
		{name: "IDX gzip truncated",
			setup: idxCase(func(t *testing.T, data string) {
				p := filepath.Join(data, "train-images-idx3-ubyte")
				gz := biGzip(t, biRead(t, p))
				biRemove(t, p)
				biWrite(t, p+".gz", gz[:len(gz)-20])
			}),
			want: []string{"train-images-idx3-ubyte.gz"}},
		{name: "IDX label out of range",
			setup: idxCase(func(t *testing.T, data string) {
				labels := biLabels(biTinyN)
				labels[5] = 200
				biWriteIDX(t, filepath.Join(data, "train-labels-idx1-ubyte"), []uint32{biTinyN}, labels)
			}),
			want: []string{"label 200", "train-labels-idx1-ubyte", "without an example"}},
		{name: "IDX labels of another rank",
			setup: idxCase(func(t *testing.T, data string) {
				biWriteIDX(t, filepath.Join(data, "train-labels-idx1-ubyte"), []uint32{biTinyN / 2, 2}, biLabels(biTinyN))
			}),
			want: []string{"train-labels-idx1-ubyte"}},
		{name: "CSV NaN value", setup: csvCase(biCSV(3, "5.1,NaN,setosa,1.4")), want: []string{"train.csv:3"}},
		{name: "CSV Inf value", setup: csvCase(biCSV(4, "5.1,3.5,setosa,+Inf")), want: []string{"train.csv:4"}},
		{name: "CSV ragged row", setup: csvCase(biCSV(5, "5.1,3.5,setosa")), want: []string{"train.csv:5"}},
		{name: "CSV non-number", setup: csvCase(biCSV(2, "5.1,wide,setosa,1.4")), want: []string{"train.csv:2", "sepal_width"}},
		// The same Latin-1 header in train.csv and test.csv, so that the
		// only problem is the encoding.
		{name: "CSV non-UTF-8 header",
			setup: func(t *testing.T, dir string) []string {
				latin1 := func(p string) {
					biWrite(t, p, bytes.Replace(biRead(t, p), []byte("sepal_length"), []byte("s\xe9pal_length"), 1))
				}
				args := csvCase(biCSV(0, ""))(t, dir)
				latin1(filepath.Join(dir, "data", "train.csv"))
				latin1(filepath.Join(dir, "data", "test.csv"))
				return args
			},
			want: []string{"train.csv:1"}},
		{name: "CSV missing label column",
			setup: csvCase(strings.Replace(biCSV(0, ""), ",label,", ",species,", 1)),
			want:  []string{"train.csv", `"label"`}},
		{name: "CSV empty file", setup: csvCase(""), want: []string{"train.csv"}},
		{name: "CSV header only", setup: csvCase("sepal_length,sepal_width,label,petal_length\n"), want: []string{"train.csv"}},
		{name: "folder empty class",
			setup: folderCase(func(t *testing.T, data string) { biMkdir(t, filepath.Join(data, "train", "purple")) }),
			want:  []string{filepath.Join("train", "purple"), "no images"}},
		{name: "folder images of mixed sizes",
			setup: folderCase(func(t *testing.T, data string) {
				biWritePNG(t, filepath.Join(data, "train", "green", "small.png"), 4, 4)
			}),
			want: []string{"small.png"}},
		{name: "folder corrupt PNG",
			setup: folderCase(func(t *testing.T, data string) {
				biWrite(t, filepath.Join(data, "train", "red", "corrupt.png"), append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 64)...))
			}),
			want: []string{"corrupt.png"}},
		{name: "folder truncated PNG",
			setup: folderCase(func(t *testing.T, data string) {
				p := filepath.Join(data, "train", "red", "cut.png")
				biWritePNG(t, p, 8, 8)
				b := biRead(t, p)
				biWrite(t, p, b[:len(b)-30])
			}),
			want: []string{"cut.png"}},
		{name: "folder empty PNG file",
			setup: folderCase(func(t *testing.T, data string) { biWrite(t, filepath.Join(data, "train", "blue", "zero.png"), nil) }),
			want:  []string{"zero.png"}},
		{name: "folder PNG decompression bomb",
			setup: folderCase(func(t *testing.T, data string) {
				biWrite(t, filepath.Join(data, "train", "blue", "bomb.png"), biHugePNG(t, 100000, 100000))
			}),
			want: []string{"bomb.png"}},
		{name: "folder unreadable image", notRoot: true,
			setup: folderCase(func(t *testing.T, data string) {
				p := filepath.Join(data, "train", "red", "secret.png")
				biWritePNG(t, p, 8, 8)
				if err := os.Chmod(p, 0); err != nil {
					t.Fatal(err)
				}
			}),
			want: []string{"secret.png"}},
		{name: "folder symlink loop",
			setup: folderCase(func(t *testing.T, data string) {
				red := filepath.Join(data, "train", "red")
				if err := os.Symlink(filepath.Join(red, "b.png"), filepath.Join(red, "a.png")); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(filepath.Join(red, "a.png"), filepath.Join(red, "b.png")); err != nil {
					t.Fatal(err)
				}
			}),
			want: []string{"a.png"}},
		// Sub-folders of a class folder are ignored (LoadImageFolder), even
		// one named like an image: a class holding only that has no images.
		{name: "folder directory named like an image",
			setup: folderCase(func(t *testing.T, data string) { biMkdir(t, filepath.Join(data, "train", "purple", "x.png")) }),
			want:  []string{filepath.Join("train", "purple"), "no images"}},
		{name: "folder no train folder",
			setup: folderCase(func(t *testing.T, data string) {
				if err := os.RemoveAll(filepath.Join(data, "train")); err != nil {
					t.Fatal(err)
				}
			}),
			want: []string{"train"}},

		// --- checkpoint errors (eval) ---
		{name: "checkpoint missing",
			setup: func(t *testing.T, dir string) []string { return []string{"eval", filepath.Join(dir, "nope.ckpt")} },
			want:  []string{"nope.ckpt"}},
		{name: "checkpoint empty file", setup: ckptCase("empty.ckpt", nil), want: []string{"empty.ckpt"}},
		{name: "checkpoint truncated", setup: ckptCase("half.ckpt", half), want: []string{"half.ckpt"}},
		{name: "checkpoint flipped byte", setup: ckptCase("flipped.ckpt", flipped), want: []string{"flipped.ckpt"}},
		{name: "checkpoint is a text file", setup: ckptCase("notes.ckpt", []byte("these are my notes\n")), want: []string{"notes.ckpt"}},
		{name: "checkpoint is a directory",
			setup: func(t *testing.T, dir string) []string {
				p := filepath.Join(dir, "dir.ckpt")
				biMkdir(t, p)
				return []string{"eval", p}
			},
			want: []string{"dir.ckpt"}},

		// --- flag errors ---
		{name: "unknown flag", setup: plus(setCase("train"), "--bogus"), want: []string{"--bogus"}},
		{name: "eval --split bogus",
			setup: withRun(func(t *testing.T, dir, run string) []string {
				return []string{"eval", filepath.Join(run, "checkpoints", "best.ckpt"), "--split", "bogus"}
			}),
			want: []string{"--split", "bogus"}, sealed: []string{"run"}},
		{name: "eval --tta bogus",
			setup: withRun(func(t *testing.T, dir, run string) []string {
				return []string{"eval", filepath.Join(run, "checkpoints", "best.ckpt"), "--tta", "bogus"}
			}),
			want: []string{"--tta", "bogus"}, sealed: []string{"run"}},
		{name: "eval --data missing folder",
			setup: withRun(func(t *testing.T, dir, run string) []string {
				return []string{"eval", filepath.Join(run, "checkpoints", "best.ckpt"), "--data", filepath.Join(dir, "gone")}
			}),
			want: []string{"gone"}, sealed: []string{"run"}},
		{name: "train without -c", setup: func(*testing.T, string) []string { return []string{"train"} }, want: []string{"config"}},
		{name: "negative --stop-after-epochs", setup: plus(setCase("train"), "--stop-after-epochs", "-1"), want: []string{"--stop-after-epochs"}},
		{name: "non-numeric --threads", setup: plus(setCase("validate"), "--threads", "many"), want: []string{"--threads"}},
		{name: "unknown command", setup: func(*testing.T, string) []string { return []string{"trian", "-c", "x.yaml"} }, want: []string{"trian"}},
		{name: "validate with a stray argument", setup: plus(setCase("validate"), "extra.yaml"), want: []string{"extra.yaml"}},

		// --- resume and init errors ---
		{name: "resume without a checkpoint",
			setup: withRun(func(t *testing.T, dir, run string) []string {
				biRemove(t, filepath.Join(run, "checkpoints", "last.ckpt"))
				return []string{"train", "-q", "--resume", run}
			}),
			want: []string{"last.ckpt"}, sealed: []string{"run"}},
		{name: "resume an empty folder",
			setup: func(t *testing.T, dir string) []string {
				p := filepath.Join(dir, "empty-run")
				biMkdir(t, p)
				return []string{"train", "-q", "--resume", p}
			},
			want: []string{"empty-run"}, sealed: []string{"empty-run"}},
		{name: "resume with another architecture",
			setup: withRun(func(t *testing.T, dir, run string) []string {
				return []string{"train", "-q", "--resume", run, "--set", "model.hidden=[16]"}
			}),
			want: []string{"model.hidden"}, sealed: []string{"run"}},
		{name: "resume --force with another architecture",
			setup: withRun(func(t *testing.T, dir, run string) []string {
				return []string{"train", "-q", "--resume", run, "--force", "--set", "model.hidden=[16]"}
			}),
			want: []string{"last.ckpt"}, sealed: []string{"run"}},
		{name: "init_from another architecture",
			setup: withRun(func(t *testing.T, dir, run string) []string {
				return setCase("train", "model.hidden=[16]", "model.init_from="+filepath.Join(run, "checkpoints", "best.ckpt"))(t, dir)
			}),
			want: []string{"best.ckpt"}, sealed: []string{"run"}},
		{name: "init_from missing checkpoint",
			setup: func(t *testing.T, dir string) []string {
				return setCase("train", "model.init_from="+filepath.Join(dir, "absent.ckpt"))(t, dir)
			},
			want: []string{"absent.ckpt"}},
		{name: "--out a used run folder without --overwrite",
			setup: withRun(func(t *testing.T, dir, run string) []string {
				return []string{"train", "-q", "-c", biFashionConfig(t, dir), "--out", run}
			}),
			want: []string{"run", "already holds a run"}, sealed: []string{"run"}},
		{name: "--out whose checkpoints is a file",
			setup: func(t *testing.T, dir string) []string {
				p := filepath.Join(dir, "out")
				biMkdir(t, p)
				biWrite(t, filepath.Join(p, "checkpoints"), []byte("not a folder\n"))
				return []string{"train", "-q", "-c", biFashionConfig(t, dir), "--out", p}
			},
			want: []string{"out", "already holds a run", "checkpoints"}},
		{name: "--out is a file",
			setup: func(t *testing.T, dir string) []string {
				p := filepath.Join(dir, "results.txt")
				biWrite(t, p, []byte("keep me\n"))
				return []string{"train", "-q", "-c", biFashionConfig(t, dir), "--out", p}
			},
			want: []string{"results.txt"}},
		{name: "read-only run folder", notRoot: true,
			setup: func(t *testing.T, dir string) []string {
				parent := filepath.Join(dir, "locked")
				biMkdir(t, parent)
				if err := os.Chmod(parent, 0o555); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.Chmod(parent, 0o755) })
				return []string{"train", "-q", "-c", biFashionConfig(t, dir), "--out", filepath.Join(parent, "run")}
			},
			want: []string{filepath.Join("locked", "run")}, sealed: []string{"locked"}},
	}

	euid := os.Geteuid()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.notRoot && euid == 0 {
				t.Skip("running as root, which reads and writes files whatever their permissions")
			}
			dir := t.TempDir()
			args := tc.setup(t, dir)
			before := biSnapshot(t, dir)
			code, stdout, errs := nettrain(t, args...)
			t.Logf("args %q\nexit %d\nstderr %q", args, code, errs)
			line := strings.TrimSpace(errs)
			switch {
			case code != 1 && code != 2:
				t.Errorf("exit %d, want 1 or 2 (stdout %q, stderr %q)", code, stdout, errs)
			case line == "":
				t.Errorf("exit %d with nothing on stderr", code)
			}
			if strings.Contains(line, "\n") {
				t.Errorf("want one error line, got %d: %q", strings.Count(line, "\n")+1, errs)
			}
			if strings.Contains(errs, "panic") || strings.Contains(errs, "goroutine") {
				t.Errorf("stderr holds a panic or a stack trace: %q", errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(line, w) {
					t.Errorf("error %q does not name %q", line, w)
				}
			}
			after := biSnapshot(t, dir)
			for p, b := range before {
				if a, ok := after[p]; !ok {
					t.Errorf("%s was removed", p)
				} else if a != b {
					t.Errorf("%s was changed", p)
				}
			}
			for _, s := range tc.sealed {
				for p := range after {
					if _, ok := before[p]; !ok && (p == s || strings.HasPrefix(p, s+string(filepath.Separator))) {
						t.Errorf("%s was created in %s, which must stay as it was", p, s)
					}
				}
			}
		})
	}
}

// biTinyN is the number of training images of biTinyIDX.
const biTinyN = 40

// biFashionConfig writes dir/fashion.yaml, a small fast experiment on the
// in-repo Fashion-MNIST subset (testfix.BaseYAML with one epoch), and
// returns its path.
func biFashionConfig(t *testing.T, dir string) string {
	t.Helper()
	yaml := strings.Replace(testfix.BaseYAML, "epochs: 2", "epochs: 1", 1)
	p := filepath.Join(dir, "fashion.yaml")
	biWrite(t, p, []byte(strings.Replace(yaml, "%q", strconv.Quote(testfix.SmallData(t)), 1)))
	return p
}

// biTinyConfig writes dir/tiny.yaml, one epoch of a tiny MLP on the data
// set in data of the format, and returns its path.
func biTinyConfig(t *testing.T, dir, data, format string) string {
	t.Helper()
	yaml := "seed: 1\ndata:\n  dir: " + strconv.Quote(data) + "\n  format: " + format + "\n  val_split: 0\n" +
		"model:\n  hidden: [8]\noptimizer:\n  lr: 0.05\ntrain:\n  epochs: 1\n  batch_size: 8\n"
	p := filepath.Join(dir, "tiny.yaml")
	biWrite(t, p, []byte(yaml))
	return p
}

// biTinyIDX writes a tiny uncompressed IDX data set to data: biTinyN
// training and 20 test images of 4x4 pixels, labels cycling over 0-9.
func biTinyIDX(t *testing.T, data string) {
	t.Helper()
	biMkdir(t, data)
	for _, split := range []struct {
		prefix string
		n      uint32
	}{{"train", biTinyN}, {"t10k", 20}} {
		px := make([]byte, split.n*16)
		for i := range px {
			px[i] = byte(i*37 + i/16*11)
		}
		biWriteIDX(t, filepath.Join(data, split.prefix+"-images-idx3-ubyte"), []uint32{split.n, 4, 4}, px)
		biWriteIDX(t, filepath.Join(data, split.prefix+"-labels-idx1-ubyte"), []uint32{split.n}, biLabels(int(split.n)))
	}
}

// biLabels returns n labels cycling over 0-9.
func biLabels(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 10)
	}
	return b
}

// biWriteIDX writes an unsigned-byte IDX file.
func biWriteIDX(t *testing.T, path string, dims []uint32, payload []byte) {
	t.Helper()
	b := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	biWrite(t, path, append(b, payload...))
}

// biGzip returns b gzipped.
func biGzip(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// biCSV returns the lines of testdata/images/tabular/train.csv with line
// number n (1-based, the header is line 1) replaced by row; n 0 replaces
// nothing.
func biCSV(n int, row string) string {
	b, err := os.ReadFile("../../testdata/images/tabular/train.csv")
	if err != nil {
		panic(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if n > 0 {
		lines[n-1] = row
	}
	return strings.Join(lines, "\n") + "\n"
}

// biWritePNG writes a w x h opaque RGB PNG.
func biWritePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(40 * x), G: uint8(30 * y), B: 90, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	biWrite(t, path, buf.Bytes())
}

// biHugePNG returns a well-formed PNG whose header declares w x h RGB
// pixels but whose data is a few bytes: a decompression bomb for a decoder
// that allocates the declared image.
func biHugePNG(t *testing.T, w, h uint32) []byte {
	t.Helper()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		out.WriteString(typ)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB, deflate, no filter, no interlace
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 1+3*64)) // one short row
	zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// biSnapshot maps every regular file and folder under dir (relative
// paths) to its content ("" for folders). Unreadable files are left out.
func biSnapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.IsDir():
			snap[rel] = ""
		case d.Type().IsRegular():
			if b, err := os.ReadFile(p); err == nil {
				snap[rel] = "file:" + string(b)
			}
		}
		return nil
	})
	return snap
}

// biCopyTree copies the folder src (folders and regular files) to dst.
func biCopyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}

func biAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func biRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func biWrite(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func biMkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func biRemove(t *testing.T, p string) {
	t.Helper()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
}
