package engine

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// Version is nettrain's version, recorded in checkpoints and printed by
// `nettrain version`.
var Version = "0.1.0-dev"

// BuildModel builds the model of cfg for inputs of per-example shape in
// (C,H,W) and the given class count. Errors are input errors naming source
// (the config file) and the key.
func BuildModel(cfg *config.Config, source string, in []int, classes int) (*model.Model, error) {
	m, err := model.Build(cfg.Model, in, classes, cfg.Seed)
	if err != nil {
		return nil, inputErrorf("%s: %w", source, err)
	}
	return m, nil
}

// Metadata keys nettrain writes into checkpoints (beside the container's
// reserved format, format_version and checksum).
const (
	metaConfig     = "config"           // resolved config, YAML
	metaPreprocess = "preprocess"       // data.PreprocessHeader, JSON (tensors preprocess.*)
	metaInShape    = "input_shape"      // per-example input shape, JSON
	metaClasses    = "classes"          // number of classes
	metaEpoch      = "epoch"            // epochs completed
	metaStep       = "step"             // optimizer steps completed
	metaMetrics    = "metrics"          // EpochMetrics of the last epoch, JSON
	metaVersion    = "nettrain_version" // nettrain version that wrote it
	metaConfigHash = "config_sha256"    // "sha256:<hex>" of the resolved config YAML (ConfigHash)
	metaBatch      = "batch"            // mini-batches of epoch `epoch`+1 already done (0 at an epoch's end)
	metaTrainState = "train_state"      // trainState, JSON: what an exact resume needs beyond the tensors
	optimPrefix    = "optimizer."       // prefix of optimizer state tensors
	emaPrefix      = "ema."             // prefix of the EMA's parameters and buffers
)

// state is what a checkpoint records of a run: at the end of an epoch, or
// inside one (batch > 0) when the run was interrupted.
type state struct {
	cfg     *config.Config
	model   *model.Model
	optim   map[string]*tensor.Tensor
	prep    data.Preprocessor
	epoch   int
	step    int64
	batch   int
	metrics EpochMetrics
	ema     *model.Model // nil without EMA
	train   []byte       // trainState JSON
}

// saveCheckpoint writes st atomically to path.
func saveCheckpoint(path string, st *state) error {
	cfgYAML, err := st.cfg.Marshal()
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	jsonOf := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	prepMeta, prepTensors := preprocessMetadata(st.prep)
	f := &checkpoint.File{Metadata: map[string]string{
		metaConfigHash: configHash(cfgYAML),
		metaBatch:      strconv.Itoa(st.batch),
		metaTrainState: string(st.train),
		metaConfig:     string(cfgYAML),
		metaPreprocess: prepMeta,
		metaInShape:    jsonOf(st.model.InShape),
		metaClasses:    strconv.Itoa(st.model.Classes),
		metaEpoch:      strconv.Itoa(st.epoch),
		metaStep:       strconv.FormatInt(st.step, 10),
		metaMetrics:    jsonOf(st.metrics),
		metaVersion:    Version,
	}}
	for _, p := range st.model.Params() {
		f.Tensors = append(f.Tensors, checkpoint.Tensor{Name: p.Name, Shape: p.Value.Shape, Data: p.Value.Data})
	}
	for _, b := range st.model.Buffers() {
		f.Tensors = append(f.Tensors, checkpoint.Tensor{Name: b.Name, Shape: b.Value.Shape, Data: b.Value.Data})
	}
	if st.ema != nil {
		for _, p := range st.ema.Params() {
			f.Tensors = append(f.Tensors, checkpoint.Tensor{Name: emaPrefix + p.Name, Shape: p.Value.Shape, Data: p.Value.Data})
		}
		for _, b := range st.ema.Buffers() {
			f.Tensors = append(f.Tensors, checkpoint.Tensor{Name: emaPrefix + b.Name, Shape: b.Value.Shape, Data: b.Value.Data})
		}
	}
	f.Tensors = append(f.Tensors, prepTensors...)
	for _, name := range slices.Sorted(maps.Keys(st.optim)) {
		t := st.optim[name]
		f.Tensors = append(f.Tensors, checkpoint.Tensor{Name: optimPrefix + name, Shape: t.Shape, Data: t.Data})
	}
	return checkpoint.Save(path, f)
}

// Loaded is a model restored from a checkpoint, with what it was trained
// with.
type Loaded struct {
	Config  *config.Config
	Model   *model.Model
	Prep    data.Preprocessor // the fitted preprocessing, to apply to inputs
	Epoch   int
	Step    int64
	Metrics EpochMetrics
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
		return nil, &InputError{Err: err}
	}
	bad := func(format string, a ...any) error {
		return inputErrorf("checkpoint %s: %s", path, fmt.Sprintf(format, a...))
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
	l.Epoch, _ = strconv.Atoi(f.Metadata[metaEpoch])
	l.Step, _ = strconv.ParseInt(f.Metadata[metaStep], 10, 64)
	_ = json.Unmarshal([]byte(f.Metadata[metaMetrics]), &l.Metrics)
	l.Model, err = BuildModel(cfg, path+" (stored config)", in, classes)
	if err != nil {
		return nil, err
	}
	prefix := ""
	if ema {
		prefix = emaPrefix
		if ps := l.Model.Params(); len(ps) > 0 {
			if _, ok := f.Tensor(emaPrefix + ps[0].Name); !ok {
				return nil, bad("no EMA weights (tensor %q): the run did not have ema.enabled; evaluate without --ema", emaPrefix+ps[0].Name)
			}
		}
	}
	if err := restoreModel(f, l.Model, prefix, bad); err != nil {
		return nil, err
	}
	return l, nil
}

// restoreModel copies the tensors prefix+name of f into m's parameters and
// buffers; bad formats the error.
func restoreModel(f *checkpoint.File, m *model.Model, prefix string, bad func(string, ...any) error) error {
	restore := func(name string, dst *tensor.Tensor) error {
		t, ok := f.Tensor(name)
		if !ok {
			return bad("tensor %q is missing", name)
		}
		if !dst.SameShape(t.Shape) {
			return bad("tensor %q has shape %v, the model needs %v", name, t.Shape, dst.Shape)
		}
		copy(dst.Data, t.Data)
		return nil
	}
	for _, p := range m.Params() {
		if err := restore(prefix+p.Name, p.Value); err != nil {
			return err
		}
	}
	for _, b := range m.Buffers() {
		if err := restore(prefix+b.Name, b.Value); err != nil {
			return err
		}
	}
	return nil
}
