package engine

import (
	"fmt"
	"strings"

	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/spec"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// Freezing (train.freeze) marks parameters Frozen, as PyTorch's
// requires_grad=False: the optimizer skips them, and the trainer leaves them
// out of the weight penalty and gradient clipping (Trainer.trainable). The
// leading steps of the model's plan whose parameters are all frozen (and
// the parameter-free steps among them) are not back-propagated through
// (nn.Sequential.SetBackwardStop). With train.freeze_bn the batch norms whose
// weight is frozen keep their running statistics (nn.BatchNorm.Frozen).
// With train.unfreeze_at n everything trains from epoch n+1 on. The state
// is a function of the epoch, so a resumed run freezes as the original did.

// CheckFreeze checks that every train.freeze glob matches a parameter of m
// and that something is left to train.
func CheckFreeze(globs []string, m *model.Model) error {
	for i, g := range globs {
		matched := false
		for _, p := range m.Params() {
			matched = matched || spec.MatchAny([]string{g}, p.Name)
		}
		if !matched {
			names := make([]string, 0, len(m.Params()))
			for _, p := range m.Params() {
				names = append(names, p.Name)
			}
			return InputErrorf("train.freeze[%d]: %q matches no parameter of the model (%s)", i, g, strings.Join(names, ", "))
		}
	}
	for _, p := range m.Params() {
		if !spec.MatchAny(globs, p.Name) {
			return nil
		}
	}
	if len(globs) > 0 {
		return InputErrorf("train.freeze %v freezes every parameter: nothing would train", globs)
	}
	return nil
}

// frozenAt reports whether train.freeze applies in epoch (0-based).
func (p *Plan) frozenAt(epoch int) bool {
	return len(p.Freeze) > 0 && (p.UnfreezeAt == 0 || epoch < p.UnfreezeAt)
}

// applyFreeze sets the frozen state of the model for epoch (0-based) and
// returns the parameters that train in it.
func (t *Trainer) applyFreeze(epoch int) []*nn.Param {
	on := t.Plan.frozenAt(epoch)
	frozen := map[*tensor.Tensor]bool{}
	var trainable []*nn.Param
	for _, p := range t.Model.Params() {
		p.Frozen = on && spec.MatchAny(t.Plan.Freeze, p.Name)
		if p.Frozen {
			frozen[p.Value] = true
		} else {
			trainable = append(trainable, p)
		}
	}
	for _, bn := range BatchNormLayers(t.Model) {
		bn.Frozen = t.Plan.FreezeBN && frozen[bn.Weight.Value]
	}
	t.Model.Net.SetBackwardStop(frozenPrefix(t.Model.Net, frozen))
	return trainable
}

// frozenPrefix counts the leading steps of net's plan before the first
// one with a trainable parameter, when a step among them has frozen
// parameters: the steps Backward can skip (the input needs no gradient).
// A net without frozen parameters gives 0.
func frozenPrefix(net *nn.Sequential, frozen map[*tensor.Tensor]bool) int {
	anyFrozen := false
	steps := net.Steps()
	for i, st := range steps {
		for _, p := range st.Layer.Params() {
			if !frozen[p.Value] {
				if anyFrozen {
					return i
				}
				return 0
			}
			anyFrozen = true
		}
	}
	if anyFrozen {
		return len(steps)
	}
	return 0
}

// FreezeSummary describes the frozen state of epoch (0-based) in one line
// ("" without train.freeze), for the run's printout.
func (t *Trainer) FreezeSummary(epoch int) string {
	if len(t.Plan.Freeze) == 0 {
		return ""
	}
	var frozen, total, params int
	for _, p := range t.Model.Params() {
		total += p.Value.Len()
		if t.Plan.frozenAt(epoch) && spec.MatchAny(t.Plan.Freeze, p.Name) {
			frozen += p.Value.Len()
			params++
		}
	}
	s := fmt.Sprintf("freeze %s: %d tensors (%d of %d weights) frozen", strings.Join(t.Plan.Freeze, ", "), params, frozen, total)
	if t.Plan.FreezeBN {
		s += ", their batch-norm statistics fixed"
	}
	if t.Plan.UnfreezeAt > 0 {
		s += fmt.Sprintf(", until epoch %d; then everything trains", t.Plan.UnfreezeAt)
	}
	return s
}
