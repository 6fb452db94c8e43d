package dist

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// Control timing. A rank pings its peers every PingEvery; a peer silent
// for SilenceLimit is taken for gone (its node crashed, or its process is
// stopped). A process that dies closes its connections at once, so the
// limit only matters for a rank whose machine stopped answering.
const (
	PingEvery    = time.Second
	SilenceLimit = 20 * time.Second
	// connectWithin bounds how long the ranks take to connect to rank 0.
	connectWithin = time.Minute
	// dialWithin bounds one attempt at one of rank 0's addresses.
	dialWithin = 3 * time.Second
)

// Control is a job's control network: one TCP connection between rank 0
// and each other rank, beside the communicator, as torch.distributed's
// TCPStore is beside its collectives. MPI cannot tell a rank that a peer
// died (OpenMPI 4.1 has no ULFM: a collective with a dead rank never
// returns), but a connection can: the kernel closes a dead process's
// sockets, and a peer that stops answering pings is gone after
// SilenceLimit. A distributed search sends its job assignments and
// results over it and goes on without a rank that died; a data-parallel
// job ends with a message instead of hanging.
//
// Rank 0 sends to every rank; the others send to rank 0 only. Messages
// arrive in order on Events, with one Event whose Gone is set when a peer
// is lost; a peer that called Close is not reported gone.
type Control struct {
	rank, size int
	events     chan Event
	pingEvery  time.Duration
	silence    time.Duration // a peer silent this long is gone

	mu      sync.Mutex
	peers   map[int]*peer
	closing bool
	lost    bool          // a peer was reported gone
	done    chan struct{} // closed by Close: the pingers stop
	wg      sync.WaitGroup
}

// Event is a message from a peer rank, or the news that it is gone.
type Event struct {
	From int
	Msg  []byte
	// Gone is why the peer was lost (its connection closed without
	// goodbye, or it fell silent); Msg is empty then.
	Gone error
	// Left says the peer closed its Control: nothing more comes from it.
	Left bool
}

// frame is one line on a control connection.
type frame struct {
	Kind  string          `json:"k"` // hello, msg, ping, bye
	Rank  int             `json:"r,omitempty"`
	Token string          `json:"t,omitempty"`
	Msg   json.RawMessage `json:"m,omitempty"`
}

// peer is the connection to one other rank.
type peer struct {
	rank int
	conn net.Conn
	wmu  sync.Mutex
	enc  *json.Encoder
}

func (p *peer) send(f frame, within time.Duration) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_ = p.conn.SetWriteDeadline(time.Now().Add(within))
	return p.enc.Encode(f)
}

// rendezvous is what rank 0 tells the others: where it listens, and the
// token that proves a connection comes from this job.
type rendezvous struct {
	Addrs []string `json:"addrs"`
	Token string   `json:"token"`
}

// ConnectControl connects the ranks of c: a collective, called by every
// rank at the same point. Rank 0 listens on every interface on a port the
// system picks and tells the others its addresses (through c); each dials
// them in turn until one answers. Close it before c.
func ConnectControl(c Comm) (*Control, error) {
	return connectControl(c, PingEvery, SilenceLimit)
}

// connectControl is ConnectControl with this rank's ping interval and
// silence limit.
func connectControl(c Comm, pingEvery, silence time.Duration) (*Control, error) {
	ctl := &Control{
		rank: c.Rank(), size: c.Size(), events: make(chan Event, 64),
		peers: map[int]*peer{}, done: make(chan struct{}),
		pingEvery: pingEvery, silence: silence,
	}
	if ctl.size == 1 {
		return ctl, nil
	}
	var ln net.Listener
	var msg []byte
	if ctl.rank == 0 {
		token := make([]byte, 16)
		_, err := rand.Read(token)
		if err == nil {
			ln, err = net.Listen("tcp", ":0")
		}
		if err != nil {
			// The others learn of the failure from the empty message.
			_, _ = Exchange(c, nil)
			return nil, fmt.Errorf("control connection: rank 0 cannot listen: %w", err)
		}
		defer ln.Close()
		rv := rendezvous{Addrs: listenAddrs(ln.Addr().(*net.TCPAddr).Port), Token: hex.EncodeToString(token)}
		msg, _ = json.Marshal(rv)
	}
	msgs, err := Exchange(c, msg)
	if err != nil {
		return nil, fmt.Errorf("control connection: %w", err)
	}
	var rv rendezvous
	if len(msgs[0]) == 0 {
		return nil, errors.New("control connection: rank 0 could not listen")
	}
	if err := json.Unmarshal(msgs[0], &rv); err != nil {
		return nil, fmt.Errorf("control connection: rank 0's addresses: %w", err)
	}
	if ctl.rank == 0 {
		err = ctl.accept(ln, rv.Token)
	} else {
		err = ctl.dial(rv)
	}
	if err != nil {
		ctl.Close()
		return nil, err
	}
	for _, p := range ctl.peers {
		ctl.wg.Add(2)
		go ctl.read(p)
		go ctl.ping(p)
	}
	return ctl, nil
}

