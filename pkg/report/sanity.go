package report

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/optim"
	"github.com/nettrain/nettrain/pkg/rng"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// SanityOptions tune the sanity checks. Zero values take the defaults.
type SanityOptions struct {
	// ConfigPath is where the config came from, for messages.
	ConfigPath string
	// OverfitBatches is the size of the overfit sample in mini-batches
	// (default 5).
	OverfitBatches int
	// MaxSteps is the step budget of the overfit check (default 1000).
	MaxSteps int
	// Tolerance is the allowed relative distance of the initial loss from
	// ln(C) (default 0.1: within 10%).
	Tolerance float64
	// InitExamples is how many training examples the initial loss is
	// averaged over (default 1024).
	InitExamples int
	// Pool is the thread budget of the checks and of loading their data
	// (nil: the calling goroutine). Results do not depend on it.
	Pool *tensor.Pool
}

func (o *SanityOptions) defaults() {
	if o.OverfitBatches <= 0 {
		o.OverfitBatches = 5
	}
	if o.MaxSteps <= 0 {
		o.MaxSteps = 1000
	}
	if o.Tolerance <= 0 {
		o.Tolerance = 0.1
	}
	if o.InitExamples <= 0 {
		o.InitExamples = 1024
	}
}

// InitialLossCheck compares the loss at initialization with ln(C), the loss
// of a uniform prediction over C classes.
type InitialLossCheck struct {
	Examples  int     `json:"examples"`
	Loss      float64 `json:"loss"`      // data loss, regularization off
	Expected  float64 `json:"expected"`  // ln(C)
	Tolerance float64 `json:"tolerance"` // allowed |loss − ln C| / ln C
	// L2 and L1 are the configured penalty; LossWithReg is the loss with it
	// on, which must be higher when either is > 0.
	L2          float64 `json:"l2"`
	L1          float64 `json:"l1"`
	LossWithReg float64 `json:"loss_with_reg"`
	Passed      bool    `json:"passed"`
	Diagnosis   string  `json:"diagnosis,omitempty"`
}

// OverfitCheck trains on a small sample with regularization off and
// expects 100% training accuracy on it within the step budget.
type OverfitCheck struct {
	Examples    int     `json:"examples"`
	MaxSteps    int     `json:"max_steps"`
	Steps       int     `json:"steps"`
	LR          float64 `json:"lr"`
	InitialLoss float64 `json:"initial_loss"`
	FinalLoss   float64 `json:"final_loss"`
	MaxLoss     float64 `json:"max_loss"`
	TrainAcc    float64 `json:"train_acc"`
	// StillSymmetric lists the layers whose units were all identical at
	// init and still are after training (zero or constant init).
	StillSymmetric []string `json:"still_symmetric,omitempty"`
	Passed         bool     `json:"passed"`
	Diagnosis      string   `json:"diagnosis,omitempty"`
}

// SanityReport is the outcome of every sanity check.
type SanityReport struct {
	Passed      bool             `json:"passed"`
	Classes     int              `json:"classes"`
	InitialLoss InitialLossCheck `json:"initial_loss"`
	Overfit     OverfitCheck     `json:"overfit"`
	// Data checks the preprocessed training split; Gradients the model's
	// backward pass against finite differences.
	Data      DataCheck `json:"data"`
	Gradients GradCheck `json:"gradients"`
	// Activations are the init diagnostics: per-layer statistics of the
	// fresh model's outputs on the first DiagnosticExamples examples of the
	// initial-loss sample. They are advice and do not change Passed.
	Activations []LayerStats `json:"activations"`
	// Warnings say in words what the flagged activations mean.
	Warnings []string `json:"warnings"`
}

