package config

// The descriptions first: the schema file is written by a test binary
// built with them.
//go:generate go test -run TestDescriptions -update-descriptions .
//go:generate go test -run TestSchemaFile -update-schema .

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"strings"

	"github.com/nettrain/nettrain/pkg/augment"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/optim"
	"github.com/nettrain/nettrain/pkg/spec"
)

// SchemaID is the $id of the JSON Schema of [JSONSchema].
const SchemaID = "urn:nettrain:config:1"

// JSONSchema returns a JSON Schema (draft 2020-12) of the config file,
// generated from the definitions the loader uses, so that an editor with a
// YAML language server completes and checks configs: the key tree (struct
// fields and yaml tags; additionalProperties false), the types, the
// defaults (from [Default]), the allowed names (each package's KeyNames,
// as enums), the ranges (the range tags) and the descriptions (the fields'
// doc comments, in descriptions_gen.go). An entry of model.layers allows,
// for its type, only the keys model.LayerKeys gives that type (an if/then
// per type), an entry of augment only the keys augment.Params gives its op.
//
// The schema checks what can be checked key by key; the rules between keys
// (a key only one architecture reads, min_lr below optimizer.lr) are
// [Config.Validate]'s. It is stricter than the loader in two ways: a key
// written as null (which the loader reads as "the default") and a number
// given for a string key (which the loader accepts as text) are rejected,
// so leave the key out, or quote the string; and data.dir is required, as
// in a file (the loader also takes it from --set).
func JSONSchema() ([]byte, error) {
	g := schemaGen{defaults: Default()}
	root := g.object(reflect.TypeFor[Config](), reflect.ValueOf(g.defaults).Elem(), "")
	doc := object{
		{"$schema", "https://json-schema.org/draft/2020-12/schema"},
		{"$id", SchemaID},
		{"title", "nettrain experiment config, schema version 1"},
	}
	doc = append(doc, root...)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("config: JSON Schema: %w", err)
	}
	return buf.Bytes(), nil
}

// object is a JSON object whose keys keep their order.
type object []member

type member struct {
	key   string
	value any
}

