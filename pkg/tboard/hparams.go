package tboard

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// The names the HParams plugin reads.
const (
	// HParamsPlugin is the plugin_name of the HParams summaries.
	HParamsPlugin = "hparams"
	// ExperimentTag is the tag of the experiment summary.
	ExperimentTag = "_hparams_/experiment"
	// SessionStartTag is the tag of a run's session start summary.
	SessionStartTag = "_hparams_/session_start_info"
	// SessionEndTag is the tag of a run's session end summary.
	SessionEndTag = "_hparams_/session_end_info"
)

// Status is a run's outcome as the HParams tab shows it (api.proto Status).
type Status int32

// The statuses of api.proto.
const (
	StatusUnknown Status = 0
	StatusSuccess Status = 1
	StatusFailure Status = 2
	StatusRunning Status = 3
)

// DataType is the type of a hyperparameter (api.proto DataType).
type DataType int32

// The data types of api.proto.
const (
	TypeUnset   DataType = 0
	TypeString  DataType = 1
	TypeBool    DataType = 2
	TypeFloat64 DataType = 3
)

// DatasetType says what data a metric is computed on (api.proto DatasetType).
type DatasetType int32

// The dataset types of api.proto.
const (
	DatasetUnknown    DatasetType = 0
	DatasetTraining   DatasetType = 1
	DatasetValidation DatasetType = 2
)

// Interval is the closed range [Min, Max] of a numeric hyperparameter.
type Interval struct {
	// Min and Max are the bounds.
	Min, Max float64
}

// HParamInfo describes one hyperparameter of an experiment.
type HParamInfo struct {
	// Name identifies the hyperparameter; HParam.Name refers to it.
	Name string
	// DisplayName and Description are optional text for the UI.
	DisplayName, Description string
	// Type is the type of the values.
	Type DataType
	// Discrete lists the allowed values (as HParam.Value), or is nil.
	Discrete []any
	// Interval is the allowed range of a number, or nil. At most one of
	// Discrete and Interval may be set.
	Interval *Interval
}

// MetricInfo describes one metric of an experiment: the scalar series with
// this tag is the metric's value in each run.
type MetricInfo struct {
	// Tag is the scalar tag, e.g. "test/accuracy".
	Tag string
	// Group is the subdirectory of a run holding the scalar; usually "".
	Group string
	// DisplayName and Description are optional text for the UI.
	DisplayName, Description string
	// Dataset says what data the metric is computed on.
	Dataset DatasetType
}

// Experiment is the description of the hyperparameters and metrics that the
// HParams tab shows (api.proto Experiment).
type Experiment struct {
	// Name, Description and User are optional.
	Name, Description, User string
	// TimeCreated is in seconds since the Unix epoch.
	TimeCreated float64
	// HParams are the hyperparameters, in display order.
	HParams []HParamInfo
	// Metrics are the metrics, in display order.
	Metrics []MetricInfo
}

// HParam is one hyperparameter value of a run. Value is a float64, float32,
// int, int64, string, bool or nil (a null value); numbers are stored as
// float64.
type HParam struct {
	// Name is the hyperparameter's name.
	Name string
	// Value is its value in this run.
	Value any
}

// SessionStart is a decoded SessionStartInfo.
type SessionStart struct {
	// HParams maps each hyperparameter's name to its value: a float64, string
	// or bool (or nil for a null value).
	HParams map[string]any
	// Group is the session group; runs with the same group are one row.
	Group string
	// StartTime is in seconds since the Unix epoch.
	StartTime float64
	// ModelURI and MonitorURL are optional.
	ModelURI, MonitorURL string
}

// SessionEnd is a decoded SessionEndInfo.
type SessionEnd struct {
	// Status is the run's outcome.
	Status Status
	// EndTime is in seconds since the Unix epoch.
	EndTime float64
}

// HParamsData is a decoded HParamsPluginData: exactly one of Experiment,
// Start and End is set.
type HParamsData struct {
	// Version is the plugin data version, 0.
	Version int32
	// Experiment is the experiment summary's content.
	Experiment *Experiment
	// Start is a session start summary's content.
	Start *SessionStart
	// End is a session end summary's content.
	End *SessionEnd
}

// nullTensor is the serialized TensorProto that TensorBoard's own hparams
// summaries carry (metadata.NULL_TENSOR in its hparams plugin): an empty
// DT_FLOAT vector. dtype [1] = DT_FLOAT (1); tensor_shape [2] holds one dim
// [2] whose size [1] is 0, so the Dim is an empty message.
var nullTensor = []byte{
	0x08, 0x01, // dtype: varint field 1 = 1
	0x12, 0x02, // tensor_shape: field 2, 2 bytes
	0x12, 0x00, // dim: field 2, 0 bytes
}

// hparamsValue returns the summary value for an HParamsPluginData whose data
// field (2, 3 or 4) holds the message m.
func hparamsValue(tag string, num protowire.Number, m []byte) Value {
	// version [1] is 0, so not written.
	return Value{Tag: tag, Tensor: nullTensor, PluginName: HParamsPlugin, PluginContent: appendMessage(nil, num, m)}
}