// listenAddrs is every address of this machine's interfaces at port,
// loopback last (it only serves ranks on this machine).
func listenAddrs(port int) []string {
	var out, loop []string
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		ip, ok := a.(*net.IPNet)
		if !ok || ip.IP.IsLinkLocalUnicast() || ip.IP.IsMulticast() {
			continue
		}
		hp := net.JoinHostPort(ip.IP.String(), fmt.Sprint(port))
		if ip.IP.IsLoopback() {
			loop = append(loop, hp)
		} else {
			out = append(out, hp)
		}
	}
	if len(loop) == 0 {
		loop = []string{net.JoinHostPort("127.0.0.1", fmt.Sprint(port))}
	}
	return append(out, loop...)
}

// accept takes the other ranks' connections on rank 0.
func (ctl *Control) accept(ln net.Listener, token string) error {
	deadline := time.Now().Add(connectWithin)
	if tl, ok := ln.(*net.TCPListener); ok {
		_ = tl.SetDeadline(deadline)
	}
	for len(ctl.peers) < ctl.size-1 {
		conn, err := ln.Accept()
		if err != nil {
			return fmt.Errorf("control connection: rank 0 heard from %d of the %d other ranks within %v: %w", len(ctl.peers), ctl.size-1, connectWithin, err)
		}
		_ = conn.SetReadDeadline(deadline)
		var hello frame
		if err := json.NewDecoder(io.LimitReader(conn, 4096)).Decode(&hello); err != nil || hello.Kind != "hello" || hello.Token != token ||
			hello.Rank <= 0 || hello.Rank >= ctl.size || ctl.peers[hello.Rank] != nil {
			conn.Close() // not one of this job's ranks
			continue
		}
		_ = conn.SetReadDeadline(time.Time{})
		ctl.peers[hello.Rank] = &peer{rank: hello.Rank, conn: conn, enc: json.NewEncoder(conn)}
	}
	return nil
}

// dial connects a rank other than 0 to rank 0.
func (ctl *Control) dial(rv rendezvous) error {
	var errs []string
	for _, addr := range rv.Addrs {
		conn, err := net.DialTimeout("tcp", addr, dialWithin)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		p := &peer{rank: 0, conn: conn, enc: json.NewEncoder(conn)}
		if err := p.send(frame{Kind: "hello", Rank: ctl.rank, Token: rv.Token}, dialWithin); err != nil {
			conn.Close()
			errs = append(errs, err.Error())
			continue
		}
		ctl.peers[0] = p
		return nil
	}
	return fmt.Errorf("control connection: rank %d cannot reach rank 0 at %s: %s", ctl.rank, strings.Join(rv.Addrs, ", "), strings.Join(errs, "; "))
}

