package run

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// PredictOptions say how Predict runs.
type PredictOptions struct {
	// TopK is how many of the most probable classes each row lists
	// (>= 1; 0 means 1).
	TopK int
	// FlipTTA averages each image's probabilities with those of its
	// horizontal mirror (test-time augmentation).
	FlipTTA bool
	// EMA uses the checkpoints' EMA weights.
	EMA bool
	// Resize scales images of another size to the model's (bilinear)
	// instead of refusing them.
	Resize bool
	// BatchSize is the inference batch size (0: the first checkpoint's
	// train.eval_batch_size).
	BatchSize int
	// Pool is the thread budget (nil: the calling goroutine).
	Pool *tensor.Pool
}

// ImagePrediction is Predict's answer for one image.
type ImagePrediction struct {
	Input       string  `json:"input"`
	Predicted   int     `json:"predicted"`
	Name        string  `json:"name,omitempty"`
	Probability float64 `json:"probability"`
	// Top lists the TopK most probable classes, most probable first.
	Top []ClassProbability `json:"top"`
}

// ClassProbability is one class and its probability.
type ClassProbability struct {
	Class       int     `json:"class"`
	Name        string  `json:"name,omitempty"`
	Probability float64 `json:"probability"`
}

// Predict classifies the images the inputs name (PNG/JPEG files, folders
// of them searched recursively, IDX image files; see readInputs) with the
// checkpoints at
// ckpts, as an ensemble of their mean probabilities when there are
// several. Each image is decoded as the image-folder loader decodes
// training images and must have the models' input size; each member
// applies its own stored preprocessing. Members must predict the same
// classes from the same input shape. Bad input is an *InputError naming the
// file.
func Predict(ckpts, inputs []string, o PredictOptions) ([]ImagePrediction, error) {
	if len(ckpts) == 0 {
		return nil, engine.InputErrorf("predict: no checkpoint given (CHECKPOINT.ckpt ... INPUT ...)")
	}
	load := LoadCheckpoint
	if o.EMA {
		load = LoadCheckpointEMA
	}
	var first *Loaded
	var raw [3]int
	var sum []float64
	var x *data.Dataset
	var files []string // the name of each example: a path, or IDX file#index
	for _, path := range ckpts {
		l, err := load(path)
		if err != nil {
			return nil, err
		}
		in := rawShape(l)
		if o.FlipTTA {
			if err := checkMirror(l, path); err != nil {
				return nil, err
			}
		}
		if first == nil {
			first, raw = l, in
			if x, files, err = readInputs(inputs, in, o.Resize); err != nil {
				return nil, err
			}
			x.Classes = l.Model.Classes
		} else if l.Model.Classes != first.Model.Classes || in != raw {
			return nil, engine.InputErrorf("predict: %s takes %v images and predicts %d classes, %s %v and %d: members must agree",
				path, in, l.Model.Classes, ckpts[0], raw, first.Model.Classes)
		}
		bs := l.Config.Train.EvalBatchSize
		if o.BatchSize > 0 {
			bs = o.BatchSize
		}
		views := []*data.Dataset{x}
		if o.FlipTTA {
			views = append(views, x.Mirrored())
		}
		for _, v := range views {
			d := v.Clone()
			if err := l.Prep.Apply(d, o.Pool.Threads()); err != nil {
				return nil, engine.InputErrorf("predict: %s: %v", path, err)
			}
			p := engine.Probabilities(l.Model, d, bs, o.Pool)
			if sum == nil {
				sum = make([]float64, len(p))
			}
			for i, q := range p {
				sum[i] += q
			}
		}
	}
	runs := float64(len(ckpts))
	if o.FlipTTA {
		runs *= 2
	}
	c := first.Model.Classes
	k := min(max(o.TopK, 1), c)
	out := make([]ImagePrediction, len(files))
	for i, f := range files {
		row := sum[i*c : (i+1)*c]
		for j := range row {
			row[j] /= runs
		}
		order := make([]int, c)
		for j := range order {
			order[j] = j
		}
		sort.SliceStable(order, func(a, b int) bool { return row[order[a]] > row[order[b]] })
		top := make([]ClassProbability, k)
		for j := range top {
			top[j] = ClassProbability{Class: order[j], Name: className(first.ClassNames, order[j]), Probability: row[order[j]]}
		}
		best := engine.ArgMax(row)
		out[i] = ImagePrediction{Input: f, Predicted: best, Name: className(first.ClassNames, best), Probability: row[best], Top: top}
	}
	return out, nil
}

// rawShape is the (C,H,W) of the images a checkpoint's model takes, before
// its preprocessing.
func rawShape(l *Loaded) [3]int {
	if in := l.Prep.State().Header.InShape; in[0] > 0 {
		return in
	}
	return [3]int{l.Model.InShape[0], l.Model.InShape[1], l.Model.InShape[2]}
}

