package run

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/engine"
)

// Prediction is one example's row of a predictions file.
type Prediction struct {
	Index         int       `json:"index"`
	Label         int       `json:"label"`
	LabelName     string    `json:"label_name,omitempty"`
	Predicted     int       `json:"predicted"`
	PredictedName string    `json:"predicted_name,omitempty"`
	Probability   float64   `json:"probability"` // of the predicted class
	Probabilities []float64 `json:"probabilities"`
}

// Predictions returns r's rows, one per example in split order.
func (r *EnsembleReport) Predictions() []Prediction {
	c := len(r.Probs) / max(len(r.Labels), 1)
	out := make([]Prediction, len(r.Labels))
	for i, y := range r.Labels {
		p := Prediction{Index: i, Label: int(y), Predicted: r.Predicted[i], Probabilities: r.Probs[i*c : (i+1)*c]}
		p.Probability = p.Probabilities[p.Predicted]
		if r.ClassNames != nil {
			p.LabelName, p.PredictedName = r.ClassNames[p.Label], r.ClassNames[p.Predicted]
		}
		out[i] = p
	}
	return out
}

// WritePredictions writes r's per-example predictions to path, atomically:
// JSON (an array of Prediction) for a .json path, else CSV with the header
// index,label,label_name,predicted,predicted_name,probability,p_0,...,p_{C-1}.
func WritePredictions(path string, r *EnsembleReport) error {
	rows := r.Predictions()
	var b bytes.Buffer
	if IsJSONPath(path) {
		enc, err := json.MarshalIndent(rows, "", " ")
		if err != nil {
			return err
		}
		b.Write(append(enc, '\n'))
	} else {
		w := csv.NewWriter(&b)
		c := len(r.Probs) / max(len(r.Labels), 1)
		head := []string{"index", "label", "label_name", "predicted", "predicted_name", "probability"}
		for j := range c {
			head = append(head, fmt.Sprintf("p_%d", j))
		}
		_ = w.Write(head)
		for _, p := range rows {
			rec := []string{strconv.Itoa(p.Index), strconv.Itoa(p.Label), p.LabelName, strconv.Itoa(p.Predicted), p.PredictedName, formatProb(p.Probability)}
			for _, q := range p.Probabilities {
				rec = append(rec, formatProb(q))
			}
			_ = w.Write(rec)
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return err
		}
	}
	if err := checkpoint.WriteFileAtomic(path, b.Bytes()); err != nil {
		return engine.InputErrorf("--predictions %s: %v", path, err)
	}
	return nil
}

// formatProb writes a probability with the digits that round-trip.
func formatProb(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
