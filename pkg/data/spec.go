package data

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/nettrain/nettrain/pkg/spec"
)

// Spec is the "data" section of a config: where the dataset is and how
// much of it to use. It is the one definition of the section's keys (the
// yaml tags), their ranges (the range tags, see package spec) and, in the
// field comments, their meaning and defaults.
type Spec struct {
	// Dir is the folder holding the dataset files (key "data.dir").
	// Required, no default. A relative path in the config file is relative
	// to the config file's folder; a relative path given with --set is
	// relative to the working directory. The config resolves it to an
	// absolute path.
	Dir string `yaml:"dir"`
	// Format is the dataset file format (key "data.format"): "idx" (gzipped
	// or plain IDX files named as in MNIST / Fashion-MNIST), "folder"
	// (dir/train/<class>/*.png|jpg and dir/test/<class>/..., gray or RGB,
	// as torchvision's ImageFolder), "csv" (dir/train.csv and
	// dir/test.csv with a label column) or "packed" (dir/train.ntpack and
	// dir/test.ntpack written by `nettrain pack`, memory-mapped: the
	// pixels stay in the page cache, not in the process). Default "idx".
	Format string `yaml:"format"`
	// Stream reads an image folder from its files as batches are read,
	// instead of decoding the split into memory first (key "data.stream";
	// format folder only). Memory then holds the file names, the labels
	// and the batches being decoded, not the images, whatever their
	// number; every epoch decodes every image again, on the run's
	// threads, one batch ahead of the training step (torchvision's
	// ImageFolder with a DataLoader). Results are the same to the bit.
	// Default false.
	Stream bool `yaml:"stream"`
	// LabelColumn names the label column of format "csv" (key
	// "data.label_column"). Default "label"; only used by format csv.
	LabelColumn string `yaml:"label_column"`
	// ValSplit is how many validation examples are carved from the training
	// set (key "data.val_split"): 0 < v < 1 is a fraction of the training
	// examples, v >= 1 is a count and must be a whole number, 0 means no
	// validation set. Must be >= 0. Default 0.1.
	ValSplit float64 `yaml:"val_split" range:">=0; a fraction 0 < v < 1, a count >= 1, or 0 for none"`
	// TrainLimit keeps only the first N training examples, before the
	// validation split (key "data.train_limit"). 0 means all of them. Must be
	// >= 0. Default 0.
	TrainLimit int `yaml:"train_limit" range:">=0; 0 = all examples"`
	// Classes keeps only the examples of these labels, in every split, and
	// renumbers them 0, 1, ... in the listed order (key "data.classes"),
	// e.g. [5, 6, 7, 8, 9]: a task made of some of the data set's
	// classes; class names follow. At least 2 distinct labels, each >= 0.
	// It applies before train_limit. Default empty: every class.
	Classes []int `yaml:"classes" range:">=0"`
}

// DefaultSpec returns the data section's defaults (Dir is empty, so it
// does not validate as is), before the ones that depend on other keys
// ([Spec.ApplyDefaults]).
func DefaultSpec() Spec {
	return Spec{Format: FormatIDX, ValSplit: 0.1}
}

// ApplyDefaults fills in the defaults that depend on other keys; isSet
// reports whether a key (relative to the section) was given a value.
func (s *Spec) ApplyDefaults(isSet func(key string) bool) {
	if s.Format == FormatCSV && !isSet("label_column") {
		s.LabelColumn = DefaultLabelColumn
	}
}

// KeyNames lists the names of the section's name keys ([spec.Namer]).
func (s Spec) KeyNames() map[string]spec.Names {
	return map[string]spec.Names{"format": {List: Formats}}
}

// maxCount is the largest whole count val_split may hold: above 2^53 a
// float64 no longer holds every integer.
const maxCount = 1 << 53

