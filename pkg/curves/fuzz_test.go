package curves

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

// FuzzReadTable: any bytes read as metrics.csv or steps.csv give a table
// whose columns all have one value per row and whose counters are whole
// numbers, or a *ParseError — never a panic. Diagnose and StepEpochs on
// what was read do not panic either.
func FuzzReadTable(f *testing.F) {
	f.Add([]byte(okMetrics), false)
	f.Add([]byte(okSteps), true)
	f.Add([]byte("epoch,train_loss,extra\n1,NaN,\n2,+Inf,x\n"), false)
	f.Add([]byte("step,epoch,batch,lr,loss,acc,grad_norm,update_ratio:a\n1,1,1,0.1,2,0.5,1,0.001\n2,1,2,0.1,2,0.5,,\n"), true)
	f.Add([]byte("epoch,train_loss\n\"1\n,2\n"), false)
	f.Add([]byte(""), true)
	f.Fuzz(func(t *testing.T, b []byte, steps bool) {
		spec := metricsSpec
		if steps {
			spec = stepsSpec
		}
		tab, err := readTable(bytes.NewReader(b), "f.csv", spec)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v, want a *ParseError", err, err)
			}
			return
		}
		for j, c := range tab.Columns {
			if len(tab.Values[j]) != tab.Rows() {
				t.Fatalf("column %q has %d values, %d rows", c, len(tab.Values[j]), tab.Rows())
			}
		}
		for _, v := range tab.Column("epoch") {
			if v < 0 || v != math.Trunc(v) {
				t.Fatalf("epoch %v", v)
			}
		}
		r := &Run{Name: "fuzz", Epochs: tab}
		if steps {
			r.Epochs = &Table{Columns: []string{"epoch", "train_loss"}, Values: [][]float64{nil, nil}}
			r.Steps = tab
			_ = StepEpochs(tab)
		}
		if d := Diagnose(r); len(d.Verdicts) == 0 {
			t.Fatal("no verdict")
		}
	})
}
