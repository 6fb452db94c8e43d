package engine

import (
	"encoding/json"

	"github.com/nettrain/nettrain/pkg/lrsched"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// SWAPrefix names the SWA average's tensors in checkpoints: "swa.<name>".
const SWAPrefix = "swa."

// SWA is stochastic weight averaging (swa section), as PyTorch's
// AveragedModel with the default equal-weight average: at the end of every
// epoch from Start on, avg ← avg + (w − avg)/n for the n-th average, over
// the parameters and buffers (the caller re-estimates batch-norm
// statistics with UpdateBatchNorm when swa.bn_update is set).
type SWA struct {
	// Model holds the average (meaningful once Updates > 0).
	Model *model.Model
	// Start is the first epoch (1-based) averaged.
	Start int
	// Updates counts the epochs averaged so far.
	Updates int64

	src, dst []*tensor.Tensor
}

// newSWA starts an (empty) average of m: a twin built from the plan.
func newSWA(p *Plan, m *model.Model) (*SWA, error) {
	twin, err := p.BuildModel("swa", m.InShape, m.Classes)
	if err != nil {
		return nil, err
	}
	return &SWA{Model: twin, Start: p.SWA.StartEpoch(p.Epochs), src: modelTensors(m), dst: modelTensors(twin)}, nil
}

// Update adds the live model's current values to the average.
func (s *SWA) Update() {
	s.Updates++
	k := float32(s.Updates)
	for i, src := range s.src {
		d := s.dst[i].Data
		for j, v := range src.Data {
			d[j] += (v - d[j]) / k
		}
	}
}

// swaHook averages the weights at the end of every epoch from swa.start
// on. Its state is the average (tensors "swa.<name>") and its count.
type swaHook struct {
	BaseHook
	swa *SWA
}

func (h *swaHook) EpochEnd(t *Trainer, _ *EpochMetrics) error {
	if t.Epoch >= h.swa.Start {
		h.swa.Update()
	}
	return nil
}

func (h *swaHook) StateKey() string { return "swa" }
func (h *swaHook) MarshalState() ([]byte, error) {
	return json.Marshal(swaState{Updates: h.swa.Updates})
}
func (h *swaHook) UnmarshalState(b []byte) error {
	var st swaState
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	h.swa.Updates = st.Updates
	return nil
}

// swaState is the average's JSON state.
type swaState struct {
	Updates int64 `json:"updates"`
}

// StateTensors lists the average's parameters then buffers as
// "swa.<name>".
func (h *swaHook) StateTensors() []NamedTensor { return prefixed(SWAPrefix, h.swa.Model) }

// MissingTensors restarts the average: SWA was turned on for the resumed
// run (--force); its count restarts with it.
func (h *swaHook) MissingTensors() { h.swa.Updates = 0 }

// swaSchedule wraps the schedule of a run of perEpoch steps per epoch with
// SWALR when swa.lr is set.
func (p *Plan) swaSchedule(base lrsched.Schedule, perEpoch int) (lrsched.Schedule, error) {
	s := p.SWA
	if !s.Enabled || s.LR == 0 {
		return base, nil
	}
	sched, err := lrsched.SWA(base, (s.StartEpoch(p.Epochs)-1)*perEpoch, int(s.AnnealEpochs*float64(perEpoch)+0.5), s.LR, s.AnnealStrategy)
	if err != nil {
		return nil, InputErrorf("swa: %w", err)
	}
	return sched, nil
}
