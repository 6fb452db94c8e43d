package report

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// The gradient check of the configured model and the data checks, two of
// the checks a practitioner runs before training (CS231n: "gradient
// checks", "look at your data").

// Gradient-check settings: GradExamples examples, GradEntries entries of
// each parameter tensor (at random), central differences with step GradEps;
// an entry agrees when |analytic − numeric| ≤ GradAbsTol·scale +
// GradRelTol·max(|analytic|, |numeric|), scale being the root mean square
// of all the model's analytic gradient entries, and the check passes when at least GradAgree of all
// the compared entries agree and at least GradTensorAgree of every
// tensor's (of those with at least 4 compared). The tolerance is wider
// than a float64 check's: in float32 the loss of a deep relu net bends
// across many kinks within one step, a few percent on its gradients. Entries whose step crosses a kink (a relu unit or a max-pool
// switch changing: the one-sided slopes disagree) are left out, since the
// difference quotient is no derivative there; a wrong gradient makes most
// of its tensor's smooth entries disagree.
const (
	GradExamples    = 4
	GradEntries     = 8
	GradEps         = 1e-3
	GradRelTol      = 5e-2
	GradAbsTol      = 1e-2
	GradAgree       = 0.85
	GradTensorAgree = 0.5
)

// gradTensorMin is the fewest compared entries for which a tensor's share
// counts (the kinks may leave one or two).
const gradTensorMin = 4

// GradCheck compares the model's backward pass with finite differences of
// its loss.
type GradCheck struct {
	Examples int `json:"examples"`
	Entries  int `json:"entries"` // entries compared
	Agree    int `json:"agree"`   // entries within tolerance
	// Kinked counts the sampled entries left out because the step crossed
	// a kink: the slopes left and right of the weight disagree.
	Kinked int `json:"kinked"`
	// Worst is the largest relative error |a − n| / max(|a|, |n|) of the
	// entries that disagree and WorstParam the entry ("fc1.weight[17]").
	Worst      float64 `json:"worst_rel_error"`
	WorstParam string  `json:"worst_param"`
	// WorstTensor is the parameter with the smallest share of agreeing
	// entries, WorstTensorAgree that share.
	WorstTensor      string  `json:"worst_tensor"`
	WorstTensorAgree float64 `json:"worst_tensor_agree"`
	Passed           bool    `json:"passed"`
	Diagnosis        string  `json:"diagnosis,omitempty"`
}

// gradCheck runs the gradient check on a fresh model m in training mode
// (batch statistics; the dropout masks of one fixed step) on the first
// GradExamples examples of d. The loss is the mean cross-entropy, summed in
// float64 over float32 logits; the penalty is left out.
func gradCheck(m *model.Model, d *data.Dataset, seed uint64, pool *tensor.Pool) GradCheck {
	n := min(GradExamples, d.N)
	gc := GradCheck{Examples: n}
	if n == 0 {
		gc.Diagnosis = "no training examples to check the gradients on"
		return gc
	}
	x := tensor.FromData(d.Range(nil, 0, n), n, d.C, d.H, d.W)
	y := d.Y[:n]
	ctx := &nn.Context{Train: true, Seed: seed, Pool: pool}
	var ce nn.SoftmaxCrossEntropy
	loss := func() float64 {
		l, _ := ce.Forward(m.Net.Forward(ctx, x), y)
		return l
	}
	params := m.Params()
	nn.ZeroGrad(params)
	base := loss()
	m.Net.Backward(ctx, ce.Backward())
	analytic := make([][]float32, len(params))
	for i, p := range params {
		analytic[i] = slices.Clone(p.Grad.Data)
	}
	// The absolute tolerance is relative to the root mean square of every
	// gradient entry: a tensor whose gradients nearly cancel (a batch-norm
	// bias that the next batch norm re-centres) is compared at the model's
	// scale, not at its own tiny one, where kinks and float32 round-off
	// dominate.
	var ss float64
	var count int
	for _, g := range analytic {
		for _, v := range g {
			ss += float64(v) * float64(v)
		}
		count += len(g)
	}
	scale := math.Sqrt(ss / float64(max(count, 1)))
	r := rand.New(rand.NewPCG(seed, 0x9c))
	gc.WorstTensorAgree = 1
	for i, p := range params {
		entries, agree := 0, 0
		w := p.Value.Data
		for k := 0; k < min(GradEntries, len(w)); k++ {
			j := r.IntN(len(w))
			old := w[j]
			w[j] = old + GradEps
			up := loss()
			w[j] = old - GradEps
			down := loss()
			w[j] = old
			num := (up - down) / (2 * GradEps)
			// A step that crosses a kink (a relu unit or a max-pool
			// switch changing) shows as one-sided slopes that disagree:
			// the difference quotient is no derivative there, skip it.
			right, left := (up-base)/GradEps, (base-down)/GradEps
			if math.Abs(right-left) > GradAbsTol*scale+GradRelTol*max(math.Abs(right), math.Abs(left)) {
				gc.Kinked++
				continue
			}
			a := float64(analytic[i][j])
			diff := math.Abs(a - num)
			entries++
			den := max(math.Abs(a), math.Abs(num))
			if diff <= GradAbsTol*scale+GradRelTol*den {
				agree++
			} else if diff/den > gc.Worst {
				gc.Worst, gc.WorstParam = diff/den, fmt.Sprintf("%s[%d]", p.Name, j)
			}
		}
		gc.Entries += entries
		gc.Agree += agree
		if f := float64(agree) / float64(max(entries, 1)); entries >= gradTensorMin && f < gc.WorstTensorAgree {
			gc.WorstTensor, gc.WorstTensorAgree = p.Name, f
		}
	}
	gc.Passed = gc.Entries > 0 && float64(gc.Agree) >= GradAgree*float64(gc.Entries) && gc.WorstTensorAgree >= GradTensorAgree
	switch {
	case gc.Entries == 0:
		gc.Diagnosis = fmt.Sprintf("every one of the %d sampled entries crossed a kink: no gradient could be checked", gc.Kinked)
	case !gc.Passed:
		gc.Diagnosis = fmt.Sprintf("%d of %d sampled gradient entries match finite differences, %.0f%% of %s's (worst entry %s, relative error %.3g): the backward pass disagrees with the forward pass; a layer's gradient is wrong", gc.Agree, gc.Entries, 100*gc.WorstTensorAgree, gc.WorstTensor, gc.WorstParam, gc.Worst)
	}
	return gc
}

