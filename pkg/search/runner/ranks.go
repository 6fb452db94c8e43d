package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nettrain/nettrain/pkg/dist"
)

// tickEvery is how often the ranks of a distributed search exchange their
// messages: job assignments from rank 0, results from the others. A
// trial's job takes seconds at least, so a few hundredths of a second of
// delay at its start and end are lost in it.
const tickEvery = 50 * time.Millisecond

// assignment is rank 0's order to another rank to train Job.
type assignment struct {
	Rank int   `json:"rank"`
	Seq  int64 `json:"seq"`
	Job  Job   `json:"job"`
}

// finished is a rank's report of an assignment's end.
type finished struct {
	Seq    int64     `json:"seq"`
	Result JobResult `json:"result"`
}

// tickMessage is what one rank says at a tick: rank 0 its assignments and
// whether the search is interrupted or over, the others their results.
type tickMessage struct {
	Assign    []assignment `json:"assign,omitempty"`
	Done      []finished   `json:"done,omitempty"`
	Interrupt bool         `json:"interrupt,omitempty"`
	Quit      bool         `json:"quit,omitempty"`
}

// Ranks is the Launcher of a search spread over the ranks of an MPI job
// (`mpirun -np N nettrain search`): rank 0 runs the search with
// Options.Parallel = Slots(), and each job goes to a free slot — PerRank
// of them on every rank, rank 0's included. Rank 0 trains its own slots'
// jobs with Local; the other ranks run Work, which trains theirs. The
// ranks exchange assignments and results every tickEvery through
// dist.Exchange; the trials' folders are on a file system all ranks share,
// as the search folder is.
//
// A trial's process that is killed makes its job Lost, and the search
// reruns it from its last checkpoint. A rank that dies ends the whole MPI
// job (mpirun stops the others); `nettrain search --resume` then
// continues every unfinished trial from its checkpoint.
type Ranks struct {
	comm    dist.Comm
	local   Launcher
	perRank int

	mu          sync.Mutex
	busy        []bool // by slot
	outbox      []assignment
	waiting     map[int64]chan JobResult
	seq         int64
	interrupted bool
	quitting    bool
	err         error         // why the exchange loop ended early
	dead        chan struct{} // closed when the exchange loop ends
}

// NewRanks starts rank 0's side of a distributed search over comm's
// ranks, perRank jobs at once on each. Close it when the search is done
// (also after an error): the other ranks' Work returns then.
func NewRanks(comm dist.Comm, local Launcher, perRank int) *Ranks {
	r := &Ranks{
		comm: comm, local: local, perRank: max(perRank, 1),
		waiting: map[int64]chan JobResult{}, dead: make(chan struct{}),
	}
	r.busy = make([]bool, comm.Size()*r.perRank)
	go r.exchangeLoop()
	return r
}

// Slots is the number of jobs the ranks train at once: Options.Parallel.
func (r *Ranks) Slots() int { return len(r.busy) }

// Launch trains j on a free slot and waits for its result.
func (r *Ranks) Launch(j Job, interrupt <-chan struct{}) JobResult {
	r.mu.Lock()
	slot := -1
	for s, b := range r.busy {
		if !b {
			slot = s
			break
		}
	}
	if slot < 0 {
		r.mu.Unlock()
		return JobResult{Outcome: Failed, Err: fmt.Sprintf("distributed search: all %d slots are busy", len(r.busy))}
	}
	r.busy[slot] = true
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.busy[slot] = false
		r.mu.Unlock()
	}()
	if slot < r.perRank { // one of rank 0's own
		return r.local.Launch(j, interrupt)
	}

	r.mu.Lock()
	if r.err != nil {
		r.mu.Unlock()
		return JobResult{Outcome: Failed, Err: r.err.Error()}
	}
	r.seq++
	seq := r.seq
	ch := make(chan JobResult, 1)
	r.waiting[seq] = ch
	j.Rank = slot / r.perRank
	r.outbox = append(r.outbox, assignment{Rank: j.Rank, Seq: seq, Job: j})
	r.mu.Unlock()
	for {
		select {
		case res := <-ch:
			return res
		case <-r.dead:
			r.mu.Lock()
			err := r.err
			r.mu.Unlock()
			return JobResult{Outcome: Failed, Err: fmt.Sprintf("rank %d's job: %v", slot/r.perRank, err)}
		case <-interrupt:
			// Forwarded at the next tick; the rank stops the trial
			// resumably and reports Stopped.
			r.mu.Lock()
			r.interrupted = true
			r.mu.Unlock()
			interrupt = nil
		}
	}
}

