package run

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/nettrain/nettrain/pkg/checkpoint"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tboard"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// HistogramsFile holds a run's histograms (monitor.histograms_every): the
// same ones its TensorBoard files hold, for `nettrain report`.
const HistogramsFile = "histograms.json"

// HistogramExamples is the size of the fixed batch the activation
// histograms are taken on: the first examples of the validation split (of
// the training split without one), walked as the init diagnostics of
// `sanity` walk theirs. 64 keeps the histograms of a conv net's epoch
// under 1% of its time (256 cost 5% of a 25,000-image epoch of
// configs/fashion-cnn.yaml) and still gives each conv layer 50,000 values.
const HistogramExamples = 64

// Histograms is the content of histograms.json: one entry per epoch that
// had histograms, in order.
type Histograms struct {
	Epochs []EpochHistograms `json:"epochs"`
}

// EpochHistograms are the histograms at the end of one epoch: of every
// parameter tensor (weights, biases, batch-norm scales and shifts), of its
// gradient in the epoch's last optimizer step (the penalty's included, after
// clipping), and of every top-level layer's output on the fixed batch in
// evaluation mode.
type EpochHistograms struct {
	Epoch       int          `json:"epoch"`
	Step        int64        `json:"step"`
	Weights     []NamedHisto `json:"weights"`
	Grads       []NamedHisto `json:"grads"`
	Activations []NamedHisto `json:"activations"`
}

// NamedHisto is one histogram of a tensor or layer.
type NamedHisto struct {
	Name string `json:"name"`
	tboard.Histo
}

// ReadHistograms reads a run folder's histograms.json.
func ReadHistograms(path string) (*Histograms, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var h Histograms
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &h, nil
}

// histHook takes the histograms every `every` epochs, into histograms.json
// (rewritten atomically each time; a resumed run keeps the entries up to
// the resumed epoch) and, when tb is set, TensorBoard.
type histHook struct {
	engine.BaseHook
	every, bins int
	x           *tensor.Tensor // the fixed batch, (N, C, H, W)
	pool        *tensor.Pool
	path        string
	tb          *tbHook
	all         Histograms
	loaded      bool
}

// fixedBatch returns the first HistogramExamples examples of s's
// validation split, or of the training split when it has none and holds
// preprocessed examples; nil otherwise.
func fixedBatch(s *engine.Splits) *tensor.Tensor {
	d := s.Val
	if d == nil || d.N == 0 {
		if s.Raw {
			return nil
		}
		d = s.Train
	}
	n := min(HistogramExamples, d.N)
	if n == 0 {
		return nil
	}
	return tensor.FromData(d.Range(nil, 0, n), n, d.C, d.H, d.W)
}

func (h *histHook) EpochStart(t *engine.Trainer, _ int) {
	if h.loaded {
		return
	}
	h.loaded = true
	if t.Epoch == 0 {
		return
	}
	old, err := ReadHistograms(h.path)
	if err != nil {
		return // missing or unreadable: the resumed run starts the file again
	}
	for _, e := range old.Epochs {
		if e.Epoch <= t.Epoch {
			h.all.Epochs = append(h.all.Epochs, e)
		}
	}
}

func (h *histHook) EpochEnd(t *engine.Trainer, m *engine.EpochMetrics) error {
	if m.Epoch%h.every != 0 {
		return nil
	}
	e := EpochHistograms{Epoch: m.Epoch, Step: m.Step}
	for _, p := range t.Model.Params() {
		e.Weights = append(e.Weights, NamedHisto{p.Name, tboard.NewHisto(p.Value.Data, h.bins)})
		e.Grads = append(e.Grads, NamedHisto{p.Name, tboard.NewHisto(p.Grad.Data, h.bins)})
	}
	if h.x != nil {
		t.Model.LayerOutputs(h.x, h.pool, func(_ int, l nn.Named, y *tensor.Tensor) {
			e.Activations = append(e.Activations, NamedHisto{l.Name, tboard.NewHisto(y.Data, h.bins)})
		})
	}
	if h.tb != nil {
		for _, g := range []struct {
			prefix string
			hs     []NamedHisto
		}{{tagWeights, e.Weights}, {tagGrads, e.Grads}, {tagActivation, e.Activations}} {
			for _, nh := range g.hs {
				h.tb.histogram(g.prefix+nh.Name, m.Step, nh.Histo)
			}
		}
	}
	h.all.Epochs = append(h.all.Epochs, e)
	b, err := json.Marshal(&h.all)
	if err == nil {
		err = checkpoint.WriteFileAtomic(h.path, b)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", h.path, err)
	}
	return nil
}
