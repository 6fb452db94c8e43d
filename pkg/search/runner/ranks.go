package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/nettrain/nettrain/pkg/dist"
)

// assignment is rank 0's order to another rank to train Job.
type assignment struct {
	Seq int64 `json:"seq"`
	Job Job   `json:"job"`
}

// order is what rank 0 tells another rank: train a job, stop the jobs
// resumably (the search is interrupted), or end (the search is over).
type order struct {
	Assign    *assignment `json:"assign,omitempty"`
	Interrupt bool        `json:"interrupt,omitempty"`
	Quit      bool        `json:"quit,omitempty"`
}

// finished is a rank's report of an assignment's end.
type finished struct {
	Seq    int64     `json:"seq"`
	Result JobResult `json:"result"`
}

// outstanding is a job out with another rank.
type outstanding struct {
	rank int
	ch   chan JobResult
}

// Ranks is the Launcher of a search spread over the ranks of an MPI job
// (`mpirun -np N nettrain search`): rank 0 runs the search with
// Options.Parallel = Slots(), and each job goes to a free slot — PerRank
// of them on every rank, rank 0's included. Rank 0 trains its own slots'
// jobs with Local; the other ranks run Work, which trains theirs. Orders
// and results travel over the job's control connections (dist.Control);
// the trials' folders are on a file system all ranks share, as the search
// folder is.
//
// A trial's process that is killed makes its job Lost, and the search
// reruns it from its last checkpoint. So does a rank that dies (its
// control connection closes, or it falls silent): its running jobs are
// Lost and rerun on the other ranks' slots, and the search goes on
// without it. mpirun must be told not to stop the job when a rank dies
// (`mpirun --enable-recovery`); without that, it stops every rank and
// `nettrain search --resume` continues the unfinished trials.
type Ranks struct {
	ctl     *dist.Control
	local   Launcher
	perRank int

	mu      sync.Mutex
	free    *sync.Cond // signalled when a slot is freed or a rank dies
	busy    []bool     // by slot
	dead    []error    // by rank: why it is gone
	waiting map[int64]outstanding
	seq     int64
	stopped chan struct{} // closed when the event loop ends
}

// NewRanks starts rank 0's side of a distributed search over ctl's ranks,
// perRank jobs at once on each. Close it when the search is done (also
// after an error): the other ranks' Work returns then.
func NewRanks(ctl *dist.Control, local Launcher, perRank int) *Ranks {
	r := &Ranks{
		ctl: ctl, local: local, perRank: max(perRank, 1),
		dead: make([]error, ctl.Size()), waiting: map[int64]outstanding{},
		stopped: make(chan struct{}),
	}
	r.free = sync.NewCond(&r.mu)
	r.busy = make([]bool, ctl.Size()*r.perRank)
	go r.events()
	return r
}

// Slots is the number of jobs the ranks train at once: Options.Parallel.
func (r *Ranks) Slots() int { return len(r.busy) }

// takeSlot waits for a free slot of a live rank and marks it busy.
func (r *Ranks) takeSlot() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		for s, b := range r.busy {
			if !b && r.dead[s/r.perRank] == nil {
				r.busy[s] = true
				return s
			}
		}
		// Rank 0's slots never die: one frees up when its job ends.
		r.free.Wait()
	}
}

// Launch trains j on a free slot of a live rank and waits for its result.
// A job whose rank dies while training it is Lost.
func (r *Ranks) Launch(j Job, interrupt <-chan struct{}) JobResult {
	slot := r.takeSlot()
	defer func() {
		r.mu.Lock()
		r.busy[slot] = false
		r.free.Broadcast()
		r.mu.Unlock()
	}()
	rank := slot / r.perRank
	if rank == 0 {
		return r.local.Launch(j, interrupt)
	}
	r.mu.Lock()
	r.seq++
	seq := r.seq
	ch := make(chan JobResult, 1)
	r.waiting[seq] = outstanding{rank: rank, ch: ch}
	r.mu.Unlock()
	j.Rank = rank
	if err := r.send(rank, order{Assign: &assignment{Seq: seq, Job: j}}); err != nil {
		r.lose(rank, err)
	}
	for {
		select {
		case res := <-ch:
			return res
		case <-interrupt:
			// The rank stops the trial resumably and reports Stopped.
			_ = r.send(rank, order{Interrupt: true})
			interrupt = nil
		}
	}
}

// send sends o to rank.
func (r *Ranks) send(rank int, o order) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	return r.ctl.Send(rank, b)
}

