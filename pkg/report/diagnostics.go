package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/nn"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// Init diagnostics: per-layer activation statistics of a fresh model on one
// batch, the experiment of CS231n's "weight initialization" lecture. A deep
// tanh net with a too-small init (normal, std 0.01) sends its activations to
// zero layer by layer; Xavier keeps their scale for tanh; for ReLU, Kaiming
// keeps it while Xavier loses a factor √2 of std at every layer.

// DiagnosticExamples is the most examples the init diagnostics look at: the
// first ones of the initial-loss sample.
const DiagnosticExamples = 256

// Flags of a layer's statistics (LayerStats.Flag).
const (
	FlagCollapsed = "collapsed"
	FlagExploding = "exploding"
	FlagSaturated = "saturated"
	FlagDead      = "dead"
	// FlagSymmetric marks a layer whose units all compute the same value on
	// every example: a zero or constant init never breaks that symmetry.
	FlagSymmetric = "symmetric"
)

// Thresholds of the flags. Only activation layers and the logits (the last
// layer) are flagged: a linear layer's output is a pre-activation whose
// trouble shows in the activation that follows it.
//
// The yardstick for "collapsed" and "exploding" is the std of the first
// activation layer's output (the first layer's output when the net has no
// activation): activations are compared with activations, since a
// pre-activation (or the input) legitimately has another scale than a
// bounded tanh or sigmoid output. This is how the lecture's plots read.
const (
	// CollapseFraction: an activation whose std is below 0.1× the first
	// activation's is "collapsed". A healthy init keeps the ratio near 1
	// (measured after 10 layers of width 256: Kaiming for relu 1.2, Xavier
	// for tanh 0.34; see the tests), while a too-small init shrinks it
	// geometrically (normal 0.01 at width 256: ×0.16 a layer, so the third
	// activation is at 0.026×). Xavier on relu puts the k-th relu at
	// 2^(−(k−1)/2)×, below 0.1× from the 8th on, which is worth the
	// warning: that net trains ever more slowly with depth.
	CollapseFraction = 0.1
	// LogitsCollapseFraction is the same bound for the logits, 100× lower:
	// a scaled-down head (model.head_init_scale: 0.1, recommended so the
	// initial loss is ln C) puts the logits near 0.1× the hidden
	// activations on purpose, so only a far smaller ratio means the signal
	// is lost. Logits that are exactly constant (a zero head) are a
	// deliberate choice and not flagged.
	LogitsCollapseFraction = 1e-3
	// ExplodeFactor: a std above 10× the first activation's is
	// "exploding"; a too-large init grows it geometrically (normal std 1 at
	// width 256 under relu: ×11 a layer), a healthy one stays within 2×.
	ExplodeFactor = 10
	// SaturatedLimit: a tanh or sigmoid layer with more than half of its
	// outputs on the flat tails (see TanhSaturation, SigmoidSaturation),
	// where the local gradient is below 0.02 (tanh) or 0.01 (sigmoid), is
	// "saturated": most of the gradient is stopped there. A Xavier-initialized
	// tanh net has only a few percent of its outputs there.
	SaturatedLimit = 0.5
	// DeadLimit: a relu layer where more than half of the units output 0
	// on every example of the batch is "dead": those units get no gradient
	// from any example, and at init there should be almost none (a unit
	// with zero-mean weights is negative on every one of 256 examples only
	// when the inputs share a large common offset or the bias is negative).
	DeadLimit = 0.5
)

// Saturation bounds: |y| > 0.99 for tanh (gradient 1−y² < 0.02), and
// y < 0.01 or y > 0.99 for sigmoid (gradient y(1−y) < 0.0099).
const (
	TanhSaturation    = 0.99
	SigmoidSaturation = 0.01
)

// LayerStats are the statistics of one top-level layer's output on the
// diagnostic batch at initialization.
type LayerStats struct {
	Name string `json:"name"`
	// Kind is the activation's name ("relu", "tanh") or the lower-case
	// layer type ("linear", "flatten", "conv2d").
	Kind string `json:"kind"`
	// Shape is the per-example output shape.
	Shape []int `json:"shape"`
	// Mean and Std are over every output of the batch (finite outputs
	// only; a non-finite output flags the layer "exploding").
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
	// DeadFrac (relu only) is the fraction of units (features, or
	// channels × positions) that are ≤ 0 on every example of the batch.
	DeadFrac float64 `json:"dead_frac"`
	// SaturatedFrac (tanh and sigmoid only) is the fraction of outputs on
	// the flat tails (see TanhSaturation and SigmoidSaturation).
	SaturatedFrac float64 `json:"saturated_frac"`
	// IdenticalUnits is true when the layer has more than one unit and, on
	// every example, all units output the same value.
	IdenticalUnits bool `json:"identical_units"`
	// Flag is "", "symmetric", "collapsed", "exploding", "saturated" or
	// "dead".
	Flag string `json:"flag"`

	nonFinite int  // outputs that are NaN or ±Inf
	act       bool // an activation layer
	logits    bool // the last layer
}