// appendAny appends v as a google.protobuf.Value. Its members are a oneof,
// so zero values are written too.
func appendAny(b []byte, v any) ([]byte, error) {
	number := func(f float64) []byte {
		b = protowire.AppendTag(b, 2, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(f))
	}
	switch x := v.(type) {
	case nil:
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		return protowire.AppendVarint(b, 0), nil // NULL_VALUE
	case float64:
		return number(x), nil
	case float32:
		return number(float64(x)), nil
	case int:
		return number(float64(x)), nil
	case int64:
		return number(float64(x)), nil
	case string:
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		return protowire.AppendString(b, x), nil
	case bool:
		b = protowire.AppendTag(b, 4, protowire.VarintType)
		return protowire.AppendVarint(b, protowire.EncodeBool(x)), nil
	}
	return nil, fmt.Errorf("value %v of type %T: want float64, float32, int, int64, string, bool or nil", v, v)
}

// appendExperiment appends e serialized as an Experiment.
func appendExperiment(b []byte, e *Experiment) ([]byte, error) {
	b = appendString(b, 1, e.Description)
	b = appendString(b, 2, e.User)
	b = appendDouble(b, 3, e.TimeCreated)
	for _, h := range e.HParams {
		if h.Discrete != nil && h.Interval != nil {
			return nil, fmt.Errorf("hparam %q: both a discrete domain and an interval", h.Name)
		}
		var m []byte
		m = appendString(m, 1, h.Name)
		m = appendString(m, 2, h.DisplayName)
		m = appendString(m, 3, h.Description)
		m = appendVarint(m, 4, uint64(h.Type))
		if h.Discrete != nil {
			var list []byte
			for _, v := range h.Discrete {
				val, err := appendAny(nil, v)
				if err != nil {
					return nil, fmt.Errorf("hparam %q domain: %w", h.Name, err)
				}
				list = appendMessage(list, 1, val)
			}
			m = appendMessage(m, 5, list)
		}
		if h.Interval != nil {
			var iv []byte
			iv = appendDouble(iv, 1, h.Interval.Min)
			iv = appendDouble(iv, 2, h.Interval.Max)
			m = appendMessage(m, 6, iv)
		}
		b = appendMessage(b, 4, m)
	}
	for _, mi := range e.Metrics {
		var name, m []byte
		name = appendString(name, 1, mi.Group)
		name = appendString(name, 2, mi.Tag)
		m = appendMessage(m, 1, name)
		m = appendString(m, 3, mi.DisplayName)
		m = appendString(m, 4, mi.Description)
		m = appendVarint(m, 5, uint64(mi.Dataset))
		b = appendMessage(b, 5, m)
	}
	return appendString(b, 6, e.Name), nil
}

// appendSessionStart appends a SessionStartInfo with the hparams map sorted
// by name (as deterministic protobuf serialization orders map entries).
func appendSessionStart(b []byte, hparams []HParam, group string, start float64) ([]byte, error) {
	sorted := slices.Clone(hparams)
	slices.SortStableFunc(sorted, func(a, b HParam) int { return strings.Compare(a.Name, b.Name) })
	for i, h := range sorted {
		if i > 0 && sorted[i-1].Name == h.Name {
			return nil, fmt.Errorf("hparam %q given twice", h.Name)
		}
		val, err := appendAny(nil, h.Value)
		if err != nil {
			return nil, fmt.Errorf("hparam %q: %w", h.Name, err)
		}
		var entry []byte
		entry = appendString(entry, 1, h.Name)
		entry = appendMessage(entry, 2, val)
		b = appendMessage(b, 1, entry)
	}
	b = appendString(b, 4, group)
	return appendDouble(b, 5, start), nil
}

// DecodeHParams parses the PluginContent of an "hparams" summary value.
func DecodeHParams(content []byte) (HParamsData, error) {
	var d HParamsData
	err := walk(content, func(f field) error {
		var err error
		switch f.num {
		case 1:
			var x uint64
			err = f.varint(&x)
			d.Version = int32(x)
		case 2, 3, 4:
			var m []byte
			if m, err = f.message(); err != nil {
				return err
			}
			d.Experiment, d.Start, d.End = nil, nil, nil
			switch f.num {
			case 2:
				d.Experiment, err = decodeExperiment(m)
			case 3:
				d.Start, err = decodeSessionStart(m)
			case 4:
				d.End, err = decodeSessionEnd(m)
			}
		}
		return err
	})
	if err != nil {
		return HParamsData{}, fmt.Errorf("tboard: hparams plugin data: %w", err)
	}
	return d, nil
}

