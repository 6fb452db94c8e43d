package config

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Marshal returns the resolved config as YAML: every key in schema order, with
// the defaults filled in, which [Parse] reads back to an equal Config.
// model.hidden is written as a flow list ([256]) and each layer of
// model.layers as a flow mapping holding only the keys it sets
// ({type: linear, out: 10, bias: true}).
func (c *Config) Marshal() ([]byte, error) {
	doc := &yaml.Node{
		Kind:        yaml.DocumentNode,
		HeadComment: "nettrain experiment config, schema version 1 (resolved: every default filled in)",
		Content:     []*yaml.Node{encodeValue(reflect.ValueOf(c).Elem(), false)},
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeValue builds the YAML node of v. In a flow mapping (a layer), keys
// holding their zero value are left out.
func encodeValue(v reflect.Value, flow bool) *yaml.Node {
	if v.Type() == scalarType { // written plain, to read back as the type it was
		return &yaml.Node{Kind: yaml.ScalarNode, Value: v.String()}
	}
	switch v.Kind() {
	case reflect.Struct:
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: tagMap}
		if flow {
			m.Style = yaml.FlowStyle
		}
		for _, f := range structFields(v.Type()) {
			fv := v.Field(f.index)
			if (flow || f.omitEmpty) && fv.IsZero() {
				continue
			}
			m.Content = append(m.Content, keyNode(f.key), encodeValue(fv, false))
		}
		return m
	case reflect.Slice:
		s := &yaml.Node{Kind: yaml.SequenceNode, Tag: tagSeq}
		elemStruct := v.Type().Elem().Kind() == reflect.Struct
		if !elemStruct || v.Len() == 0 {
			s.Style = yaml.FlowStyle
		}
		for i := range v.Len() {
			s.Content = append(s.Content, encodeValue(v.Index(i), elemStruct))
		}
		return s
	case reflect.Pointer:
		if v.IsNil() {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: tagNull, Value: "null"}
		}
		return encodeValue(v.Elem(), false)
	case reflect.String:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tagStr, Value: v.String()}
	case reflect.Int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tagInt, Value: strconv.FormatInt(v.Int(), 10)}
	case reflect.Uint64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tagInt, Value: strconv.FormatUint(v.Uint(), 10)}
	case reflect.Float64:
		s := fmtFloat(v.Float())
		tag := tagFloat
		if !strings.ContainsAny(s, ".eEni") {
			tag = tagInt // a whole number: written 500, read back as a number
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: s}
	case reflect.Bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tagBool, Value: strconv.FormatBool(v.Bool())}
	}
	panic("config: unsupported schema type " + v.Type().String())
}
