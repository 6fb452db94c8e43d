package tboard

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Options configure Create. The zero value uses the real clock and host name.
type Options struct {
	// Now is the clock for the file name and every event's wall time; nil
	// means time.Now. Tests inject a fixed clock to get identical files.
	Now func() time.Time
	// Hostname goes into the file name; "" means os.Hostname().
	Hostname string
}

// Writer appends events to one TensorBoard event file. Writes are buffered;
// Flush makes them visible to TensorBoard and Close also syncs the file. A
// Writer is safe for use by several goroutines.
type Writer struct {
	mu      sync.Mutex
	path    string
	now     func() time.Time
	f       *os.File // nil for a writer on memory (tests)
	closed  bool
	bw      *bufio.Writer
	event   []byte    // scratch: the serialized Event
	record  []byte    // scratch: the framed record
	values  []Value   // scratch: the values of a Scalars event
	simple  []float32 // scratch: their scalars
	enc     eventEncoder
	scalars Event // scratch: the event of a Scalars call
}

// Seconds converts t to seconds since the Unix epoch, the unit of event wall
// times and of the HParams times.
func Seconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// Create makes dir (and its parents) if needed, creates the event file
// events.out.tfevents.<unix seconds>.<hostname> in it and buffers the
// file_version event. If that name is taken, a suffix .1, .2, ... is added.
func Create(dir string, opt Options) (*Writer, error) {
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	host := opt.Hostname
	if host == "" {
		var err error
		if host, err = os.Hostname(); err != nil || host == "" {
			host = "localhost"
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tboard: %w", err)
	}
	t := now()
	base := filepath.Join(dir, "events.out.tfevents."+strconv.FormatInt(t.Unix(), 10)+"."+host)
	var f *os.File
	var err error
	for i := 0; i < 100; i++ {
		path := base
		if i > 0 {
			path += "." + strconv.Itoa(i)
		}
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("tboard: create event file: %w", err)
	}
	w := newWriter(f, f.Name(), now, t)
	w.f = f
	return w, nil
}

// newWriter returns a Writer on dst that has buffered the file_version event
// stamped with created; Create adds the file.
func newWriter(dst io.Writer, path string, now func() time.Time, created time.Time) *Writer {
	w := &Writer{path: path, now: now, bw: bufio.NewWriterSize(dst, 64<<10)}
	w.appendLocked(&Event{WallTime: Seconds(created), FileVersion: FileVersion}) // cannot fail: the buffer is larger
	return w
}

// Path returns the event file's path.
func (w *Writer) Path() string { return w.path }

// write stamps e with the clock's time and appends it.
func (w *Writer) write(e Event) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("tboard: %s: write after Close", w.path)
	}
	e.WallTime = Seconds(w.now())
	return w.appendLocked(&e)
}

// appendLocked frames e as a record and buffers it; w.mu is held.
func (w *Writer) appendLocked(e *Event) error {
	w.event = w.enc.appendEvent(w.event[:0], e)
	w.record = appendRecord(w.record[:0], w.event)
	if _, err := w.bw.Write(w.record); err != nil {
		return fmt.Errorf("tboard: write %s: %w", w.path, err)
	}
	return nil
}

// TagValue is one scalar of a Scalars call.
type TagValue struct {
	// Tag names the series.
	Tag string
	// Value is stored as a float32.
	Value float64
}

// Scalar writes one scalar value as an event of its own. The value is stored
// as a float32 (simple_value), as TensorBoard's scalars are.
func (w *Writer) Scalar(tag string, step int64, value float64) error {
	return w.Scalars(step, []TagValue{{Tag: tag, Value: value}})
}

// Scalars writes several scalars of one step as one event; no values write
// nothing.
func (w *Writer) Scalars(step int64, values []TagValue) error {
	if len(values) == 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("tboard: %s: write after Close", w.path)
	}
	// Scratch slices, so that a training loop writing every step does not
	// allocate: the event is serialized before they are reused.
	w.values, w.simple = w.values[:0], slices.Grow(w.simple[:0], len(values))[:len(values)]
	for i, tv := range values {
		w.simple[i] = float32(tv.Value)
		w.values = append(w.values, Value{Tag: tv.Tag, Simple: &w.simple[i]})
	}
	w.scalars = Event{WallTime: Seconds(w.now()), Step: step, Values: w.values}
	return w.appendLocked(&w.scalars)
}

// Histogram writes one histogram; see NewHisto.
func (w *Writer) Histogram(tag string, step int64, h Histo) error {
	if len(h.BucketLimits) != len(h.Buckets) {
		return fmt.Errorf("tboard: histogram %q: %d bucket limits but %d buckets", tag, len(h.BucketLimits), len(h.Buckets))
	}
	return w.write(Event{Step: step, Values: []Value{{Tag: tag, Histo: &h}}})
}

// HParamsExperiment writes the experiment summary of the HParams tab, at
// step 0: which hyperparameters and metrics there are.
func (w *Writer) HParamsExperiment(e Experiment) error {
	m, err := appendExperiment(nil, &e)
	if err != nil {
		return fmt.Errorf("tboard: hparams experiment: %w", err)
	}
	return w.write(Event{Values: []Value{hparamsValue(ExperimentTag, 2, m)}})
}

// HParams writes the session start summary of this run, at step 0: its
// hyperparameter values, its session group ("" makes the run its own group)
// and its start time in seconds since the Unix epoch (see Seconds). The
// values are stored sorted by name; a name given twice is an error.
func (w *Writer) HParams(hparams []HParam, group string, startTime float64) error {
	m, err := appendSessionStart(nil, hparams, group, startTime)
	if err != nil {
		return fmt.Errorf("tboard: hparams: %w", err)
	}
	return w.write(Event{Values: []Value{hparamsValue(SessionStartTag, 3, m)}})
}

// HParamsEnd writes the session end summary of this run, at step 0: its
// status and end time in seconds since the Unix epoch.
func (w *Writer) HParamsEnd(status Status, endTime float64) error {
	var m []byte
	m = appendVarint(m, 1, uint64(status))
	m = appendDouble(m, 2, endTime)
	return w.write(Event{Values: []Value{hparamsValue(SessionEndTag, 4, m)}})
}

// Restart writes a session restart at step (see Event.Restart): the first
// event a resumed run writes, with the first step it will write again.
func (w *Writer) Restart(step int64) error {
	return w.write(Event{Step: step, Restart: true})
}

// Flush writes the buffered events to the file.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("tboard: write %s: %w", w.path, err)
	}
	return nil
}

// Close flushes, syncs and closes the file. Writes after Close are errors;
// a second Close does nothing.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.bw.Flush()
	if w.f != nil {
		if err == nil {
			err = w.f.Sync()
		}
		if cerr := w.f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("tboard: close %s: %w", w.path, err)
	}
	return nil
}