// Validate checks the keys of a resolved data section and the rules
// between them. It returns nil or a [spec.Problems] with key paths
// relative to the section.
func (s Spec) Validate() error {
	var ck spec.Checker
	if s.Dir == "" {
		ck.Add("dir", "required: the folder holding the dataset files (relative to the config file's folder)")
	}
	spec.CheckFields(&ck, s)
	if s.LabelColumn != "" && s.Format != FormatCSV {
		ck.Add("label_column", "only used by data.format csv (format is %q)", s.Format)
	}
	if s.Stream && s.Format != FormatFolder {
		ck.Add("stream", "only for data.format folder (format is %q; a packed file is already read from disk as needed)", s.Format)
	}
	if len(s.Classes) == 1 {
		ck.Add("classes", "needs at least 2 labels (or none: every class), got %v", s.Classes)
	}
	for i, c := range s.Classes {
		if j := slices.Index(s.Classes, c); j < i {
			ck.Add(fmt.Sprintf("classes[%d]", i), "label %d is already classes[%d]", c, j)
		}
	}
	if s.Format == FormatCSV && strings.TrimSpace(s.LabelColumn) == "" {
		ck.Add("label_column", `must not be empty (default "label")`)
	}
	switch v := s.ValSplit; {
	case math.IsNaN(v) || math.IsInf(v, 0) || v < 0: // CheckFields reported it
	case v >= 1 && v != math.Trunc(v):
		ck.Add("val_split", "must be a whole number when >= 1 (a count of examples; use 0 < v < 1 for a fraction), got %s", spec.FormatFloat(v))
	case v > maxCount:
		ck.Add("val_split", "count too large, got %s", spec.FormatFloat(v))
	case v >= 1 && s.TrainLimit > 0 && v >= float64(s.TrainLimit):
		ck.Add("val_split", "%s validation examples leave none for training out of data.train_limit %d", spec.FormatFloat(v), s.TrainLimit)
	}
	return ck.Err()
}

// DefaultPreprocess returns the preprocess section's defaults, before the
// ones that depend on other keys ([PreprocessConfig.ApplyDefaults]).
func DefaultPreprocess() PreprocessConfig {
	return PreprocessConfig{Method: MethodGlobal}
}

// NormalizeValues lists the values of the deprecated preprocess.normalize.
var NormalizeValues = []string{MethodGlobal, MethodNone}

// ApplyDefaults fills in the defaults that depend on other keys and moves
// the deprecated Normalize into Method; isSet reports whether a key
// (relative to the section) was given a value.
func (p *PreprocessConfig) ApplyDefaults(isSet func(key string) bool) {
	if p.Normalize != "" && !isSet("method") && slices.Contains(NormalizeValues, p.Normalize) {
		p.Method, p.Normalize = p.Normalize, "" // the deprecated spelling
	}
	if (p.Method == MethodPCAWhiten || p.Method == MethodZCA) && !isSet("epsilon") {
		p.Epsilon = 0.01
	}
}

// KeyNames lists the names of the section's name keys ([spec.Namer]).
func (p PreprocessConfig) KeyNames() map[string]spec.Names {
	return map[string]spec.Names{
		"method":    {List: PreprocessMethods},
		"normalize": {List: NormalizeValues, Empty: true},
	}
}

// Validate checks the keys of a resolved preprocess section (as the
// config's "preprocess" section) and the rules between them. It returns
// nil or a [spec.Problems] with key paths relative to the section.
func (p PreprocessConfig) Validate() error {
	var ck spec.Checker
	if p.Normalize != "" && slices.Contains(NormalizeValues, p.Normalize) {
		// ApplyDefaults has moved a valid value into method unless method
		// was set too.
		ck.Add("normalize", "is the deprecated spelling of preprocess.method; remove it (preprocess.method is %q)", p.Method)
	}
	spec.CheckFields(&ck, p)
	pca := p.Method == MethodPCA || p.Method == MethodPCAWhiten
	if p.Components > 0 && !pca {
		ck.Add("components", "only used by preprocess.method pca and pca_whiten (method is %q)", p.Method)
	}
	if v := p.Variance; v > 0 && v <= 1 {
		switch {
		case !pca:
			ck.Add("variance", "only used by preprocess.method pca and pca_whiten (method is %q)", p.Method)
		case p.Components > 0:
			ck.Add("variance", "set only one of preprocess.components (%d) and preprocess.variance", p.Components)
		}
	}
	if p.Epsilon > 0 && !math.IsInf(p.Epsilon, 1) && !slices.Contains([]string{MethodChannel, MethodFeature, MethodPCAWhiten, MethodZCA}, p.Method) {
		ck.Add("epsilon", "only used by preprocess.method channel, feature, pca_whiten and zca (method is %q)", p.Method)
	}
	return ck.Err()
}