func (s *LayerStats) flaggable() bool { return s.act || s.logits }

// diagReference returns the yardstick of "collapsed" and "exploding": the std
// of the first activation layer's output, or of the first layer's output
// when there is no activation layer, with that layer's name.
func diagReference(stats []LayerStats) (std float64, name string) {
	for _, s := range stats {
		if s.act {
			return s.Std, s.Name
		}
	}
	if len(stats) == 0 {
		return 0, ""
	}
	return stats[0].Std, stats[0].Name
}

// LayerDiagnostics runs m's top-level layers one by one in evaluation mode
// on the batch x, (N, C, H, W), on pool (nil: the calling goroutine), and
// returns the statistics of each layer's output, flagged against the
// thresholds above. It changes no state of m.
func LayerDiagnostics(m *model.Model, x *tensor.Tensor, pool *tensor.Pool) []LayerStats {
	stats := make([]LayerStats, len(m.Net.Layers))
	m.LayerOutputs(x, pool, func(i int, l nn.Named, y *tensor.Tensor) {
		s := &stats[i]
		s.Name, s.Shape = l.Name, slices.Clone(y.Shape[1:])
		s.logits = i == len(stats)-1
		s.Kind = layerKind(l.Layer)
		_, s.act = l.Layer.(*nn.Activation)
		s.measure(y)
	})
	flagStats(stats)
	return stats
}

// layerKind is an activation's registry name, or the layer's description
// up to its settings, in lower case ("Linear(784→256)" → "linear").
func layerKind(l nn.Layer) string {
	if a, ok := l.(*nn.Activation); ok {
		return a.Name()
	}
	d, _, _ := strings.Cut(l.Describe(), "(")
	return strings.ToLower(strings.TrimSpace(d))
}

// measure fills the mean, std, dead and saturated fractions of y, (N, ...).
func (s *LayerStats) measure(y *tensor.Tensor) {
	n := y.Shape[0]
	if n == 0 || len(y.Data) == 0 {
		return
	}
	var sum, sumSq float64
	count, saturated := 0, 0
	for _, v := range y.Data {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			s.nonFinite++
			continue
		}
		count++
		sum += f
		switch s.Kind {
		case "tanh":
			if math.Abs(f) > TanhSaturation {
				saturated++
			}
		case "sigmoid":
			if f < SigmoidSaturation || f > 1-SigmoidSaturation {
				saturated++
			}
		}
	}
	if count == 0 {
		return
	}
	s.Mean = sum / float64(count)
	for _, v := range y.Data {
		if f := float64(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
			sumSq += (f - s.Mean) * (f - s.Mean)
		}
	}
	s.Std = math.Sqrt(sumSq / float64(count))
	s.SaturatedFrac = float64(saturated) / float64(len(y.Data))
	if units := len(y.Data) / n; units > 1 {
		s.IdenticalUnits = true
		for e := 0; e < n && s.IdenticalUnits; e++ {
			row := y.Data[e*units : (e+1)*units]
			for _, v := range row {
				if v != row[0] {
					s.IdenticalUnits = false
					break
				}
			}
		}
	}
	if s.Kind == "relu" {
		units := len(y.Data) / n
		dead := 0
		for u := range units {
			alive := false
			for e := 0; e < n && !alive; e++ {
				alive = y.Data[e*units+u] > 0
			}
			if !alive {
				dead++
			}
		}
		s.DeadFrac = float64(dead) / float64(units)
	}
}

// flagStats sets the Flag of every flaggable layer. When several
// conditions hold, the most specific wins: dead, saturated, exploding,
// collapsed.
func flagStats(stats []LayerStats) {
	ref, _ := diagReference(stats)
	for i := range stats {
		s := &stats[i]
		if !s.flaggable() {
			continue
		}
		collapse := CollapseFraction
		if s.logits {
			collapse = LogitsCollapseFraction
		}
		switch {
		case s.act && s.IdenticalUnits && i > 0 && stats[i-1].IdenticalUnits:
			// Identical inputs too: the weights, not a clamping
			// nonlinearity (all-dead relu), made the units equal.
			s.Flag = FlagSymmetric
		case s.DeadFrac > DeadLimit:
			s.Flag = FlagDead
		case s.SaturatedFrac > SaturatedLimit:
			s.Flag = FlagSaturated
		case s.nonFinite > 0 || (ref > 0 && s.Std > ExplodeFactor*ref):
			s.Flag = FlagExploding
		case s.logits && s.Std == 0:
			// A constant output (zero head): deliberate, not a collapse.
		case s.Std < collapse*ref || (ref == 0 && s.Std == 0):
			s.Flag = FlagCollapsed
		}
	}
}

