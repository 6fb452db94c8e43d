package run

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/model"
)

// Version is nettrain's version, recorded in checkpoints and printed by
// `nettrain version`.
var Version = "0.1.0-dev"

// Metadata keys the run folder writes into checkpoints, beside the
// trainer's own (engine.MetaEpoch, MetaStep, MetaBatch, MetaMetrics,
// MetaTrainState) and the container's reserved format, format_version and
// checksum.
const (
	metaConfig     = "config"           // resolved config, YAML
	metaPreprocess = "preprocess"       // data.PreprocessHeader, JSON (tensors preprocess.*)
	metaInShape    = "input_shape"      // per-example input shape, JSON
	metaClasses    = "classes"          // number of classes
	metaVersion    = "nettrain_version" // nettrain version that wrote it
	metaConfigHash = "config_sha256"    // "sha256:<hex>" of the resolved config YAML (ConfigHash)
	metaClassNames = "class_names"      // the classes' names, JSON list; absent when the data names none
)

// saveCheckpoint writes the trainer's state atomically to path: the model's
// tensors, the fitted preprocessing, the hooks' tensors (EMA) and the
// optimizer state, in that order, with the config and shapes the model is
// rebuilt from, and the classes' names (classNames, len Classes or nil).
func saveCheckpoint(path string, cfgYAML []byte, classNames []string, t *engine.Trainer) error {
	snap, err := t.Snapshot()
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	f := modelFile(cfgYAML, classNames, t.Model, t.Prep)
	for k, v := range snap.Metadata {
		f.Metadata[k] = v
	}
	prep := f.Tensors
	f.Tensors = append(slices.Clip(snap.Model), snap.Hooks...)
	f.Tensors = append(f.Tensors, prep...)
	f.Tensors = append(f.Tensors, snap.Optim...)
	return checkpoint.Save(path, f)
}

// modelFile is the part of a checkpoint every reader of a model needs: the
// metadata it is rebuilt from (config, shapes, preprocessing, class names)
// and the fitted preprocessing's tensors, without the model's own tensors.
func modelFile(cfgYAML []byte, classNames []string, m *model.Model, prep data.Preprocessor) *checkpoint.File {
	jsonOf := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	prepMeta, prepTensors := preprocessMetadata(prep)
	f := &checkpoint.File{Metadata: map[string]string{
		metaConfigHash: configHash(cfgYAML),
		metaConfig:     string(cfgYAML),
		metaPreprocess: prepMeta,
		metaInShape:    jsonOf(m.InShape),
		metaClasses:    strconv.Itoa(m.Classes),
		metaVersion:    Version,
	}, Tensors: prepTensors}
	if len(classNames) == m.Classes {
		f.Metadata[metaClassNames] = jsonOf(classNames)
	}
	return f
}

// SaveModel writes l's model alone to path, atomically: weights, buffers,
// preprocessing and the config it is rebuilt from, plus the given metadata
// (and l's epoch). Eval, predict, export, average and model.init_from read
// it like any checkpoint; it holds no optimizer state, so training cannot
// resume from it.
func SaveModel(path string, l *Loaded, meta map[string]string) error {
	cfgYAML, err := l.Config.Marshal()
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	f := modelFile(cfgYAML, l.ClassNames, l.Model, l.Prep)
	f.Metadata[engine.MetaEpoch] = strconv.Itoa(l.Epoch)
	for k, v := range meta {
		f.Metadata[k] = v
	}
	f.Tensors = append(engine.ModelTensors(l.Model), f.Tensors...)
	return checkpoint.Save(path, f)
}

// Loaded is a model restored from a checkpoint, with what it was trained
// with.
type Loaded struct {
	Config *config.Config
	Model  *model.Model
	Prep   data.Preprocessor // the fitted preprocessing, to apply to inputs
	// ClassNames name the classes (len Model.Classes), when the training
	// data named them; nil otherwise.
	ClassNames []string
	Epoch      int
	Step       int64
	Metrics    engine.EpochMetrics
}

// LoadCheckpoint reads a checkpoint, rebuilds its model from the stored
// config and loads the weights. Every problem is an *InputError naming the
// file.
func LoadCheckpoint(path string) (*Loaded, error) { return loadCheckpoint(path, false) }

// LoadCheckpointEMA is LoadCheckpoint with the EMA weights ("ema."
// tensors) in the model instead of the raw ones; a checkpoint without them
// is an *InputError.
func LoadCheckpointEMA(path string) (*Loaded, error) { return loadCheckpoint(path, true) }

func loadCheckpoint(path string, ema bool) (*Loaded, error) {
	f, err := checkpoint.Load(path)
	if err != nil {
		return nil, &engine.InputError{Err: err}
	}
	bad := func(format string, a ...any) error {
		return engine.InputErrorf("checkpoint %s: %s", path, fmt.Sprintf(format, a...))
	}
	cfg, err := config.Parse([]byte(f.Metadata[metaConfig]), path+" (stored config)", nil)
	if err != nil {
		return nil, bad("stored config: %v", err)
	}
	l := &Loaded{Config: cfg}
	var in []int
	if err := json.Unmarshal([]byte(f.Metadata[metaInShape]), &in); err != nil || len(in) != 3 {
		return nil, bad("metadata %q is not a (C,H,W) shape", metaInShape)
	}
	classes, err := strconv.Atoi(f.Metadata[metaClasses])
	if err != nil || classes < 1 {
		return nil, bad("metadata %q is not a positive integer", metaClasses)
	}
	if l.Prep, err = restorePreprocessing(f, f.Metadata[metaPreprocess], in); err != nil {
		return nil, bad("preprocessing (metadata %q): %v", metaPreprocess, err)
	}
	if names, ok := f.Metadata[metaClassNames]; ok {
		if err := json.Unmarshal([]byte(names), &l.ClassNames); err != nil || len(l.ClassNames) != classes {
			return nil, bad("metadata %q is not a list of %d class names", metaClassNames, classes)
		}
	}
	l.Epoch, _ = strconv.Atoi(f.Metadata[engine.MetaEpoch])
	l.Step, _ = strconv.ParseInt(f.Metadata[engine.MetaStep], 10, 64)
	_ = json.Unmarshal([]byte(f.Metadata[engine.MetaMetrics]), &l.Metrics)
	l.Model, err = engine.BuildModel(cfg, path+" (stored config)", in, classes)
	if err != nil {
		return nil, err
	}
	prefix := ""
	if ema {
		prefix = engine.EMAPrefix
		if ps := l.Model.Params(); len(ps) > 0 {
			if _, ok := f.Tensor(engine.EMAPrefix + ps[0].Name); !ok {
				return nil, bad("no EMA weights (tensor %q): the run did not have ema.enabled; evaluate without --ema", engine.EMAPrefix+ps[0].Name)
			}
		}
	}
	if err := engine.RestoreModel(f, l.Model, prefix, bad); err != nil {
		return nil, err
	}
	return l, nil
}
