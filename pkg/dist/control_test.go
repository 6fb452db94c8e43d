package dist

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"
)

// connectTestGroup connects the control network of n in-process ranks,
// each with its own ping interval and silence limit.
func connectTestGroup(t *testing.T, n int, pingEvery, silence []time.Duration) []*Control {
	t.Helper()
	comms := NewGroup(n)
	ctls, err := connectGroup(comms, pingEvery, silence)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for r := range n {
			ctls[r].Close()
			comms[r].Close()
		}
	})
	return ctls
}

// next is the next event of ctl, or a test failure after a while.
func next(t *testing.T, ctl *Control, within time.Duration) Event {
	t.Helper()
	select {
	case e := <-ctl.Events():
		return e
	case <-time.After(within):
		t.Fatalf("rank %d: no event within %v", ctl.Rank(), within)
		return Event{}
	}
}

// quiet fails if ctl gets an event within d.
func quiet(t *testing.T, ctl *Control, d time.Duration) {
	t.Helper()
	select {
	case e := <-ctl.Events():
		t.Fatalf("rank %d: unexpected event from rank %d: %q, gone %v", ctl.Rank(), e.From, e.Msg, e.Gone)
	case <-time.After(d):
	}
}

// TestControlMessages: rank 0 and the others exchange messages in order,
// a rank that closes is reported as having left (not gone), and a rank of
// one needs no connection.
func TestControlMessages(t *testing.T) {
	ctls := connectTestGroup(t, 3, repeat(3, 50*time.Millisecond), repeat(3, 5*time.Second))
	for k := range 5 {
		for r := 1; r < 3; r++ {
			if err := ctls[0].Send(r, []byte(`{"n":`+string(rune('0'+k))+`}`)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for r := 1; r < 3; r++ {
		for k := range 5 {
			e := next(t, ctls[r], 5*time.Second)
			if want := `{"n":` + string(rune('0'+k)) + `}`; e.From != 0 || string(e.Msg) != want || e.Gone != nil {
				t.Fatalf("rank %d got %+v, want %s from rank 0", r, e, want)
			}
		}
		if err := ctls[r].Send(0, []byte(`"hi"`)); err != nil {
			t.Fatal(err)
		}
	}
	got := map[int]string{}
	for range 2 {
		e := next(t, ctls[0], 5*time.Second)
		got[e.From] = string(e.Msg)
	}
	if got[1] != `"hi"` || got[2] != `"hi"` {
		t.Fatalf("rank 0 got %v", got)
	}
	if err := ctls[1].Send(2, []byte(`1`)); err == nil {
		t.Error("rank 1 sent to rank 2: only rank 0 talks to the others")
	}
	ctls[2].Close()
	if e := next(t, ctls[0], 5*time.Second); e.From != 2 || !e.Left || e.Gone != nil {
		t.Fatalf("rank 0 got %+v, want rank 2 left", e)
	}
	quiet(t, ctls[0], 300*time.Millisecond)
	if ctls[0].PeerLost() {
		t.Error("a rank that closed counts as lost")
	}

	one, err := ConnectControl(Local{})
	if err != nil || one.Size() != 1 {
		t.Fatalf("one rank: %v, %v", one, err)
	}
	one.Close()
}

// TestControlGone: a rank whose connection breaks without goodbye (its
// process died) and a rank that falls silent are reported gone, each
// once, to rank 0; a rank that loses rank 0 is told so.
func TestControlGone(t *testing.T) {
	ping := []time.Duration{50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond, time.Hour}
	silence := []time.Duration{500 * time.Millisecond, 5 * time.Second, 5 * time.Second, 5 * time.Second}
	ctls := connectTestGroup(t, 4, ping, silence)

	// Rank 1 "dies": its socket closes with no goodbye.
	ctls[1].peers[0].conn.Close()
	e := next(t, ctls[0], 5*time.Second)
	if e.From != 1 || e.Gone == nil || !strings.Contains(e.Gone.Error(), "rank 1 is gone") {
		t.Fatalf("rank 0 got %+v, want rank 1 gone", e)
	}
	// Rank 3 never pings: gone after rank 0's silence limit.
	e = next(t, ctls[0], 5*time.Second)
	if e.From != 3 || e.Gone == nil || !strings.Contains(e.Gone.Error(), "no word from it") {
		t.Fatalf("rank 0 got %+v, want rank 3 silent", e)
	}
	// Rank 2 pings and stays.
	quiet(t, ctls[0], 700*time.Millisecond)
	if err := ctls[0].Send(2, []byte(`"still here"`)); err != nil {
		t.Fatal(err)
	}
	if e := next(t, ctls[2], 5*time.Second); string(e.Msg) != `"still here"` {
		t.Fatalf("rank 2 got %+v", e)
	}

	if !ctls[0].PeerLost() {
		t.Error("rank 0 lost two ranks and does not say so")
	}
	// Rank 0 "dies": rank 2 hears of it.
	ctls[0].peers[2].conn.Close()
	e = next(t, ctls[2], 5*time.Second)
	if e.From != 0 || e.Gone == nil || !strings.Contains(e.Gone.Error(), "rank 0 is gone") {
		t.Fatalf("rank 2 got %+v, want rank 0 gone", e)
	}
}

// FuzzControlFrames feeds arbitrary bytes to a control connection's
// reader, as a broken or hostile peer would send: it never panics or
// hangs, delivers only whole JSON messages, and ends with exactly one
// Gone or Left event.
func FuzzControlFrames(f *testing.F) {
	for _, seed := range []string{
		`{"k":"msg","m":{"seq":1}}` + "\n" + `{"k":"bye"}` + "\n",
		`{"k":"ping"}` + "\n" + `{"k":"msg","m":[1,2,3]}`,
		`{"k":"hello","r":3,"t":"x"}`,
		`{"k":"msg","m":`,
		"\x00\xff{",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ours, theirs := net.Pipe()
		ctl := &Control{rank: 0, size: 2, events: make(chan Event, 64), peers: map[int]*peer{}, done: make(chan struct{}), pingEvery: time.Hour, silence: 5 * time.Second}
		p := &peer{rank: 1, conn: ours, enc: json.NewEncoder(ours)}
		ctl.peers[1] = p
		ctl.wg.Add(1)
		go ctl.read(p)
		go func() {
			_, _ = theirs.Write(b)
			theirs.Close()
		}()
		for {
			select {
			case e := <-ctl.events:
				if e.Gone != nil || e.Left {
					ctl.wg.Wait()
					return
				}
				if !json.Valid(e.Msg) {
					t.Fatalf("delivered a message that is not JSON: %q", e.Msg)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the reader neither delivered nor ended")
			}
		}
	})
}
