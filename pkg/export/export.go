package export

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/model"
)

// Formats lists the export formats, the values of Options.Format.
var Formats = []string{"safetensors", "pytorch", "onnx"}

// Metadata keys of an exported safetensors file (and of an ONNX model's
// metadata_props), besides the caller's Source.Metadata.
const (
	MetaFormat     = "format"      // "pt": the tensors are a PyTorch state_dict
	MetaArch       = "arch"        // nettrain's model.arch
	MetaInputShape = "input_shape" // the network's per-example input (C,H,W), JSON
	MetaClasses    = "classes"     // the number of classes (logits)
	MetaClassNames = "class_names" // the classes' names, JSON list; absent when the data names none
	MetaPreprocess = "preprocess"  // data.PreprocessHeader of the fitted preprocessing, JSON
	// MetaVersion is the nettrain version that exported the file, when the
	// caller's Source.Metadata gives it (also the ONNX producer_version).
	MetaVersion = "nettrain_version"
)

// Source is what an export reads: a model with what it was trained with.
type Source struct {
	// Model is the network, with the weights to export.
	Model *model.Model
	// Prep is the fitted preprocessing the model's inputs went through;
	// nil means none.
	Prep data.Preprocessor
	// ClassNames name the classes (len Model.Classes), or nil.
	ClassNames []string
	// BatchesTracked is what the batch norms' num_batches_tracked is set
	// to: the number of training steps (nettrain does not count them per
	// layer; PyTorch reads it only when momentum is None).
	BatchesTracked int64
	// Metadata is written beside the package's own keys (which win).
	Metadata map[string]string
}

// prep returns the source's preprocessing, the identity when nil.
func (s Source) prep() data.Preprocessor {
	if s.Prep == nil {
		p, _ := data.NewPreprocessor(data.PreprocessConfig{Method: data.MethodNone})
		return p
	}
	return s.Prep
}

// rawShape returns the per-example shape of the inputs before
// preprocessing: the fitted preprocessing's input shape, or the network's
// when there is no preprocessing.
func (s Source) rawShape() []int {
	h := s.prep().State().Header
	if h.Method == data.MethodNone {
		return slices.Clone(s.Model.InShape)
	}
	return h.InShape[:]
}

// metadata returns the string metadata of an export of s.
func (s Source) metadata() (map[string]string, error) {
	md := maps.Clone(s.Metadata)
	if md == nil {
		md = map[string]string{}
	}
	jsonOf := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	md[MetaFormat] = "pt"
	md[MetaArch] = s.Model.Arch
	md[MetaInputShape] = jsonOf(s.Model.InShape)
	md[MetaClasses] = strconv.Itoa(s.Model.Classes)
	md[MetaPreprocess] = jsonOf(s.prep().State().Header)
	if s.ClassNames != nil {
		if len(s.ClassNames) != s.Model.Classes {
			return nil, fmt.Errorf("%d class names for %d classes", len(s.ClassNames), s.Model.Classes)
		}
		md[MetaClassNames] = jsonOf(s.ClassNames)
	}
	return md, nil
}

// preprocessTensors returns the fitted preprocessing's tensors under
// their checkpoint names ("preprocess.mean", ...).
func (s Source) preprocessTensors() []Tensor {
	var ts []Tensor
	for _, t := range s.prep().State().Tensors {
		ts = append(ts, Tensor{Name: t.Name, Shape: slices.Clone(t.Shape), F32: t.Data})
	}
	return ts
}

// Safetensors returns the model of s as a safetensors file: the state_dict
// of the PyTorch module PyTorch generates (parameters and buffers under
// PyTorch's names, with num_batches_tracked), then the preprocessing's
// tensors ("preprocess.*"), with the metadata (class names, the
// preprocessing header, shapes). An unsupported layer is an input error.
func Safetensors(s Source) ([]byte, error) {
	root, err := plan(s.Model)
	if err != nil {
		return nil, err
	}
	sd := stateDict(root, s.BatchesTracked)
	checkNames(s.Model, sd)
	md, err := s.metadata()
	if err != nil {
		return nil, err
	}
	return EncodeSafetensors(append(sd, s.preprocessTensors()...), md)
}

// Options select what Write writes.
type Options struct {
	// Format is one of Formats.
	Format string
	// Out is the file to write: the safetensors file (format safetensors
	// and pytorch, which writes its Python module beside it, see
	// ModulePath) or the ONNX model.
	Out string
	// Preprocess puts the stored preprocessing into the ONNX graph (format
	// onnx only), so that it takes raw inputs.
	Preprocess bool
}

// ModulePath returns where format pytorch writes the Python module for
// the safetensors file out: out with its extension replaced by ".py".
func ModulePath(out string) string {
	return strings.TrimSuffix(out, filepath.Ext(out)) + ".py"
}

// Validate checks the options: a known format, an output file, and
// Preprocess only for onnx. Its errors are input errors naming the flag.
func (o Options) Validate() error {
	if o.Format == "" {
		return engine.InputErrorf("--format: required; allowed: %s", strings.Join(Formats, ", "))
	}
	if !slices.Contains(Formats, o.Format) {
		return engine.InputErrorf("--format: unknown format %q; allowed: %s", o.Format, strings.Join(Formats, ", "))
	}
	if o.Out == "" {
		return engine.InputErrorf("--out: required: the file to write")
	}
	if o.Preprocess && o.Format != "onnx" {
		return engine.InputErrorf("--preprocess: applies to --format onnx only; %s files always carry the preprocessing (tensors preprocess.*, metadata %q)", o.Format, MetaPreprocess)
	}
	if o.Format == "pytorch" && filepath.Clean(ModulePath(o.Out)) == filepath.Clean(o.Out) {
		return engine.InputErrorf("--out %s: the Python module would overwrite the weights; name the weights file *.safetensors", o.Out)
	}
	return nil
}

// Write exports s as o says, each file atomically, and returns the paths
// written. Bad options and unsupported models are input errors.
func Write(s Source, o Options) ([]string, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	var files []string
	var contents [][]byte
	switch o.Format {
	case "safetensors", "pytorch":
		st, err := Safetensors(s)
		if err != nil {
			return nil, err
		}
		files, contents = append(files, o.Out), append(contents, st)
		if o.Format == "pytorch" {
			py := ModulePath(o.Out)
			src, err := PyTorch(s, filepath.Base(o.Out))
			if err != nil {
				return nil, err
			}
			files, contents = append(files, py), append(contents, src)
		}
	case "onnx":
		b, err := ONNX(s, o.Preprocess)
		if err != nil {
			return nil, err
		}
		files, contents = append(files, o.Out), append(contents, b)
	}
	for i, f := range files {
		if err := checkpoint.WriteFileAtomic(f, contents[i]); err != nil {
			return files[:i], fmt.Errorf("export: %w", err)
		}
	}
	return files, nil
}
