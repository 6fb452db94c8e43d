package dist

import (
	"fmt"
	"math"
	"sync"
)

// NewGroup returns the communicators of n ranks that live in one process,
// one per goroutine that trains: the same collectives as MPI's, summed in
// rank order, so a data-parallel job can run (and be tested) without an
// MPI library. Close every member when done.
func NewGroup(n int) []Comm {
	if n < 1 {
		panic(fmt.Sprintf("dist: NewGroup(%d): want at least one rank", n))
	}
	g := &group{n: n, rounds: map[int]*round{}}
	g.cond = sync.NewCond(&g.mu)
	members := make([]Comm, n)
	for r := range n {
		m := &member{g: g, rank: r, work: make(chan func(), queueLen)}
		go m.serve()
		members[r] = m
	}
	return members
}

// queueLen bounds the collectives a member queues ahead of its goroutine.
const queueLen = 1024

// group is the shared state of NewGroup's ranks: the collective rounds in
// progress, by sequence number (every rank makes the same calls in the same
// order, so its k-th call is round k).
type group struct {
	mu     sync.Mutex
	cond   *sync.Cond
	n      int
	rounds map[int]*round
}

// round is one collective: each rank's contribution, and how many ranks
// have read the result.
type round struct {
	in   [][]float64
	got  int // contributions so far
	read int
}

// member is one rank of a group. Its goroutine runs the rank's collectives
// in the order they were called.
type member struct {
	g    *group
	rank int
	seq  int
	work chan func()
}

func (m *member) serve() {
	for f := range m.work {
		f()
	}
}

// start queues f on the member's goroutine.
func (m *member) start(f func() error) *Pending {
	p := &Pending{done: make(chan struct{})}
	m.work <- func() {
		p.err = f()
		close(p.done)
	}
	return p
}

// exchange contributes x to the member's next round, waits for every rank's
// contribution and returns them, indexed by rank. It runs on the member's
// goroutine.
func (m *member) exchange(x []float64) [][]float64 {
	g := m.g
	seq := m.seq
	m.seq++
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.rounds[seq]
	if r == nil {
		r = &round{in: make([][]float64, g.n)}
		g.rounds[seq] = r
	}
	r.in[m.rank] = x
	r.got++
	g.cond.Broadcast()
	for r.got < g.n {
		g.cond.Wait()
	}
	in := r.in
	if r.read++; r.read == g.n {
		delete(g.rounds, seq)
	}
	return in
}

// sum is exchange followed by the rank-order sum of the contributions
// (the same bits on every rank).
func (m *member) sum(x []float64) []float64 {
	in := m.exchange(x)
	out := make([]float64, len(x))
	for _, v := range in {
		if len(v) != len(x) {
			panic(fmt.Sprintf("dist: ranks summed %d and %d values in one collective", len(v), len(x)))
		}
		for i := range out {
			out[i] += v[i]
		}
	}
	return out
}

func (m *member) Rank() int { return m.rank }
func (m *member) Size() int { return m.g.n }

func (m *member) SumFloat32(x []float32) error { return m.StartSumFloat32(x).Wait() }

func (m *member) StartSumFloat32(x []float32) *Pending {
	return m.start(func() error {
		in := m.exchange(f32to64(x))
		for i := range x {
			s := float32(in[0][i]) // float32 sums in rank order, as MPI sums float32
			for _, v := range in[1:] {
				s += float32(v[i])
			}
			x[i] = s
		}
		return nil
	})
}

func (m *member) SumFloat64(x []float64) error {
	return m.start(func() error {
		copy(x, m.sum(append([]float64(nil), x...)))
		return nil
	}).Wait()
}

func (m *member) MaxFloat64(x []float64) error {
	return m.start(func() error {
		in := m.exchange(append([]float64(nil), x...))
		for i := range x {
			for _, v := range in {
				x[i] = max(x[i], v[i])
			}
		}
		return nil
	}).Wait()
}

func (m *member) Broadcast(x []float32, root int) error {
	return m.start(func() error {
		// As bit patterns, which a float64 holds exactly (a NaN's
		// payload would not survive float32 → float64 → float32): a
		// broadcast copies bytes, as MPI's does.
		bits := make([]float64, len(x))
		for i, v := range x {
			bits[i] = float64(math.Float32bits(v))
		}
		in := m.exchange(bits)
		for i := range x {
			x[i] = math.Float32frombits(uint32(in[root][i]))
		}
		return nil
	}).Wait()
}

func (m *member) GatherUint64(v uint64) ([]uint64, error) {
	out := make([]uint64, m.g.n)
	err := m.start(func() error {
		// A float64 holds the value exactly only below 2^53: send it
		// in two halves.
		in := m.exchange([]float64{float64(v >> 32), float64(v & 0xffffffff)})
		for r, x := range in {
			out[r] = uint64(x[0])<<32 | uint64(x[1])
		}
		return nil
	}).Wait()
	return out, err
}

// Close stops the member's goroutine.
func (m *member) Close() error {
	close(m.work)
	return nil
}

// Abort does nothing: in-process ranks end by returning their errors.
func (m *member) Abort(int) {}

// f32to64 widens x (exactly).
func f32to64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}