// Sanity runs the checks every practitioner should run before a long
// training run: the preprocessed training data is standardized, finite and
// has every class; (a) the initial loss with regularization off is close to
// ln(C), and higher with regularization on; the model's gradients match
// finite differences on a tiny batch; (b) the model can overfit a small
// sample to 100% training accuracy with regularization off. It also
// reports the activation statistics of every layer at init (see
// LayerDiagnostics), with warnings that do not affect Passed.
func Sanity(cfg *config.Config, o SanityOptions) (*SanityReport, error) {
	o.defaults()
	cfg = withoutDataRegularization(cfg)
	plan, err := engine.NewPlan(cfg)
	if err != nil {
		return nil, err
	}
	splits, err := engine.LoadTrainSplits(cfg, o.Pool.Threads())
	if err != nil {
		return nil, err
	}
	tr := splits.Train
	if splits.Raw { // a streamed folder under a projection: preprocess it here
		tr = tr.Clone()
		if err := splits.Prep.Apply(tr, o.Pool.Threads()); err != nil {
			return nil, &engine.InputError{Err: err}
		}
	}
	perm := rng.New(cfg.Seed, rng.Sample).Perm(tr.N)
	in := []int{tr.C, tr.H, tr.W}
	classes := tr.Classes

	rep := &SanityReport{Classes: classes, Data: dataCheck(tr, cfg.Preprocess.Method)}
	m, err := plan.BuildModel(o.ConfigPath, in, classes)
	if err != nil {
		return nil, err
	}
	initSet := tr.Subset(perm[:min(o.InitExamples, tr.N)])
	ic := &rep.InitialLoss
	ic.Examples = initSet.N
	ic.Loss = engine.Evaluate(m, initSet, plan.EvalBatchSize, o.Pool).Loss
	ic.Expected = math.Log(float64(classes))
	ic.Tolerance = o.Tolerance
	pen := plan.Penalty
	ic.L2, ic.L1 = pen.L2, pen.L1
	ic.LossWithReg = ic.Loss + optim.PenaltyValue(m.Params(), pen)
	ic.Passed = math.Abs(ic.Loss-ic.Expected) <= o.Tolerance*ic.Expected
	switch {
	case math.IsNaN(ic.Loss) || math.IsInf(ic.Loss, 0):
		ic.Passed = false
		ic.Diagnosis = "the initial loss is not finite: check the inputs (normalization) and the init"
	case ic.Loss > ic.Expected*(1+o.Tolerance):
		ic.Diagnosis = fmt.Sprintf("the initial loss is %.3f, above ln(%d) = %.3f: the logits start too large; use a smaller init scale for the last layer or check the normalization", ic.Loss, classes, ic.Expected)
	case !ic.Passed:
		ic.Diagnosis = fmt.Sprintf("the initial loss is %.3f, below ln(%d) = %.3f: a fresh model should not beat chance; check for label leakage or a wrong class count", ic.Loss, classes, ic.Expected)
	}
	covered := optim.PenaltyValue(m.Params(), optim.Penalty{L2: 1, Include: pen.Include, Exclude: pen.Exclude}) > 0
	if (ic.L2 > 0 || ic.L1 > 0) && covered && !(ic.LossWithReg > ic.Loss) {
		ic.Passed = false
		ic.Diagnosis = "the loss with regularization on is not higher than without: the penalty is not applied"
	}

	// Init diagnostics on the first examples of the same sample.
	if nd := min(DiagnosticExamples, initSet.N); nd > 0 {
		x := tensor.FromData(initSet.Range(nil, 0, nd), nd, initSet.C, initSet.H, initSet.W)
		rep.Activations = LayerDiagnostics(m, x, o.Pool)
	}
	rep.Warnings = DiagnosticWarnings(rep.Activations)

	// The gradient check perturbs weights and moves batch-norm statistics:
	// a fresh model of its own.
	gm, err := plan.BuildModel(o.ConfigPath, in, classes)
	if err != nil {
		return nil, err
	}
	rep.Gradients = gradCheck(gm, initSet, plan.Seed, o.Pool)

	// (b) Overfit a small sample with a fresh model.
	n := min(o.OverfitBatches*plan.BatchSize, tr.N)
	sample := tr.Subset(perm[:n])
	rep.Overfit, err = overfit(plan, o, sample, in, classes, rep.Activations, initSet)
	if err != nil {
		return nil, err
	}
	if !rep.Overfit.Passed && len(rep.Warnings) > 0 {
		rep.Overfit.Diagnosis += "; the init diagnostics flag problems (see the warnings): fix those first"
	}
	rep.Passed = rep.InitialLoss.Passed && rep.Overfit.Passed && rep.Data.Passed && rep.Gradients.Passed
	if err := engine.ReadError(tr); err != nil {
		return nil, err
	}
	return rep, nil
}

// withoutDataRegularization returns a copy of cfg without augmentation,
// mixing and label smoothing: the sanity checks measure the plain loss and
// need the model to be able to fit the sample exactly.
func withoutDataRegularization(cfg *config.Config) *config.Config {
	c := *cfg
	c.Augment = nil
	c.Train.Mixup.Alpha, c.Train.CutMix.Alpha, c.Train.LabelSmoothing = 0, 0, 0
	return &c
}

// errStopEpoch ends an epoch of the overfit loop early.
var errStopEpoch = errors.New("stop")

