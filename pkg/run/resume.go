package run

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/engine"
	"go.yaml.in/yaml/v3"
)

// Interrupted is returned by Train when the run stopped before its end on
// request (Options.Interrupt, StopAfterEpochs, StopAfterSteps). The run
// directory's checkpoints/last.ckpt holds the exact position;
// `nettrain train --resume RunDir` continues from it.
type Interrupted struct {
	RunDir  string
	Epoch   int   // the epoch (1-based) the run stopped in or after
	Batch   int   // mini-batches of Epoch done; 0 when it stopped at the end of Epoch
	Batches int   // mini-batches per epoch
	Step    int64 // optimizer steps completed
}

// Error describes where the run stopped and how to continue.
func (e *Interrupted) Error() string {
	where := fmt.Sprintf("after epoch %d", e.Epoch)
	if e.Batch > 0 {
		where = fmt.Sprintf("in epoch %d after batch %d/%d", e.Epoch, e.Batch, e.Batches)
	}
	return fmt.Sprintf("stopped %s (step %d); %s holds the position: continue with `nettrain train --resume %s`",
		where, e.Step, filepath.Join(e.RunDir, CheckpointDir, LastCheckpoint), e.RunDir)
}

// configHash is the hash of a resolved config's YAML stored in every
// checkpoint (metadata "config_sha256"): "sha256:" and 64 hex digits.
func configHash(cfgYAML []byte) string {
	sum := sha256.Sum256(cfgYAML)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ConfigHash returns the hash of cfg's resolved YAML, as stored in
// checkpoints.
func ConfigHash(cfg *config.Config) (string, error) {
	b, err := cfg.Marshal()
	if err != nil {
		return "", err
	}
	return configHash(b), nil
}

// openResume loads the run directory's last.ckpt for a resume and checks
// that cfg is the config the run was started with (unless force).
func openResume(runDir string, cfg *config.Config, force bool) (*checkpoint.File, error) {
	path := filepath.Join(runDir, CheckpointDir, LastCheckpoint)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, engine.InputErrorf("--resume %s: no %s to resume from (the run stopped before its first checkpoint); start it again with --overwrite", runDir, filepath.Join(CheckpointDir, LastCheckpoint))
	}
	f, err := checkpoint.Load(path)
	if err != nil {
		return nil, &engine.InputError{Err: err}
	}
	for _, key := range []string{metaConfigHash, engine.MetaTrainState, engine.MetaBatch} {
		if _, ok := f.Metadata[key]; !ok {
			return nil, engine.InputErrorf("checkpoint %s: metadata %q is missing: it was written by an older nettrain that cannot resume", path, key)
		}
	}
	cfgYAML, err := cfg.Marshal()
	if err != nil {
		return nil, err
	}
	if !sameConfig(f, cfgYAML, path) && !force {
		return nil, engine.InputErrorf("--resume %s: the config differs from the one the run was started with (%s): %s; pass --force to resume with it anyway", runDir, filepath.Join(runDir, ConfigFile), firstDifference([]byte(f.Metadata[metaConfig]), cfgYAML))
	}
	return f, nil
}

// sameConfig reports whether cfgYAML (a resolved config) is the config the
// checkpoint f was written with: the stored hash matches, or the stored
// config, read by this nettrain, resolves to the same YAML. The second
// test lets a run started before a key was added (its stored YAML lacks
// the key, whose default changes nothing) resume without --force.
func sameConfig(f *checkpoint.File, cfgYAML []byte, path string) bool {
	if configHash(cfgYAML) == f.Metadata[metaConfigHash] {
		return true
	}
	stored, err := config.Parse([]byte(f.Metadata[metaConfig]), path+" (stored config)", nil)
	if err != nil {
		return false
	}
	b, err := stored.Marshal()
	return err == nil && bytes.Equal(b, cfgYAML)
}