// read delivers p's messages until its connection ends.
func (ctl *Control) read(p *peer) {
	defer ctl.wg.Done()
	r := bufio.NewReader(p.conn)
	dec := json.NewDecoder(r)
	for {
		_ = p.conn.SetReadDeadline(time.Now().Add(ctl.silence))
		var f frame
		err := dec.Decode(&f)
		if err == nil {
			switch f.Kind {
			case "ping":
				continue
			case "bye":
				p.conn.Close()
				ctl.deliver(Event{From: p.rank, Left: true})
				return
			case "msg":
				if len(f.Msg) == 0 {
					err = errors.New("it sent a message without content")
					break
				}
				if !ctl.deliver(Event{From: p.rank, Msg: f.Msg}) {
					return
				}
				continue
			default:
				err = fmt.Errorf("it sent an unknown frame %q", f.Kind)
			}
		}
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			err = fmt.Errorf("no word from it for %v", ctl.silence)
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			err = errors.New("its connection closed (the process ended)")
		}
		p.conn.Close()
		ctl.mu.Lock()
		ctl.lost = true
		ctl.mu.Unlock()
		ctl.deliver(Event{From: p.rank, Gone: fmt.Errorf("rank %d is gone: %w", p.rank, err)})
		return
	}
}

// deliver puts e on Events unless the control is closing; it reports
// whether the reader should go on.
func (ctl *Control) deliver(e Event) bool {
	select {
	case <-ctl.done:
		return false
	default:
	}
	select {
	case ctl.events <- e:
		return true
	case <-ctl.done:
		return false
	}
}

// ping keeps p's connection from falling silent.
func (ctl *Control) ping(p *peer) {
	defer ctl.wg.Done()
	t := time.NewTicker(ctl.pingEvery)
	defer t.Stop()
	for {
		select {
		case <-ctl.done:
			return
		case <-t.C:
			if p.send(frame{Kind: "ping"}, ctl.silence) != nil {
				return // the reader reports the peer gone
			}
		}
	}
}

// Rank is this rank.
func (ctl *Control) Rank() int { return ctl.rank }

// Size is the number of ranks.
func (ctl *Control) Size() int { return ctl.size }

// PeerLost reports whether a peer was reported gone. Such a job must not
// end with Comm.Close: MPI_Finalize waits for the lost rank forever.
func (ctl *Control) PeerLost() bool {
	ctl.mu.Lock()
	defer ctl.mu.Unlock()
	return ctl.lost
}

// Events delivers the peers' messages and losses, in the order they came
// from each peer; Close closes it.
func (ctl *Control) Events() <-chan Event { return ctl.events }

// Send sends msg (a JSON value) to rank to: any rank from rank 0, rank 0
// from the others.
func (ctl *Control) Send(to int, msg []byte) error {
	ctl.mu.Lock()
	p := ctl.peers[to]
	ctl.mu.Unlock()
	if p == nil {
		return fmt.Errorf("control: rank %d has no connection to rank %d", ctl.rank, to)
	}
	if err := p.send(frame{Kind: "msg", Msg: msg}, ctl.silence); err != nil {
		return fmt.Errorf("control: sending to rank %d: %w", to, err)
	}
	return nil
}

// Close says goodbye to every peer (which then does not report this rank
// gone), closes the connections and waits for the readers to stop. It is
// safe to call more than once.
func (ctl *Control) Close() error {
	ctl.mu.Lock()
	if ctl.closing {
		ctl.mu.Unlock()
		return nil
	}
	ctl.closing = true
	close(ctl.done)
	peers := ctl.peers
	ctl.mu.Unlock()
	for _, p := range peers {
		_ = p.send(frame{Kind: "bye"}, time.Second)
		p.conn.Close()
	}
	ctl.wg.Wait()
	close(ctl.events)
	return nil
}

// ConnectGroup connects the control network of in-process ranks (the
// members of NewGroup), as their processes would under mpirun: each calls
// ConnectControl from its own goroutine. Close every Control before its
// Comm.
func ConnectGroup(comms []Comm) ([]*Control, error) {
	n := len(comms)
	return connectGroup(comms, repeat(n, PingEvery), repeat(n, SilenceLimit))
}

// connectGroup is ConnectGroup with each rank's ping interval and
// silence limit.
func connectGroup(comms []Comm, pingEvery, silence []time.Duration) ([]*Control, error) {
	ctls := make([]*Control, len(comms))
	errs := make([]error, len(comms))
	var wg sync.WaitGroup
	for r := range comms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctls[r], errs[r] = connectControl(comms[r], pingEvery[r], silence[r])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, c := range ctls {
			if c != nil {
				c.Close()
			}
		}
		return nil, err
	}
	return ctls, nil
}

// repeat is n copies of d.
func repeat(n int, d time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}
