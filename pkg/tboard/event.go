package tboard

import (
	"fmt"
	"math"
	"os"

	"google.golang.org/protobuf/encoding/protowire"
)

// FileVersion is the file_version of the first Event of every event file.
const FileVersion = "brain.Event:2"

// Event is one decoded Event record.
type Event struct {
	// WallTime is the time the event was written, in seconds since the Unix
	// epoch.
	WallTime float64
	// Step is the training step.
	Step int64
	// FileVersion is set in the first event of a file only.
	FileVersion string
	// Restart marks a session restart (session_log with status START): a
	// resumed run writes one at the step it continues from, and
	// TensorBoard then drops the events of earlier files at that step and
	// later (those written after the checkpoint it resumed from).
	Restart bool
	// Values are the summary values of the event, in order.
	Values []Value
}

// Value is one decoded Summary.Value. Exactly one of Simple, Histo and Tensor
// is set in the values this package writes.
type Value struct {
	// Tag names the series, e.g. "train/loss".
	Tag string
	// Simple is the scalar (simple_value), or nil.
	Simple *float32
	// Histo is the histogram, or nil.
	Histo *Histo
	// Tensor is the serialized TensorProto, kept undecoded, or nil.
	Tensor []byte
	// PluginName is metadata.plugin_data.plugin_name, e.g. "hparams".
	PluginName string
	// PluginContent is metadata.plugin_data.content; DecodeHParams reads it
	// for the "hparams" plugin.
	PluginContent []byte
}

// appendEvent appends e serialized as an Event.
func appendEvent(b []byte, e *Event) []byte {
	var enc eventEncoder
	return enc.appendEvent(b, e)
}

// eventEncoder serializes Events with buffers it keeps for the nested
// messages, so that a Writer writing every training step allocates
// nothing once they have grown.
type eventEncoder struct {
	sum, val []byte
}

// appendEvent appends e serialized as an Event.
func (enc *eventEncoder) appendEvent(b []byte, e *Event) []byte {
	b = appendDouble(b, 1, e.WallTime)
	b = appendVarint(b, 2, uint64(e.Step))
	b = appendString(b, 3, e.FileVersion)
	if e.Restart {
		b = appendMessage(b, 6, appendVarint(nil, 1, sessionStart))
	}
	if len(e.Values) == 0 {
		return b
	}
	enc.sum = enc.sum[:0]
	for i := range e.Values {
		enc.val = e.Values[i].appendProto(enc.val[:0])
		enc.sum = appendMessage(enc.sum, 1, enc.val)
	}
	return appendMessage(b, 5, enc.sum)
}

// appendProto appends v serialized as a Summary.Value, fields in number order.
func (v *Value) appendProto(b []byte) []byte {
	b = appendString(b, 1, v.Tag)
	if v.Simple != nil {
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(*v.Simple))
	}
	if v.Histo != nil {
		b = appendMessage(b, 5, v.Histo.appendProto(nil))
	}
	if v.Tensor != nil {
		b = appendMessage(b, 8, v.Tensor)
	}
	if v.PluginName != "" || len(v.PluginContent) > 0 {
		var pd []byte
		pd = appendString(pd, 1, v.PluginName)
		pd = appendBytes(pd, 2, v.PluginContent)
		b = appendMessage(b, 9, appendMessage(nil, 1, pd))
	}
	return b
}

// decodeEvent parses a serialized Event.
func decodeEvent(m []byte) (Event, error) {
	var e Event
	err := walk(m, func(f field) error {
		switch f.num {
		case 1:
			return f.double(&e.WallTime)
		case 2:
			var x uint64
			err := f.varint(&x)
			e.Step = int64(x)
			return err
		case 3:
			return f.str(&e.FileVersion)
		case 5:
			sum, err := f.message()
			if err != nil {
				return err
			}
			return walk(sum, func(f field) error {
				if f.num != 1 {
					return nil
				}
				m, err := f.message()
				if err != nil {
					return err
				}
				v, err := decodeValue(m)
				if err != nil {
					return fmt.Errorf("summary value %d: %w", len(e.Values), err)
				}
				e.Values = append(e.Values, v)
				return nil
			})
		case 6:
			log, err := f.message()
			if err != nil {
				return err
			}
			return walk(log, func(f field) error {
				if f.num != 1 {
					return nil
				}
				var status uint64
				err := f.varint(&status)
				e.Restart = e.Restart || status == sessionStart
				return err
			})
		}
		return nil
	})
	return e, err
}

// sessionStart is SessionLog.SessionStatus START.
const sessionStart = 1

// decodeValue parses a serialized Summary.Value.
func decodeValue(m []byte) (Value, error) {
	var v Value
	err := walk(m, func(f field) error {
		switch f.num {
		case 1:
			return f.str(&v.Tag)
		case 2:
			if err := f.want(protowire.Fixed32Type); err != nil {
				return err
			}
			x := math.Float32frombits(uint32(f.x))
			v.Simple = &x
		case 5:
			m, err := f.message()
			if err != nil {
				return err
			}
			v.Histo, err = decodeHisto(m)
			return err
		case 8:
			return f.bytes(&v.Tensor)
		case 9:
			m, err := f.message()
			if err != nil {
				return err
			}
			return walk(m, func(f field) error {
				if f.num != 1 {
					return nil
				}
				pd, err := f.message()
				if err != nil {
					return err
				}
				return walk(pd, func(f field) error {
					switch f.num {
					case 1:
						return f.str(&v.PluginName)
					case 2:
						return f.bytes(&v.PluginContent)
					}
					return nil
				})
			})
		}
		return nil
	})
	if err != nil && v.Tag != "" {
		err = fmt.Errorf("tag %q: %w", v.Tag, err)
	}
	return v, err
}

// Decode parses the contents of an event file: every TFRecord, checking both
// CRCs, and the Event in it. Errors are *FormatError.
func Decode(b []byte) ([]Event, error) {
	recs, err := splitRecords(b)
	if err != nil {
		return nil, err
	}
	events := make([]Event, 0, len(recs))
	var off int64
	for i, r := range recs {
		e, err := decodeEvent(r)
		if err != nil {
			return nil, &FormatError{Record: i, Offset: off, Msg: "event: " + err.Error()}
		}
		events = append(events, e)
		off += recordOverhead + int64(len(r))
	}
	return events, nil
}

// ReadFile reads and decodes the event file at path; see Decode. Errors name
// the file.
func ReadFile(path string) ([]Event, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tboard: %w", err)
	}
	events, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("tboard: %s: %w", path, err)
	}
	return events, nil
}