// DataCheck describes the training split as the model sees it, after
// preprocessing.
type DataCheck struct {
	Examples  int     `json:"examples"`
	Method    string  `json:"preprocess"` // preprocess.method
	Mean      float64 `json:"mean"`       // over every input value
	Std       float64 `json:"std"`
	NonFinite int     `json:"non_finite"` // NaN or ±Inf input values
	// Counts[c] is the number of training examples of class c.
	Counts []int `json:"label_counts"`
	// Normalized says mean ≈ 0 and std ≈ 1 (within DataTolerance), as a
	// standardizing preprocess gives; Passed also needs every input finite
	// and every class present.
	Normalized bool   `json:"normalized"`
	Passed     bool   `json:"passed"`
	Diagnosis  string `json:"diagnosis,omitempty"`
}

// DataTolerance bounds |mean| and |std − 1| of normalized inputs.
const DataTolerance = 0.1

// dataCheck checks the preprocessed training split d of a run with
// preprocess.method method.
func dataCheck(d *data.Dataset, method string) DataCheck {
	dc := DataCheck{Examples: d.N, Method: method, Counts: make([]int, d.Classes)}
	var sum, sq float64
	finite := 0
	buf := make([]float32, d.FeatureLen())
	for i := range d.N {
		for _, v := range d.Range(buf, i, 1) {
			f := float64(v)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				dc.NonFinite++
				continue
			}
			sum += f
			sq += f * f
			finite++
		}
	}
	if finite > 0 {
		dc.Mean = sum / float64(finite)
		dc.Std = math.Sqrt(max(0, sq/float64(finite)-dc.Mean*dc.Mean))
	}
	for _, y := range d.Y[:d.N] {
		if int(y) < len(dc.Counts) {
			dc.Counts[y]++
		}
	}
	dc.Normalized = math.Abs(dc.Mean) <= DataTolerance && math.Abs(dc.Std-1) <= DataTolerance
	var missing []string
	for c, n := range dc.Counts {
		if n == 0 {
			missing = append(missing, fmt.Sprint(c))
		}
	}
	var why []string
	if dc.NonFinite > 0 {
		why = append(why, fmt.Sprintf("%d input values are NaN or infinite: check the data files and the preprocessing (preprocess.epsilon)", dc.NonFinite))
	}
	if !dc.Normalized {
		why = append(why, fmt.Sprintf("the inputs have mean %.3g and std %.3g after preprocess.method %s, not about 0 and 1: standardize them (preprocess.method: global or channel)", dc.Mean, dc.Std, method))
	}
	if len(missing) > 0 {
		why = append(why, fmt.Sprintf("class %s has no training example: the model cannot learn it (check the labels, data.train_limit and data.val_split)", strings.Join(missing, ", ")))
	}
	dc.Passed = len(why) == 0
	dc.Diagnosis = strings.Join(why, "; ")
	return dc
}

// Verdict is one row of the sanity checks' summary.
type Verdict struct {
	Check  string `json:"check"`
	Passed bool   `json:"passed"`
	Value  string `json:"value"`          // what was measured, in a few words
	Hint   string `json:"hint,omitempty"` // the practitioner's fix, when it failed
}

// Verdicts lists every check with its outcome, in the order they ran.
func (r *SanityReport) Verdicts() []Verdict {
	ic, oc, dc, gc := r.InitialLoss, r.Overfit, r.Data, r.Gradients
	return []Verdict{
		{"data", dc.Passed, fmt.Sprintf("mean %.3g, std %.3g, %d classes, %d non-finite", dc.Mean, dc.Std, len(dc.Counts), dc.NonFinite), dc.Diagnosis},
		{"initial loss", ic.Passed, fmt.Sprintf("%.4f vs ln(%d) = %.4f", ic.Loss, r.Classes, ic.Expected), ic.Diagnosis},
		{"gradients", gc.Passed, fmt.Sprintf("%d of %d entries match finite differences", gc.Agree, gc.Entries), gc.Diagnosis},
		{"overfit", oc.Passed, fmt.Sprintf("train accuracy %.4f in %d steps", oc.TrainAcc, oc.Steps), oc.Diagnosis},
	}
}
