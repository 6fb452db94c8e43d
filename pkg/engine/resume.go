package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/lrsched"
	"github.com/nettrain/nettrain/pkg/tensor"
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

// trainState is the metadata "train_state" of a checkpoint: what an exact
// resume needs beyond the tensors, epoch and step.
type trainState struct {
	Position   epochPos                   `json:"position"`    // inside the current epoch
	LRScale    float64                    `json:"lr_scale"`    // reduce-on-plateau's factor
	Plateau    *lrsched.PlateauState      `json:"plateau"`     // nil without reduce-on-plateau
	EMAUpdates int64                      `json:"ema_updates"` // updates of the EMA so far
	StopReason string                     `json:"stop_reason"` // why training ended early, or ""
	Hooks      map[string]json.RawMessage `json:"hooks"`       // StatefulHook states by StateKey
}

// state captures what a checkpoint records now.
func (t *Trainer) state() (*state, error) {
	ts := trainState{Position: t.pos, LRScale: t.lrScale, StopReason: t.StopReason, Hooks: map[string]json.RawMessage{}}
	if t.Plateau != nil {
		ps := t.Plateau.State()
		ts.Plateau = &ps
	}
	st := &state{cfg: t.Cfg, model: t.Model, optim: t.Opt.State(), prep: t.Prep, epoch: t.Epoch, step: t.Step, batch: t.pos.Batch}
	if t.EMA != nil {
		ts.EMAUpdates = t.EMA.Updates
		st.ema = t.EMA.Model
	}
	for _, h := range t.hooks {
		if sh, ok := h.(StatefulHook); ok {
			b, err := sh.MarshalState()
			if err != nil {
				return nil, fmt.Errorf("checkpoint: state of %s: %w", sh.StateKey(), err)
			}
			ts.Hooks[sh.StateKey()] = b
		}
	}
	b, err := json.Marshal(ts)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: train state: %w", err)
	}
	st.train = b
	if t.last != nil {
		st.metrics = *t.last
	}
	return st, nil
}

// openResume loads the run directory's last.ckpt for a resume and checks
// that cfg is the config the run was started with (unless force).
func openResume(runDir string, cfg *config.Config, force bool) (*checkpoint.File, error) {
	path := filepath.Join(runDir, CheckpointDir, LastCheckpoint)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, inputErrorf("--resume %s: no %s to resume from (the run stopped before its first checkpoint); start it again with --overwrite", runDir, filepath.Join(CheckpointDir, LastCheckpoint))
	}
	f, err := checkpoint.Load(path)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	for _, key := range []string{metaConfigHash, metaTrainState, metaBatch} {
		if _, ok := f.Metadata[key]; !ok {
			return nil, inputErrorf("checkpoint %s: metadata %q is missing: it was written by an older nettrain that cannot resume", path, key)
		}
	}
	cfgYAML, err := cfg.Marshal()
	if err != nil {
		return nil, err
	}
	if h := configHash(cfgYAML); h != f.Metadata[metaConfigHash] && !force {
		return nil, inputErrorf("--resume %s: the config differs from the one the run was started with (%s): pass --force to resume with it anyway", runDir, firstDifference([]byte(f.Metadata[metaConfig]), cfgYAML))
	}
	return f, nil
}

// firstDifference describes the first line at which two config YAMLs
// differ.
func firstDifference(old, cur []byte) string {
	a, b := bytes.Split(old, []byte("\n")), bytes.Split(cur, []byte("\n"))
	for i := 0; i < max(len(a), len(b)); i++ {
		var la, lb string
		if i < len(a) {
			la = strings.TrimSpace(string(a[i]))
		}
		if i < len(b) {
			lb = strings.TrimSpace(string(b[i]))
		}
		if la != lb {
			return fmt.Sprintf("line %d of the resolved config was %q, now %q", i+1, la, lb)
		}
	}
	return "the stored hash does not match"
}

