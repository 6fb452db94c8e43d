package model

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/nettrain/nettrain/pkg/nn"
)

// Summary writes one row per step of the network's plan (dotted name,
// kind, output shape, parameters, forward FLOPs per example), descending
// into Sequential stages but not into blocks, then the totals. A batch norm
// fused with the relu after it is one row, "bn1+act1" of kind
// "BatchNorm(C)+relu (fused in training)"; a block whose plan fuses
// children says so after its kind ("BasicBlock(16→16, stride 1), fused
// bn1+act1, add+act2"). The totals are those of the layers run apart.
func (m *Model) Summary(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "layer\ttype\toutput\tparams\tFLOPs\n")
	fmt.Fprintf(tw, "input\t\t%s\t\t\n", shapeString(m.InShape))
	summarize(tw, "", m.Net, m.InShape)
	fmt.Fprintf(tw, "total\t\t\t%d\t%s\n", nn.CountParams(m.Params()), humanFLOPs(m.FLOPs()))
	return tw.Flush()
}

// FLOPs returns the forward floating-point operations per example.
func (m *Model) FLOPs() int64 { return nn.CountFLOPs(m.Net, m.InShape) }

// TrainingFLOPs returns the floating-point operations of one example's
// training step in the model's matrix multiplies (see nn.TrainingFLOPs):
// the numerator of model-FLOP utilization.
func (m *Model) TrainingFLOPs() int64 { return nn.TrainingFLOPs(m.Net, m.InShape) }

// InferenceFLOPs is the forward pass of one example in the matrix
// multiplies (nn.InferenceFLOPs): the numerator of inference MFU.
func (m *Model) InferenceFLOPs() int64 { return nn.InferenceFLOPs(m.Net, m.InShape) }

// summarize writes the rows of the steps of s for input shape in and
// returns the output shape.
func summarize(w io.Writer, prefix string, s *nn.Sequential, in []int) []int {
	shape := in
	for _, l := range s.Steps() {
		name := prefix + l.Name
		if sub, ok := l.Layer.(*nn.Sequential); ok {
			shape = summarize(w, name+".", sub, shape)
			continue
		}
		kind := l.Layer.Describe()
		if f, ok := l.Layer.(nn.Fuser); ok && len(f.Fusions()) > 0 {
			kind += ", fused " + strings.Join(f.Fusions(), ", ")
		}
		flops := nn.CountFLOPs(l.Layer, shape)
		shape, _ = l.Layer.OutShape(shape)
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\n", name, kind, shapeString(shape), nn.CountParams(l.Layer.Params()), humanFLOPs(flops))
	}
	return shape
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "(" + strings.Join(parts, ",") + ")"
}

// humanFLOPs formats a FLOP count with a k/M/G suffix.
func humanFLOPs(f int64) string {
	switch {
	case f >= 1e9:
		return fmt.Sprintf("%.2fG", float64(f)/1e9)
	case f >= 1e6:
		return fmt.Sprintf("%.2fM", float64(f)/1e6)
	case f >= 1e3:
		return fmt.Sprintf("%.1fk", float64(f)/1e3)
	}
	return fmt.Sprint(f)
}