// MarshalJSON writes o's members in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.key)
		if err != nil {
			return nil, err
		}
		v, err := marshalNoEscape(m.value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// schemaGen builds the schema of the config tree.
type schemaGen struct {
	defaults *Config
}

// noDefault lists the key paths whose default the schema leaves out:
// they are derived from the config file's name.
var noDefault = map[string]bool{"name": true, "output.dir": true}

// required lists, by key path of a mapping ("[]" for a list's entries),
// its keys that must be set.
var required = map[string][]string{
	"":                   {"data"},
	"data":               {"dir"},
	"model.layers[]":     {"type"},
	"augment[]":          {"op"},
	"optimizer.groups[]": {"pattern"},
}

// describeType returns the description of struct type t, or of its field.
func describeType(t reflect.Type, field string) string {
	key := path.Base(t.PkgPath()) + "." + t.Name()
	if field != "" {
		key += "." + field
	}
	return descriptions[key]
}

// object returns the schema of struct type t at key path p; def holds the
// defaults (an invalid Value for none).
func (g *schemaGen) object(t reflect.Type, def reflect.Value, p string) object {
	return g.objectKeys(t, def, p, nil)
}

// objectKeys is object restricted to the keys keep accepts (all when keep
// is nil). A zero default is left out where it is not the key's default
// in general: in the entries of a list (a zero key is unset there, and
// ApplyDefaults gives the real defaults) and for a key only some settings
// read (its default depends on them, as its description says).
func (g *schemaGen) objectKeys(t reflect.Type, def reflect.Value, p string, keep func(string) bool) object {
	ranges := spec.Ranges(t)
	var names map[string]spec.Names
	if n, ok := reflect.Zero(t).Interface().(spec.Namer); ok {
		names = n.KeyNames()
	}
	// Which keys are read depends on the settings: those of the defaults.
	user, _ := reflect.Zero(t).Interface().(spec.KeyUser)
	if def.IsValid() {
		user, _ = def.Interface().(spec.KeyUser)
	}
	props := object{}
	for _, f := range structFields(t) {
		if keep != nil && !keep(f.key) {
			continue
		}
		kp := joinPath(p, f.key)
		var fd reflect.Value
		if def.IsValid() {
			fd = def.Field(f.index)
		}
		conditional := user != nil && !user.Uses(f.key)
		if fd.IsValid() && fd.IsZero() && (conditional || strings.HasSuffix(p, "[]")) {
			fd = reflect.Value{}
		}
		r, hasRange := ranges[f.key]
		if hasRange && conditional && f.typ.Kind() != reflect.Slice {
			r.Zero = true // an unread key holds 0 in a resolved config
		}
		n, hasNames := names[f.key]
		s := g.value(f.typ, fd, kp, r, hasRange, n, hasNames)
		if d := describeType(t, t.Field(f.index).Name); d != "" {
			s = append(object{{"description", d}}, s...)
		}
		props = append(props, member{f.key, s})
	}
	o := object{{"type", "object"}}
	if d := describeType(t, ""); d != "" {
		o = append(o, member{"description", d})
	}
	o = append(o, member{"properties", props}, member{"additionalProperties", false})
	if req := required[p]; req != nil {
		o = append(o, member{"required", req})
	}
	return o
}

// value returns the schema of a value of type t at key path p: def is its
// default, r its range and n its names when hasRange and hasNames say so.
func (g *schemaGen) value(t reflect.Type, def reflect.Value, p string, r spec.Range, hasRange bool, n spec.Names, hasNames bool) object {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
		if def.IsValid() {
			if def.IsNil() {
				def = reflect.Value{}
			} else {
				def = def.Elem()
			}
		}
	}
	var o object
	if t == scalarType {
		return object{{"type", []string{"number", "string", "boolean"}}}
	}
	switch t.Kind() {
	case reflect.Struct:
		return g.object(t, def, p)
	case reflect.Slice:
		o = object{{"type", "array"}}
		et := t.Elem()
		var items object
		switch {
		case p == "model.layers":
			items = g.layerItems()
		case p == "augment":
			items = g.augmentItems()
		case et.Kind() == reflect.Struct:
			items = g.object(et, g.itemDefaults(p), p+"[]")
		default:
			items = g.value(et, reflect.Value{}, p+"[]", r, hasRange, n, hasNames)
		}
		o = append(o, member{"items", items})
		if def.IsValid() && def.Len() > 0 && !noDefault[p] {
			o = append(o, member{"default", def.Interface()})
		}
		return o
	case reflect.String:
		o = object{{"type", "string"}}
		if hasNames {
			enum := append([]string(nil), n.List...)
			if n.Empty {
				enum = append(enum, "")
			}
			o = append(o, member{"enum", enum})
		}
		if def.IsValid() && def.String() != "" && !noDefault[p] {
			o = append(o, member{"default", def.String()})
		}
		return o
	case reflect.Bool:
		o = object{{"type", "boolean"}}
	case reflect.Int:
		o = object{{"type", "integer"}}
	case reflect.Uint64:
		o = object{{"type", "integer"}, {"minimum", 0}}
	case reflect.Float64:
		o = object{{"type", "number"}}
	default:
		panic("config: no JSON Schema for " + t.String())
	}
	if hasRange {
		o = append(o, rangeSchema(r)...)
	}
	if def.IsValid() && !noDefault[p] {
		o = append(o, member{"default", def.Interface()})
	}
	return o
}

// rangeSchema returns the JSON Schema bounds of r.
func rangeSchema(r spec.Range) object {
	var b object
	if r.HasMin {
		k := "minimum"
		if r.MinOpen {
			k = "exclusiveMinimum"
		}
		b = append(b, member{k, r.Min})
	}
	if r.HasMax {
		k := "maximum"
		if r.MaxOpen {
			k = "exclusiveMaximum"
		}
		b = append(b, member{k, r.Max})
	}
	if r.Zero {
		return object{{"anyOf", []any{object{{"const", 0}}, b}}}
	}
	return b
}