// DiagnosticWarnings turns the flags into one line of advice per flag, in
// practitioner terms, in the order symmetric, dead, saturated, exploding,
// collapsed.
func DiagnosticWarnings(stats []LayerStats) []string {
	ref, refName := diagReference(stats)
	warnings := []string{}
	for _, flag := range []string{FlagSymmetric, FlagDead, FlagSaturated, FlagExploding, FlagCollapsed} {
		var group []LayerStats
		for _, s := range stats {
			if s.Flag == flag {
				group = append(group, s)
			}
		}
		if len(group) > 0 {
			warnings = append(warnings, flagWarning(flag, group, layerRanges(stats, flag), ref, refName))
		}
	}
	return warnings
}

// layerRanges names the layers flagged flag, runs of consecutive flaggable
// layers written first-last: "layers tanh3-tanh10", "layer relu1",
// "layers relu2, relu5-relu7".
func layerRanges(stats []LayerStats, flag string) string {
	var parts []string
	count := 0
	var first, last string
	flush := func() {
		if first == "" {
			return
		}
		if first == last {
			parts = append(parts, first)
		} else {
			parts = append(parts, first+"-"+last)
		}
		first = ""
	}
	for _, s := range stats {
		if !s.flaggable() {
			continue
		}
		if s.Flag != flag {
			flush()
			continue
		}
		count++
		if first == "" {
			first = s.Name
		}
		last = s.Name
	}
	flush()
	if count == 1 {
		return "layer " + parts[0]
	}
	return "layers " + strings.Join(parts, ", ")
}

// flagWarning describes the layers of group, all flagged flag.
func flagWarning(flag string, group []LayerStats, names string, ref float64, refName string) string {
	var kinds []string
	for _, s := range group {
		k := s.Kind
		if s.logits {
			k = "logits"
		}
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	what := names + " (" + strings.Join(kinds, ", ") + ")"
	plural := len(group) > 1
	verb := func(one, many string) string {
		if plural {
			return many
		}
		return one
	}
	last := group[len(group)-1]
	switch flag {
	case FlagCollapsed:
		return fmt.Sprintf("%s %s toward zero (std %.3g at %s, %.2g at %s): the init is too small for this depth; use xavier_normal for tanh or kaiming_normal for relu (xavier_normal loses a factor √2 of std at every relu)",
			what, verb("collapses", "collapse"), ref, refName, last.Std, last.Name)
	case FlagExploding:
		peak := group[0]
		for _, s := range group {
			if s.nonFinite > 0 || s.Std > peak.Std {
				peak = s
			}
		}
		size := fmt.Sprintf("std %.3g at %s", peak.Std, peak.Name)
		if peak.nonFinite > 0 {
			size = "non-finite outputs at " + peak.Name
		}
		return fmt.Sprintf("%s %s (%s vs %.3g at %s): the init is too large for this depth; use kaiming_normal for relu or xavier_normal for tanh, or a smaller model.init_std",
			what, verb("explodes", "explode"), size, ref, refName)
	case FlagSaturated:
		return fmt.Sprintf("%s %s (up to %.0f%% of the outputs on the flat tails, where the gradient vanishes): the pre-activations are too large; use xavier_normal, or a smaller model.init_std",
			what, verb("saturates", "saturate"), 100*maxOf(group, func(s LayerStats) float64 { return s.SaturatedFrac }))
	case FlagSymmetric:
		return fmt.Sprintf("in %s every unit computes the same value: a zero or constant init never breaks the symmetry (the units get identical gradients and stay identical); use a random init such as kaiming_normal or xavier_normal", what)
	case FlagDead:
		return fmt.Sprintf("%s %s dead units (up to %.0f%% are ≤ 0 on every example, so they get no gradient): a zero init, negative biases or unnormalized inputs; use kaiming_normal on standardized inputs (preprocess.normalize: global), or leaky_relu",
			what, verb("has", "have"), 100*maxOf(group, func(s LayerStats) float64 { return s.DeadFrac }))
	}
	return what + ": " + flag
}

func maxOf(group []LayerStats, f func(LayerStats) float64) float64 {
	m := 0.0
	for _, s := range group {
		m = max(m, f(s))
	}
	return m
}