// events takes in the other ranks' results and losses until the control
// network closes.
func (r *Ranks) events() {
	defer close(r.stopped)
	for e := range r.ctl.Events() {
		switch {
		case e.Gone != nil:
			r.lose(e.From, e.Gone)
			continue
		case e.Left:
			// After Close's quit, or on its own: either way it trains
			// nothing more.
			r.lose(e.From, fmt.Errorf("rank %d left the search", e.From))
			continue
		}
		var f finished
		if err := json.Unmarshal(e.Msg, &f); err != nil {
			r.lose(e.From, fmt.Errorf("rank %d sent an unreadable result: %w", e.From, err))
			continue
		}
		r.mu.Lock()
		if w, ok := r.waiting[f.Seq]; ok && w.rank == e.From {
			w.ch <- f.Result
			delete(r.waiting, f.Seq)
		}
		r.mu.Unlock()
	}
}

// lose takes rank out of the search: its slots take no more jobs, and the
// jobs it was training are Lost (the search reruns them elsewhere).
func (r *Ranks) lose(rank int, why error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dead[rank] == nil {
		r.dead[rank] = why
		// A rank taken for gone that still lives (it fell silent, then
		// woke) stops its trials: they are rerun elsewhere. Sent
		// unlocked, as a send to a dead peer may wait.
		go func() { _ = r.send(rank, order{Quit: true}) }()
	}
	why = r.dead[rank]
	for seq, w := range r.waiting {
		if w.rank == rank {
			w.ch <- JobResult{Outcome: Lost, Err: why.Error()}
			delete(r.waiting, seq)
		}
	}
	r.free.Broadcast()
}

// Lost lists the ranks that died during the search, with why, by rank
// (nil for a live one).
func (r *Ranks) Lost() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.dead...)
}

// Close tells the other live ranks that the search is over: their Work
// stops whatever it still trains, resumably, and returns.
func (r *Ranks) Close() error {
	var errs []error
	for rank := 1; rank < r.ctl.Size(); rank++ {
		r.mu.Lock()
		gone := r.dead[rank] != nil
		r.mu.Unlock()
		if !gone {
			if err := r.send(rank, order{Quit: true}); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Work is the side of a distributed search on a rank other than 0: it
// trains the jobs rank 0 assigns to this rank with local, reports their
// results, and returns when rank 0 says the search is over. A closed
// interrupt (the rank's own signal) or rank 0's interrupt stops the
// running jobs resumably; so does losing rank 0, after which Work returns
// the error. Rank 0 never assigns a rank more jobs than its slots.
func Work(ctl *dist.Control, local Launcher, interrupt <-chan struct{}) error {
	if ctl.Rank() == 0 {
		return errors.New("distributed search: Work runs on the ranks other than 0")
	}
	stop := make(chan struct{})
	var stopOnce sync.Once
	stopJobs := func() { stopOnce.Do(func() { close(stop) }) }
	results := make(chan finished)
	running := 0
	// end stops the running jobs and waits for them.
	end := func(err error) error {
		stopJobs()
		for ; running > 0; running-- {
			<-results
		}
		return err
	}
	events := ctl.Events()
	for {
		select {
		case <-interrupt:
			stopJobs()
			interrupt = nil
		case f := <-results:
			running--
			b, err := json.Marshal(f)
			if err == nil {
				err = ctl.Send(0, b)
			}
			if err != nil {
				return end(fmt.Errorf("distributed search: reporting job %d's result to rank 0: %w", f.Seq, err))
			}
		case e, ok := <-events:
			if !ok {
				return end(errors.New("distributed search: the control connection to rank 0 closed"))
			}
			switch {
			case e.Gone != nil:
				return end(fmt.Errorf("distributed search: %w; this rank's trials stopped at their next step", e.Gone))
			case e.Left:
				return end(errors.New("distributed search: rank 0 left the search without ending it; this rank's trials stopped at their next step"))
			}
			var o order
			if err := json.Unmarshal(e.Msg, &o); err != nil {
				return end(fmt.Errorf("distributed search: rank 0's order: %w", err))
			}
			switch {
			case o.Quit:
				return end(nil)
			case o.Interrupt:
				stopJobs()
			case o.Assign != nil:
				a := *o.Assign
				running++
				go func() {
					results <- finished{Seq: a.Seq, Result: local.Launch(a.Job, stop)}
				}()
			}
		}
	}
}
