package engine

import (
	"fmt"
	"strings"

	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/rng"
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

// Feature extraction: when the frozen leading steps compute the same
// function in training as in evaluation (frozen batch norms, no dropout,
// DropConnect, stochastic depth or random pooling) and the training batches
// are neither augmented nor mixed, their output for every training example
// is fixed. The trainer then runs them once, caches the features, and
// trains the rest of the network on batches of cached features in the
// loop's order: the same model and updates, at the cost of the head alone.

// featureCache is the frozen body's output for every training example.
type featureCache struct {
	from    int            // the first step not in the body
	shape   []int          // (N, per-example feature shape...) of a batch; [0] set per batch
	batches *batchPipeline // over the features, in the loop's batch order
	x       tensor.Tensor  // the current batch, reshaped
	summary string
}

// deterministicInTraining reports whether l (and every layer inside it)
// computes in training what it computes in evaluation.
func deterministicInTraining(l nn.Layer) bool {
	ok := true
	nn.Walk(l, func(l nn.Layer) {
		switch v := l.(type) {
		case *nn.Sequential, *nn.Activation, *nn.MaxPool2d, *nn.AvgPool2d, *nn.GlobalAvgPool, *nn.Flatten:
		case *nn.BasicBlock:
			ok = ok && v.DropProb == 0
		case *nn.BatchNorm:
			ok = ok && v.Frozen
		case *nn.BatchNormReLU:
			ok = ok && v.BN.Frozen
		case *nn.Dropout:
			ok = ok && v.P == 0
		case *nn.Linear:
			ok = ok && v.DropConnect == 0
		case *nn.Conv2d:
			ok = ok && v.DropConnect == 0
		default:
			ok = false
		}
	})
	return ok
}

// featureCacheFor returns the cache of the frozen body for this epoch's
// freeze (building it on first use), or nil when the body is not cached:
// no frozen leading steps, augmented or mixed batches, or a body that
// differs between training and evaluation.
func (t *Trainer) featureCacheFor() *featureCache {
	from := t.cacheableSteps()
	if from == 0 || t.noFeatureCache {
		return nil
	}
	net := t.Model.Net
	// The body is frozen from the run's start until unfreeze_at, so a cache
	// built in this invocation (after Restore) stays valid.
	if t.features != nil && t.features.from == from {
		return t.features
	}
	d := t.Train
	bs := t.Plan.EvalBatchSize
	feat := d.FeatureLen()
	ctx := &nn.Context{Seed: t.Plan.Seed, Pool: t.Pool}
	var fd *data.Dataset
	var shape []int
	xbuf := make([]float32, bs*feat)
	for lo := 0; lo < d.N; lo += bs {
		n := min(bs, d.N-lo)
		out := net.ForwardSteps(ctx, tensor.FromData(d.Range(xbuf, lo, n), n, d.C, d.H, d.W), 0, from)
		if fd == nil {
			shape = append([]int{0}, out.Shape[1:]...)
			f := tensor.Numel(out.Shape[1:])
			fd = &data.Dataset{X: make([]float32, 0, d.N*f), Y: d.Y, N: d.N, C: f, H: 1, W: 1, Classes: d.Classes, ClassNames: d.ClassNames}
		}
		fd.X = append(fd.X, out.Data[:out.Len()]...)
	}
	loader := data.NewLoader(fd, t.Plan.BatchSize, true, false, rng.New(t.Plan.Seed, rng.Shuffle).Uint64())
	pipe := newBatchPipelineWith(loader, fd, t.Plan.BatchSize, batchTransform{classes: t.Model.Classes, seed: t.Plan.Seed})
	pipe.workers = t.Pool.Threads()
	t.features = &featureCache{from: from, shape: shape, batches: pipe}
	return t.features
}

// cacheableSteps returns how many leading steps the current freeze lets
// the trainer cache (see featureCacheFor), or 0: the frozen steps up to the
// first one that is not deterministic in training. Frozen steps after it
// (a dropout between a frozen body and a new head) run on every batch.
func (t *Trainer) cacheableSteps() int {
	net := t.Model.Net
	stop := net.BackwardStop()
	if stop == 0 || stop >= len(net.Steps()) || t.batches.tf.prep != nil || t.batches.tf.mixing() {
		return 0
	}
	for i, st := range net.Steps()[:stop] {
		if !deterministicInTraining(st.Layer) {
			return i
		}
	}
	return stop
}

// input returns the batch x as the head takes it: reshaped from the
// pipeline's (n, F, 1, 1) to (n, feature shape...).
func (c *featureCache) input(x *tensor.Tensor) *tensor.Tensor {
	c.shape[0] = x.Shape[0]
	c.x = tensor.Tensor{Data: x.Data, Shape: c.shape}
	return &c.x
}

// FeatureCacheSummary says in one line whether the frozen body of epoch
// (0-based) will be cached, or "" when it will not.
func (t *Trainer) FeatureCacheSummary(epoch int) string {
	t.trainable = t.applyFreeze(epoch)
	if from := t.cacheableSteps(); from > 0 {
		return fmt.Sprintf("feature extraction: the frozen body (the first %d of %d steps) runs once on the training set; the head trains on its cached features", from, len(t.Model.Net.Steps()))
	}
	return ""
}