// restore puts the trainer at the position of checkpoint f (read from
// path): weights, buffers, optimizer state, EMA, epoch, step, the position
// inside the epoch, reduce-on-plateau and the stop reason. The hooks'
// states are restored by restoreHooks once every hook is registered.
func (t *Trainer) restore(f *checkpoint.File, path string) error {
	bad := func(format string, a ...any) error {
		return inputErrorf("checkpoint %s: %s", path, fmt.Sprintf(format, a...))
	}
	if err := restoreModel(f, t.Model, "", bad); err != nil {
		return err
	}
	opt := map[string]*tensor.Tensor{}
	for _, ct := range f.Tensors {
		if name, ok := strings.CutPrefix(ct.Name, optimPrefix); ok {
			opt[name] = tensor.FromData(ct.Data, ct.Shape...)
		}
	}
	if err := t.Opt.LoadState(opt); err != nil {
		return bad("optimizer state: %v", err)
	}
	var ts trainState
	if err := json.Unmarshal([]byte(f.Metadata[metaTrainState]), &ts); err != nil {
		return bad("metadata %q: %v", metaTrainState, err)
	}
	if t.EMA != nil {
		if ps := t.Model.Params(); len(ps) > 0 {
			if _, ok := f.Tensor(emaPrefix + ps[0].Name); ok {
				if err := restoreModel(f, t.EMA.Model, emaPrefix, bad); err != nil {
					return err
				}
				t.EMA.Updates = ts.EMAUpdates
			} else {
				// EMA turned on for the resumed run (--force): start it
				// from the restored weights.
				for i, s := range t.EMA.src {
					copy(t.EMA.dst[i].Data, s.Data)
				}
			}
		}
	}
	var err error
	if t.Epoch, err = strconv.Atoi(f.Metadata[metaEpoch]); err != nil || t.Epoch < 0 {
		return bad("metadata %q is not a count of epochs", metaEpoch)
	}
	if t.Step, err = strconv.ParseInt(f.Metadata[metaStep], 10, 64); err != nil || t.Step < 0 {
		return bad("metadata %q is not a count of steps", metaStep)
	}
	nb := t.loader.NumBatches()
	if p := ts.Position; p.Batch < 0 || p.Batch >= nb || p.Batch%max(t.Cfg.Train.Accumulate, 1) != 0 {
		return bad("the position inside the epoch (batch %d) does not fit this config's %d batches per epoch and train.accumulate %d", p.Batch, nb, t.Cfg.Train.Accumulate)
	}
	t.pos = ts.Position
	t.lrScale = ts.LRScale
	if t.lrScale == 0 {
		t.lrScale = 1
	}
	if t.Plateau != nil && ts.Plateau != nil {
		if err := t.Plateau.SetState(*ts.Plateau); err != nil {
			return bad("plateau state: %v", err)
		}
		t.lrScale = t.Plateau.Scale()
	}
	t.StopReason = ts.StopReason
	if t.Epoch > 0 {
		var m EpochMetrics
		if err := json.Unmarshal([]byte(f.Metadata[metaMetrics]), &m); err == nil {
			t.last = &m
		}
	}
	return nil
}

// restoreHooks gives every registered StatefulHook its state from f.
func (t *Trainer) restoreHooks(f *checkpoint.File, path string) error {
	var ts trainState
	if err := json.Unmarshal([]byte(f.Metadata[metaTrainState]), &ts); err != nil {
		return inputErrorf("checkpoint %s: metadata %q: %v", path, metaTrainState, err)
	}
	for _, h := range t.hooks {
		sh, ok := h.(StatefulHook)
		if !ok {
			continue
		}
		b, ok := ts.Hooks[sh.StateKey()]
		if !ok {
			continue // a feature turned on for the resumed run starts fresh
		}
		if err := sh.UnmarshalState(b); err != nil {
			return inputErrorf("checkpoint %s: state of %s: %v", path, sh.StateKey(), err)
		}
	}
	return nil
}

// truncateMetrics keeps the header and the rows of the first epochs epochs
// of metrics.csv (rows written after the checkpoint a run resumes from are
// dropped, so none is duplicated), rewriting it atomically.
func truncateMetrics(path string, epochs int) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return checkpoint.WriteFileAtomic(path, []byte(csvHeader))
	}
	if err != nil {
		return inputErrorf("%s: %w", path, err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if lines[0] != csvHeader {
		return inputErrorf("%s: the header %q is not this nettrain's %q: cannot resume", path, strings.TrimSpace(lines[0]), strings.TrimSpace(csvHeader))
	}
	kept := []string{csvHeader}
	for i, l := range lines[1:] {
		if !strings.HasSuffix(l, "\n") {
			continue // a row cut short by a crash
		}
		e, err := strconv.Atoi(l[:strings.IndexByte(l+",", ',')])
		if err != nil {
			return inputErrorf("%s:%d: the epoch column is not a number", path, i+2)
		}
		if e <= epochs {
			kept = append(kept, l)
		}
	}
	return checkpoint.WriteFileAtomic(path, []byte(strings.Join(kept, "")))
}