// decodeExperiment parses a serialized Experiment.
func decodeExperiment(m []byte) (*Experiment, error) {
	e := &Experiment{}
	err := walk(m, func(f field) error {
		switch f.num {
		case 1:
			return f.str(&e.Description)
		case 2:
			return f.str(&e.User)
		case 3:
			return f.double(&e.TimeCreated)
		case 4:
			m, err := f.message()
			if err != nil {
				return err
			}
			h, err := decodeHParamInfo(m)
			if err != nil {
				return fmt.Errorf("hparam_infos[%d]: %w", len(e.HParams), err)
			}
			e.HParams = append(e.HParams, h)
		case 5:
			m, err := f.message()
			if err != nil {
				return err
			}
			mi, err := decodeMetricInfo(m)
			if err != nil {
				return fmt.Errorf("metric_infos[%d]: %w", len(e.Metrics), err)
			}
			e.Metrics = append(e.Metrics, mi)
		case 6:
			return f.str(&e.Name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	return e, nil
}

// decodeHParamInfo parses a serialized HParamInfo.
func decodeHParamInfo(m []byte) (HParamInfo, error) {
	var h HParamInfo
	err := walk(m, func(f field) error {
		var err error
		switch f.num {
		case 1:
			return f.str(&h.Name)
		case 2:
			return f.str(&h.DisplayName)
		case 3:
			return f.str(&h.Description)
		case 4:
			var x uint64
			err = f.varint(&x)
			h.Type = DataType(x)
		case 5:
			var m []byte
			if m, err = f.message(); err == nil {
				h.Interval = nil
				h.Discrete, err = decodeList(m, 0)
				if h.Discrete == nil && err == nil {
					h.Discrete = []any{}
				}
			}
		case 6:
			var m []byte
			if m, err = f.message(); err == nil {
				h.Discrete = nil
				h.Interval = &Interval{}
				err = walk(m, func(f field) error {
					switch f.num {
					case 1:
						return f.double(&h.Interval.Min)
					case 2:
						return f.double(&h.Interval.Max)
					}
					return nil
				})
			}
		}
		return err
	})
	return h, err
}

// decodeMetricInfo parses a serialized MetricInfo.
func decodeMetricInfo(m []byte) (MetricInfo, error) {
	var mi MetricInfo
	err := walk(m, func(f field) error {
		switch f.num {
		case 1:
			m, err := f.message()
			if err != nil {
				return err
			}
			return walk(m, func(f field) error {
				switch f.num {
				case 1:
					return f.str(&mi.Group)
				case 2:
					return f.str(&mi.Tag)
				}
				return nil
			})
		case 3:
			return f.str(&mi.DisplayName)
		case 4:
			return f.str(&mi.Description)
		case 5:
			var x uint64
			err := f.varint(&x)
			mi.Dataset = DatasetType(x)
			return err
		}
		return nil
	})
	return mi, err
}

// decodeSessionStart parses a serialized SessionStartInfo.
func decodeSessionStart(m []byte) (*SessionStart, error) {
	s := &SessionStart{HParams: map[string]any{}}
	err := walk(m, func(f field) error {
		switch f.num {
		case 1:
			entry, err := f.message()
			if err != nil {
				return err
			}
			var name string
			var val any
			err = walk(entry, func(f field) error {
				switch f.num {
				case 1:
					return f.str(&name)
				case 2:
					m, err := f.message()
					if err != nil {
						return err
					}
					val, err = decodeAny(m, 0)
					return err
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("hparams entry %q: %w", name, err)
			}
			s.HParams[name] = val
		case 2:
			return f.str(&s.ModelURI)
		case 3:
			return f.str(&s.MonitorURL)
		case 4:
			return f.str(&s.Group)
		case 5:
			return f.double(&s.StartTime)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("session_start_info: %w", err)
	}
	return s, nil
}

// decodeSessionEnd parses a serialized SessionEndInfo.
func decodeSessionEnd(m []byte) (*SessionEnd, error) {
	s := &SessionEnd{}
	err := walk(m, func(f field) error {
		switch f.num {
		case 1:
			var x uint64
			err := f.varint(&x)
			s.Status = Status(x)
			return err
		case 2:
			return f.double(&s.EndTime)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("session_end_info: %w", err)
	}
	return s, nil
}

// errStruct reports a google.protobuf.Value holding a Struct, which this
// package does not decode.
var errStruct = errors.New("struct values are not supported")

// decodeAny parses a google.protobuf.Value into nil, float64, string, bool or
// []any (a list).
func decodeAny(m []byte, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("values nested deeper than %d", maxDepth)
	}
	var v any
	err := walk(m, func(f field) error {
		var err error
		switch f.num {
		case 1:
			var x uint64
			err = f.varint(&x)
			v = nil
		case 2:
			var x float64
			err = f.double(&x)
			v = x
		case 3:
			var s string
			err = f.str(&s)
			v = s
		case 4:
			var x uint64
			err = f.varint(&x)
			v = x != 0
		case 5:
			err = errStruct
		case 6:
			var m []byte
			if m, err = f.message(); err == nil {
				var list []any
				list, err = decodeList(m, depth+1)
				if list == nil {
					list = []any{}
				}
				v = list
			}
		}
		return err
	})
	return v, err
}

// decodeList parses a google.protobuf.ListValue.
func decodeList(m []byte, depth int) ([]any, error) {
	var list []any
	err := walk(m, func(f field) error {
		if f.num != 1 {
			return nil
		}
		m, err := f.message()
		if err != nil {
			return err
		}
		v, err := decodeAny(m, depth+1)
		list = append(list, v)
		return err
	})
	return list, err
}
