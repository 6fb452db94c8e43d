package data

import (
	"slices"
	"testing"
)

// epochOrder runs one epoch of l and returns the example ids (first value of
// each example, see markedDataset) in the order served, checking batch sizes
// and that labels travel with their examples.
func epochOrder(t *testing.T, l *Loader, e int) []int {
	t.Helper()
	l.Epoch(e)
	d := l.d
	f := d.FeatureLen()
	x := make([]float32, l.batchSize*f)
	y := make([]int32, l.batchSize)
	var ids []int
	nb := l.NumBatches()
	for b := range nb {
		bs := l.Batch(b, x, y)
		want := l.batchSize
		if b == nb-1 && !l.dropLast && d.N%l.batchSize != 0 {
			want = d.N % l.batchSize
		}
		if bs != want {
			t.Fatalf("batch %d/%d: size %d, want %d", b, nb, bs, want)
		}
		for j := range bs {
			id := int(x[j*f])
			if y[j] != d.Y[id] || !slices.Equal(x[j*f:(j+1)*f], d.Example(id)) {
				t.Fatalf("batch %d row %d does not match example %d", b, j, id)
			}
			ids = append(ids, id)
		}
	}
	return ids
}

func TestLoader(t *testing.T) {
	tests := []struct {
		n, bs             int
		shuffle, dropLast bool
		wantBatches       int
	}{
		{10, 3, false, false, 4},
		{10, 3, false, true, 3},
		{10, 3, true, false, 4},
		{10, 3, true, true, 3},
		{12, 4, true, true, 3},
		{12, 4, true, false, 3},
		{5, 8, true, false, 1},
		{5, 8, true, true, 0},
		{1, 1, true, false, 1},
		{0, 4, true, false, 0},
		{1000, 64, true, false, 16},
		{1000, 64, true, true, 15},
	}
	for _, tt := range tests {
		d := markedDataset(tt.n, 1, 2, 3, 7)
		l := NewLoader(d, tt.bs, tt.shuffle, tt.dropLast, 1234)
		if got := l.NumBatches(); got != tt.wantBatches {
			t.Fatalf("%+v: NumBatches = %d, want %d", tt, got, tt.wantBatches)
		}
		for e := range 3 {
			ids := epochOrder(t, l, e)
			if len(ids) != tt.wantBatches*tt.bs && !(!tt.dropLast && len(ids) == tt.n) {
				t.Fatalf("%+v epoch %d: %d examples served", tt, e, len(ids))
			}
			seen := make([]bool, tt.n)
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("%+v epoch %d: example %d served twice", tt, e, id)
				}
				seen[id] = true
			}
			if !tt.dropLast && len(ids) != tt.n {
				t.Fatalf("%+v epoch %d: %d of %d examples served", tt, e, len(ids), tt.n)
			}
			if !tt.shuffle {
				for i, id := range ids {
					if id != i {
						t.Fatalf("%+v: unshuffled order %v", tt, ids)
					}
				}
			}
		}
	}
}

func TestLoaderShuffleDeterminism(t *testing.T) {
	d := markedDataset(200, 1, 1, 2, 10)
	a := NewLoader(d, 16, true, false, 77)
	b := NewLoader(d, 16, true, false, 77)
	other := NewLoader(d, 16, true, false, 78)

	e0 := epochOrder(t, a, 0)
	e1 := epochOrder(t, a, 1)
	e5 := epochOrder(t, a, 5)
	if slices.Equal(e0, e1) || slices.Equal(e1, e5) {
		t.Error("different epochs gave the same order")
	}
	if slices.IsSorted(e0) {
		t.Error("shuffled epoch 0 is in dataset order")
	}
	// Same (seed, epoch) -> same order, whatever happened before: a fresh
	// loader jumping straight to epoch 5 (resume) and a replay of epoch 0.
	if got := epochOrder(t, b, 5); !slices.Equal(got, e5) {
		t.Error("epoch 5 of a fresh loader differs")
	}
	if got := epochOrder(t, a, 0); !slices.Equal(got, e0) {
		t.Error("replaying epoch 0 differs")
	}
	if got := epochOrder(t, other, 0); slices.Equal(got, e0) {
		t.Error("different seeds gave the same order")
	}
	// The loader prepares epoch 0 on creation.
	c := NewLoader(d, 16, true, false, 77)
	x, y := make([]float32, 16*2), make([]int32, 16)
	c.Batch(0, x, y)
	for j := range 16 {
		if int(x[j*2]) != e0[j] {
			t.Fatal("NewLoader did not prepare epoch 0")
		}
	}
}

func TestLoaderDropLastTail(t *testing.T) {
	d := markedDataset(10, 1, 1, 1, 2)
	x, y := make([]float32, 4), make([]int32, 4)

	keep := NewLoader(d, 4, false, false, 0)
	if n := keep.Batch(2, x, y); n != 2 || x[0] != 8 || x[1] != 9 {
		t.Errorf("last short batch: size %d, x %v", n, x[:n])
	}
	drop := NewLoader(d, 4, false, true, 0)
	if drop.NumBatches() != 2 {
		t.Fatalf("dropLast NumBatches = %d, want 2", drop.NumBatches())
	}
	if n := drop.Batch(1, x, y); n != 4 || x[3] != 7 {
		t.Errorf("dropLast last batch: size %d, x %v", n, x[:n])
	}
}

func TestLoaderPanics(t *testing.T) {
	d := markedDataset(10, 1, 1, 2, 2)
	l := NewLoader(d, 4, true, false, 0)
	tests := []struct {
		name string
		f    func()
	}{
		{"batch -1", func() { l.Batch(-1, make([]float32, 8), make([]int32, 4)) }},
		{"batch past end", func() { l.Batch(3, make([]float32, 8), make([]int32, 4)) }},
		{"x too short", func() { l.Batch(0, make([]float32, 7), make([]int32, 4)) }},
		{"y too short", func() { l.Batch(0, make([]float32, 8), make([]int32, 3)) }},
		{"batch size 0", func() { NewLoader(d, 0, false, false, 0) }},
		{"nil dataset", func() { NewLoader(nil, 1, false, false, 0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tt.f()
		})
	}
	// The short last batch needs only its own size.
	if n := l.Batch(2, make([]float32, 4), make([]int32, 2)); n != 2 {
		t.Errorf("short last batch size %d", n)
	}
}