// stillSymmetric returns the layers flagged symmetric at init whose units
// are still identical in the trained model m, measured on the diagnostic
// examples of diag on pool.
func stillSymmetric(m *model.Model, atInit []LayerStats, diag *data.Dataset, pool *tensor.Pool) []string {
	nd := min(DiagnosticExamples, diag.N)
	if nd == 0 {
		return nil
	}
	was := map[string]bool{}
	for _, s := range atInit {
		was[s.Name] = s.Flag == FlagSymmetric
	}
	x := tensor.FromData(diag.Range(nil, 0, nd), nd, diag.C, diag.H, diag.W)
	var names []string
	for _, s := range LayerDiagnostics(m, x, pool) {
		if was[s.Name] && s.IdenticalUnits {
			names = append(names, s.Name)
		}
	}
	return names
}

// overfit trains a fresh model on sample with the configured optimizer at
// a constant learning rate, regularization off, until every example is
// classified correctly or the step budget runs out.
func overfit(plan *engine.Plan, o SanityOptions, sample *data.Dataset, in []int, classes int, atInit []LayerStats, diag *data.Dataset) (OverfitCheck, error) {
	// The rate is the run's base rate: optimizer.lr scaled for the batch
	// size by schedule.scale_rule, as the first step after warmup uses.
	oc := OverfitCheck{Examples: sample.N, MaxSteps: o.MaxSteps, LR: plan.BaseLR}
	m, err := plan.BuildModel(o.ConfigPath, in, classes)
	if err != nil {
		return oc, err
	}
	t, err := engine.NewTrainer(plan, m, &engine.Splits{Train: sample}, o.Pool)
	if err != nil {
		return oc, err
	}
	t.Penalty = optim.Penalty{}
	oc.InitialLoss = engine.Evaluate(m, sample, plan.EvalBatchSize, o.Pool).Loss
	oc.MaxLoss = oc.InitialLoss
	eb := plan.EvalBatchSize
	diverged := false
	for epoch := 0; oc.Steps < o.MaxSteps && !diverged; epoch++ {
		_ = t.ForEachBatch(epoch, 0, func(_ int, x *tensor.Tensor, y []int32) error {
			if oc.Steps >= o.MaxSteps || diverged {
				return errStopEpoch
			}
			loss, _ := t.TrainStep(x, y, oc.LR)
			oc.Steps++
			oc.MaxLoss = math.Max(oc.MaxLoss, loss)
			if math.IsNaN(loss) || math.IsInf(loss, 0) || loss > 10*oc.InitialLoss {
				oc.MaxLoss, oc.FinalLoss, diverged = loss, loss, true
			}
			return nil
		})
		if diverged {
			break
		}
		r := engine.Evaluate(m, sample, eb, o.Pool)
		oc.FinalLoss, oc.TrainAcc = r.Loss, r.Accuracy
		if r.Accuracy == 1 {
			oc.Passed = true
			return oc, nil
		}
	}
	oc.StillSymmetric = stillSymmetric(m, atInit, diag, o.Pool)
	switch {
	case len(oc.StillSymmetric) > 0:
		oc.Diagnosis = fmt.Sprintf("after %d steps the units of %s are still all identical (loss %.4f → %.4f): a zero or constant init never breaks the symmetry; use a random init", oc.Steps, strings.Join(oc.StillSymmetric, ", "), oc.InitialLoss, oc.FinalLoss)
	case diverged || math.IsNaN(oc.FinalLoss) || oc.FinalLoss > oc.InitialLoss:
		oc.Diagnosis = fmt.Sprintf("the loss exploded (reached %.4g from %.4g) after %d steps: the learning rate %g is too high; try 3-10x lower", oc.MaxLoss, oc.InitialLoss, oc.Steps, oc.LR)
	case oc.FinalLoss > 0.9*oc.InitialLoss:
		oc.Diagnosis = fmt.Sprintf("the loss is not going down (%.4f → %.4f in %d steps): the learning rate %g is too low, or the init is bad (zero init keeps every neuron identical)", oc.InitialLoss, oc.FinalLoss, oc.Steps, oc.LR)
	default:
		oc.Diagnosis = fmt.Sprintf("the loss went down (%.4f → %.4f) but train accuracy reached only %.4f in %d steps: allow more steps (--max-steps), raise the learning rate, or use a larger model", oc.InitialLoss, oc.FinalLoss, oc.TrainAcc, oc.Steps)
	}
	return oc, nil
}