// readInputs reads the examples the inputs name, in order, into a data
// set of shape in (labels 0) and names them: image files and folders
// (data.ImageFiles, decoded as the folder loader does) by path, the images
// of an IDX file (a name ending in -ubyte, .idx or either with .gz: dims
// (N,H,W) for 1 channel or (N,C,H,W), pixels / 255 as the IDX loader does)
// as FILE#i, and the rows of a CSV file (a name ending in .csv; see
// csvInputs) as FILE#i. resize scales image files of another size (not
// IDX or CSV images).
func readInputs(inputs []string, in [3]int, resize bool) (*data.Dataset, []string, error) {
	d := &data.Dataset{C: in[0], H: in[1], W: in[2]}
	f := d.FeatureLen()
	var names []string
	for _, input := range inputs {
		if strings.EqualFold(filepath.Ext(input), ".csv") {
			x, rowNames, err := csvInputs(input, in)
			if err != nil {
				return nil, nil, err
			}
			d.X = append(d.X, x...)
			names = append(names, rowNames...)
			continue
		}
		if isIDXName(input) {
			dims, pix, err := data.ReadIDXFile(input)
			if err != nil {
				return nil, nil, engine.InputErrorf("predict: %v", err)
			}
			shape := dims[1:]
			if len(shape) == 2 {
				shape = append([]int{1}, shape...)
			}
			if len(dims) < 3 || !slices.Equal(shape, in[:]) {
				return nil, nil, engine.InputErrorf("predict: %s: images of shape %v, the model takes (C,H,W) %v", input, dims[1:], in)
			}
			for i := range dims[0] {
				for _, v := range pix[i*f : (i+1)*f] {
					d.X = append(d.X, float32(v)/255)
				}
				names = append(names, fmt.Sprintf("%s#%d", input, i))
			}
			continue
		}
		files, err := data.ImageFiles([]string{input})
		if err != nil {
			return nil, nil, engine.InputErrorf("predict: %v", err)
		}
		for _, p := range files {
			d.X = append(d.X, make([]float32, f)...)
			if err := data.DecodeImage(p, d.X[len(d.X)-f:], in[0], in[1], in[2], resize); err != nil {
				return nil, nil, engine.InputErrorf("predict: %s: %v", p, err)
			}
			names = append(names, p)
		}
	}
	d.N = len(names)
	d.Y = make([]int32, d.N)
	return d, names, nil
}

// csvInputs reads the rows of a CSV file with a header (data.ReadCSV;
// a "label" column, if there is one, is ignored) as examples of shape in:
// for a model trained on a table ((F,1,1)), the F feature columns as they
// are, as training read them; for an image model, C·H·W pixel columns in
// NCHW order with values 0–255, divided by 255 as the IDX and image
// loaders do (the layout of the usual Fashion-MNIST CSV). Rows are named
// FILE#i, i counting data rows from 0.
func csvInputs(path string, in [3]int) ([]float32, []string, error) {
	t, err := data.LoadCSVFile(path, data.CSVOptions{Unlabelled: true})
	if err != nil {
		return nil, nil, engine.InputErrorf("predict: %v", err)
	}
	f := in[0] * in[1] * in[2]
	if t.C != f {
		return nil, nil, engine.InputErrorf("predict: %s: %d feature columns, the model takes %d (C,H,W %v)", path, t.C, f, in)
	}
	if in[1]*in[2] > 1 {
		for i, v := range t.X {
			t.X[i] = v / 255
		}
	}
	names := make([]string, t.N)
	for i := range names {
		names[i] = fmt.Sprintf("%s#%d", path, i)
	}
	return t.X, names, nil
}

// isIDXName reports whether path is named as an IDX file.
func isIDXName(path string) bool {
	base := strings.TrimSuffix(strings.ToLower(filepath.Base(path)), ".gz")
	return strings.HasSuffix(base, "-ubyte") || strings.HasSuffix(base, ".idx")
}

func className(names []string, c int) string {
	if c < len(names) {
		return names[c]
	}
	return ""
}

// WriteImagePredictions writes rows as JSON (an array) when asJSON, else
// CSV: input,predicted,name,probability and, for each of the top k,
// top<i>,top<i>_name,top<i>_probability.
func WriteImagePredictions(w io.Writer, rows []ImagePrediction, asJSON bool) error {
	if asJSON {
		b, err := json.MarshalIndent(rows, "", " ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	head := []string{"input", "predicted", "name", "probability"}
	k := 0
	if len(rows) > 0 {
		k = len(rows[0].Top)
	}
	if k > 1 {
		for i := 1; i <= k; i++ {
			head = append(head, fmt.Sprintf("top%d", i), fmt.Sprintf("top%d_name", i), fmt.Sprintf("top%d_probability", i))
		}
	}
	_ = cw.Write(head)
	for _, r := range rows {
		rec := []string{r.Input, strconv.Itoa(r.Predicted), r.Name, formatProb(r.Probability)}
		if k > 1 {
			for _, t := range r.Top {
				rec = append(rec, strconv.Itoa(t.Class), t.Name, formatProb(t.Probability))
			}
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// IsJSONPath reports whether path names a JSON file (.json).
func IsJSONPath(path string) bool { return strings.EqualFold(filepath.Ext(path), ".json") }
