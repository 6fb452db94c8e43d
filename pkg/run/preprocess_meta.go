package run

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/data"
)

// legacyPreprocessing is the "preprocess" metadata of checkpoints written
// before the preprocessing methods: {"normalize": "global"|"none", "mean",
// "std"}.
type legacyPreprocessing struct {
	Normalize *string `json:"normalize"`
	Mean      float32 `json:"mean"`
	Std       float32 `json:"std"`
}

// preprocessMetadata returns the checkpoint form of a fitted
// preprocessing: the header JSON (metadata "preprocess") and its tensors,
// named preprocess.*.
func preprocessMetadata(p data.Preprocessor) (string, []checkpoint.Tensor) {
	st := p.State()
	h, _ := json.Marshal(st.Header)
	ts := make([]checkpoint.Tensor, len(st.Tensors))
	for i, t := range st.Tensors {
		ts[i] = checkpoint.Tensor{Name: t.Name, Shape: t.Shape, Data: t.Data}
	}
	return string(h), ts
}

// restorePreprocessing rebuilds the preprocessing stored in a checkpoint:
// the header JSON meta and the preprocess.* tensors of f. An old
// checkpoint's {"normalize", "mean", "std"} becomes method global (or none)
// for examples of shape in.
func restorePreprocessing(f *checkpoint.File, meta string, in []int) (data.Preprocessor, error) {
	var legacy legacyPreprocessing
	if err := json.Unmarshal([]byte(meta), &legacy); err != nil {
		return nil, err
	}
	var st data.PreprocessState
	if legacy.Normalize != nil {
		st.Header = data.PreprocessHeader{Version: 1, Method: *legacy.Normalize, InShape: [3]int{in[0], in[1], in[2]}, OutShape: [3]int{in[0], in[1], in[2]}}
		switch *legacy.Normalize {
		case data.MethodNone:
		case data.MethodGlobal:
			st.Tensors = []data.Tensor{
				{Name: data.TensorMean, Shape: []int{1}, Data: []float32{legacy.Mean}},
				{Name: data.TensorStd, Shape: []int{1}, Data: []float32{legacy.Std}},
			}
		default:
			return nil, fmt.Errorf("unknown normalize %q", *legacy.Normalize)
		}
		return data.RestorePreprocessor(st)
	}
	if err := json.Unmarshal([]byte(meta), &st.Header); err != nil {
		return nil, err
	}
	for _, t := range f.Tensors {
		if strings.HasPrefix(t.Name, data.PreprocessTensorPrefix) {
			st.Tensors = append(st.Tensors, data.Tensor{Name: t.Name, Shape: t.Shape, Data: t.Data})
		}
	}
	p, err := data.RestorePreprocessor(st)
	if err != nil {
		return nil, err
	}
	if st.Header.Method != data.MethodNone {
		h := st.Header.InShape
		if oc, oh, ow := p.OutShape(h[0], h[1], h[2]); oc != in[0] || oh != in[1] || ow != in[2] {
			return nil, fmt.Errorf("it outputs (%d,%d,%d) but the model takes %v", oc, oh, ow, in)
		}
	}
	return p, nil
}