// Close tells the other ranks that the search is over, once no job is
// out with them, and waits for the exchange loop to end. It returns the
// error that ended the loop early, if one did.
func (r *Ranks) Close() error {
	r.mu.Lock()
	r.quitting = true
	r.mu.Unlock()
	<-r.dead
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// exchangeLoop is rank 0's side of the ticks: send the new assignments and
// flags, take in the other ranks' results, until Close has been called and
// no job is out.
func (r *Ranks) exchangeLoop() {
	defer close(r.dead)
	for {
		time.Sleep(tickEvery)
		r.mu.Lock()
		msg := tickMessage{Assign: r.outbox, Interrupt: r.interrupted, Quit: r.quitting && len(r.waiting) == 0}
		r.outbox = nil
		r.mu.Unlock()
		msgs, err := exchange(r.comm, msg)
		if err != nil {
			r.fail(err)
			return
		}
		r.mu.Lock()
		for _, m := range msgs[1:] {
			for _, d := range m.Done {
				if ch, ok := r.waiting[d.Seq]; ok {
					ch <- d.Result
					delete(r.waiting, d.Seq)
				}
			}
		}
		r.mu.Unlock()
		if msg.Quit {
			return
		}
	}
}

// fail records why the exchange loop ended.
func (r *Ranks) fail(err error) {
	r.mu.Lock()
	r.err = err
	r.mu.Unlock()
}

// exchange sends this rank's message at a tick and decodes every rank's.
func exchange(comm dist.Comm, msg tickMessage) ([]tickMessage, error) {
	b, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	raw, err := dist.Exchange(comm, b)
	if err != nil {
		return nil, err
	}
	out := make([]tickMessage, len(raw))
	for rank, b := range raw {
		if len(b) == 0 {
			continue
		}
		if err := json.Unmarshal(b, &out[rank]); err != nil {
			return nil, fmt.Errorf("distributed search: rank %d's message: %w", rank, err)
		}
	}
	return out, nil
}

// Work is the side of a distributed search on a rank other than 0: it
// trains the jobs rank 0 assigns to this rank with local, reports their results, and returns when rank 0 says the search
// is over. A closed interrupt (the rank's own signal) or rank 0's
// interrupt stops the running jobs resumably. Rank 0 never assigns a rank
// more jobs than its slots.
func Work(comm dist.Comm, local Launcher, interrupt <-chan struct{}) error {
	if comm.Rank() == 0 {
		return errors.New("distributed search: Work runs on the ranks other than 0")
	}
	stop := make(chan struct{})
	var stopOnce sync.Once
	stopJobs := func() { stopOnce.Do(func() { close(stop) }) }
	results := make(chan finished, 64)
	var running sync.WaitGroup
	defer running.Wait()
	var done []finished
	for {
		time.Sleep(tickEvery)
		select {
		case <-interrupt:
			stopJobs()
			interrupt = nil
		default:
		}
	drain:
		for {
			select {
			case f := <-results:
				done = append(done, f)
			default:
				break drain
			}
		}
		msgs, err := exchange(comm, tickMessage{Done: done})
		if err != nil {
			stopJobs()
			return err
		}
		done = nil
		boss := msgs[0]
		if boss.Interrupt {
			stopJobs()
		}
		if boss.Quit {
			return nil
		}
		for _, a := range boss.Assign {
			if a.Rank != comm.Rank() {
				continue
			}
			running.Add(1)
			go func() {
				defer running.Done()
				results <- finished{Seq: a.Seq, Result: local.Launch(a.Job, stop)}
			}()
		}
	}
}
