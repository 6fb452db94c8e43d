package nn

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/nettrain/nettrain/pkg/tensor"
)

// blockWatcher asks for blocks of rows rows and records what is reported.
type blockWatcher struct {
	rows int
	done []string
	last map[*Param]int
}

func (w *blockWatcher) BlockRows(*Param) int { return w.rows }

func (w *blockWatcher) RowsDone(p *Param, rows int) {
	if rows <= w.last[p] {
		w.done = append(w.done, "not increasing")
	}
	w.last[p] = rows
	w.done = append(w.done, p.Name)
}

// TestLinearGradBlocks computes a Linear layer's gradients in blocks of
// rows for a GradWatcher: the same bits as one multiply, every block
// reported once in increasing order, the bias first.
func TestLinearGradBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	fill := func(d []float32) {
		for i := range d {
			d[i] = float32(r.NormFloat64())
		}
	}
	const n, in, out = 37, 50, 23
	x, dy := tensor.New(n, in), tensor.New(n, out)
	fill(x.Data)
	fill(dy.Data)
	grads := func(w GradWatcher) (dw, db []float32) {
		l := NewLinear(in, out, true)
		l.Weight.Name, l.Bias.Name = "weight", "bias"
		rr := rand.New(rand.NewPCG(5, 6))
		for i := range l.Weight.Value.Data {
			l.Weight.Value.Data[i] = float32(rr.NormFloat64())
		}
		c := &Context{Train: true, Pool: tensor.NewPool(2)}
		defer c.Pool.Close()
		l.Forward(c, x)
		c.Grads = w
		l.Backward(c, dy)
		return l.Weight.Grad.Data, l.Bias.Grad.Data
	}
	wantW, wantB := grads(nil)
	for _, rows := range []int{0, 1, 5, 22, 23, 100} {
		w := &blockWatcher{rows: rows, last: map[*Param]int{}}
		gotW, gotB := grads(w)
		if !slices.Equal(gotW, wantW) || !slices.Equal(gotB, wantB) {
			t.Errorf("blocks of %d rows: the gradients differ from one multiply", rows)
		}
		blocks := 1
		if rows > 0 && rows < out {
			blocks = (out + rows - 1) / rows
		}
		want := []string{"bias"}
		for range blocks {
			want = append(want, "weight")
		}
		if !slices.Equal(w.done, want) {
			t.Errorf("blocks of %d rows: reported %v, want %v", rows, w.done, want)
		}
	}
}