// layerItems is the schema of an entry of model.layers: an object with
// every key any type takes (so an editor completes them all), and for each
// layer type an if/then that allows only the keys model.LayerKeys gives it,
// with their ranges and the defaults its ApplyDefaults fills in. (An
// if/then per type rather than a oneOf, so that a validator names the one
// key at fault instead of every branch that did not match.)
func (g *schemaGen) layerItems() object {
	t := reflect.TypeFor[model.LayerSpec]()
	var branches []any
	for _, typ := range model.LayerTypes() {
		s := model.Spec{Layers: []model.LayerSpec{{Type: typ}}}
		s.ApplyDefaults(func(string) bool { return false })
		keys := append([]string{"type", "name"}, model.LayerKeys(typ)...)
		b := g.objectKeys(t, reflect.ValueOf(s.Layers[0]), "model.layers[]", func(k string) bool { return containsKey(keys, k) })
		branches = append(branches, ifThen("type", typ, b))
	}
	items := g.object(t, reflect.Value{}, "model.layers[]")
	return append(items, member{"allOf", branches})
}

// augmentItems is the schema of an entry of augment: an object with every
// key any op takes, and for each op an if/then that allows only the keys
// augment.Params gives it, with its fill names.
func (g *schemaGen) augmentItems() object {
	t := reflect.TypeFor[augment.Spec]()
	var branches []any
	for _, op := range augment.Names() {
		s := augment.Spec{Op: op}
		s.ApplyDefaults(func(string) bool { return false })
		keys := append([]string{"op", "p"}, augment.Params(op)...)
		b := g.objectKeys(t, reflect.ValueOf(s), "augment[]", func(k string) bool { return containsKey(keys, k) })
		if fills := augment.FillNames(op); fills != nil {
			b = withProperty(b, "fill", func(o object) object {
				return setMember(o, "enum", append(append([]string(nil), fills...), ""))
			})
		}
		if containsKey(keys, "ops") {
			b = withProperty(b, "ops", func(o object) object {
				return setMember(o, "items", object{{"type", "string"}, {"enum", augment.RandAugmentOps()}})
			})
		}
		branches = append(branches, ifThen("op", op, b))
	}
	items := g.object(t, reflect.Value{}, "augment[]")
	items = withProperty(items, "op", func(o object) object { return setMember(o, "enum", augment.Names()) })
	return append(items, member{"allOf", branches})
}

// ifThen is the branch of a discriminated union: when key holds v, the
// object must match then (whose descriptions, already on the union's
// properties, are left out).
func ifThen(key, v string, then object) object {
	var t object
	for _, m := range then {
		switch m.key {
		case "description", "required":
		case "properties":
			var props object
			for _, p := range m.value.(object) {
				var ps object
				for _, pm := range p.value.(object) {
					if pm.key != "description" && (p.key != key || pm.key == "type") {
						ps = append(ps, pm)
					}
				}
				props = append(props, member{p.key, ps})
			}
			t = append(t, member{"properties", props})
		default:
			t = append(t, m)
		}
	}
	cond := object{{"properties", object{{key, object{{"const", v}}}}}, {"required", []string{key}}}
	return object{{"if", cond}, {"then", t}}
}

func containsKey(keys []string, k string) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// withProperty applies f to the schema of property key of object o.
func withProperty(o object, key string, f func(object) object) object {
	for i, m := range o {
		if m.key != "properties" {
			continue
		}
		props := m.value.(object)
		for j, p := range props {
			if p.key == key {
				props[j].value = f(p.value.(object))
			}
		}
		o[i].value = props
	}
	return o
}

// setMember sets (or appends) member key of o.
func setMember(o object, key string, v any) object {
	for i, m := range o {
		if m.key == key {
			o[i].value = v
			return o
		}
	}
	return append(o, member{key, v})
}

// itemDefaults returns the defaults of an entry of the list at key path p
// that ApplyDefaults fills in (an optimizer group's lr_scale).
func (g *schemaGen) itemDefaults(p string) reflect.Value {
	if p != "optimizer.groups" {
		return reflect.Value{}
	}
	s := g.defaults.Optimizer
	s.Groups = make([]optim.Group, 1)
	s.ApplyDefaults(func(string) bool { return false })
	return reflect.ValueOf(s.Groups[0])
}