// firstDifference describes the first key (in document order) whose
// value differs between two resolved config YAMLs, e.g. `model.hidden was
// [32], now [16]`; it falls back to the first differing line.
func firstDifference(old, cur []byte) string {
	var a, b yaml.Node
	if yaml.Unmarshal(old, &a) == nil && yaml.Unmarshal(cur, &b) == nil && len(a.Content) == 1 && len(b.Content) == 1 {
		if d := nodeDifference(a.Content[0], b.Content[0], ""); d != "" {
			return d
		}
	}
	la, lb := bytes.Split(old, []byte("\n")), bytes.Split(cur, []byte("\n"))
	for i := 0; i < max(len(la), len(lb)); i++ {
		var x, y string
		if i < len(la) {
			x = strings.TrimSpace(string(la[i]))
		}
		if i < len(lb) {
			y = strings.TrimSpace(string(lb[i]))
		}
		if x != y {
			return fmt.Sprintf("line %d of the resolved config was %q, now %q", i+1, x, y)
		}
	}
	return "the stored hash does not match"
}

// nodeDifference returns the first key below path where the YAML nodes a
// and b differ, as "KEY was OLD, now NEW", or "" when they are equal.
func nodeDifference(a, b *yaml.Node, path string) string {
	if a.Kind == yaml.MappingNode && b.Kind == yaml.MappingNode {
		keys := func(n *yaml.Node) map[string]*yaml.Node {
			m := map[string]*yaml.Node{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				m[n.Content[i].Value] = n.Content[i+1]
			}
			return m
		}
		ma, mb := keys(a), keys(b)
		for _, n := range [][]*yaml.Node{a.Content, b.Content} {
			for i := 0; i+1 < len(n); i += 2 {
				k := n[i].Value
				p := k
				if path != "" {
					p = path + "." + k
				}
				va, okA := ma[k]
				vb, okB := mb[k]
				switch {
				case !okA:
					return fmt.Sprintf("%s was not set, now %s", p, flowYAML(vb))
				case !okB:
					return fmt.Sprintf("%s was %s, now not set", p, flowYAML(va))
				}
				if d := nodeDifference(va, vb, p); d != "" {
					return d
				}
			}
		}
		return ""
	}
	if fa, fb := flowYAML(a), flowYAML(b); fa != fb {
		return fmt.Sprintf("%s was %s, now %s", path, fa, fb)
	}
	return ""
}

// flowYAML renders a node on one line, in YAML flow style.
func flowYAML(n *yaml.Node) string {
	c := *n
	c.Style = yaml.FlowStyle
	b, err := yaml.Marshal(&c)
	if err != nil {
		return n.Value
	}
	return strings.TrimSpace(string(b))
}

// truncateMetrics keeps the header and the rows of the first epochs epochs
// of metrics.csv (rows written after the checkpoint a run resumes from are
// dropped, so none is duplicated), rewriting it atomically.
func truncateMetrics(path string, epochs int) error {
	return truncateCSV(path, csvHeader, "epoch", int64(epochs))
}

// truncateCSV rewrites the run-folder CSV at path atomically with its
// header and the rows whose first column (named column, an integer) is at
// most last, dropping the rows written after the checkpoint a run resumes
// from and a row cut short by a crash. A missing file is created with the
// header only; a header other than header is an *InputError.
func truncateCSV(path, header, column string, last int64) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return checkpoint.WriteFileAtomic(path, []byte(header))
	}
	if err != nil {
		return engine.InputErrorf("%s: %w", path, err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if lines[0] != header {
		return engine.InputErrorf("%s: the header %q is not this nettrain's %q: cannot resume", path, strings.TrimSpace(lines[0]), strings.TrimSpace(header))
	}
	kept := []string{header}
	for i, l := range lines[1:] {
		if !strings.HasSuffix(l, "\n") {
			continue // a row cut short by a crash
		}
		col, _, _ := strings.Cut(strings.TrimSuffix(l, "\n"), ",")
		v, err := strconv.ParseInt(col, 10, 64)
		if err != nil {
			return engine.InputErrorf("%s:%d: the %s column is not a number", path, i+2, column)
		}
		if v <= last {
			kept = append(kept, l)
		}
	}
	return checkpoint.WriteFileAtomic(path, []byte(strings.Join(kept, "")))
}
