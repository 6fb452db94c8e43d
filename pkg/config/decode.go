package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/nettrain/nettrain/pkg/spec"
	"go.yaml.in/yaml/v3"
)

// YAML short tags, as returned by yaml.Node.ShortTag.
const (
	tagNull      = "!!null"
	tagBool      = "!!bool"
	tagStr       = "!!str"
	tagInt       = "!!int"
	tagFloat     = "!!float"
	tagTimestamp = "!!timestamp"
	tagMerge     = "!!merge"
	tagMap       = "!!map"
	tagSeq       = "!!seq"
)

// scalarType is a YAML scalar kept as written (a searched value).
var scalarType = reflect.TypeFor[spec.Scalar]()

// maxErrors caps how many decoding errors one Parse reports.
const maxErrors = 20

// fieldInfo is one field of a schema struct, found by its yaml key.
type fieldInfo struct {
	key   string
	index int
	typ   reflect.Type
	// omitEmpty (",omitempty" in the tag) leaves the key out of the
	// resolved config when it holds its zero value (deprecated keys).
	omitEmpty bool
}

var fieldCache sync.Map // reflect.Type -> []fieldInfo

// structFields lists the yaml keys of struct type t in declaration order.
func structFields(t reflect.Type) []fieldInfo {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]fieldInfo)
	}
	var fields []fieldInfo
	for i := range t.NumField() {
		sf := t.Field(i)
		key, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if key == "" || key == "-" || !sf.IsExported() {
			continue
		}
		fields = append(fields, fieldInfo{key: key, index: i, typ: sf.Type, omitEmpty: opts == "omitempty"})
	}
	fieldCache.Store(t, fields)
	return fields
}

// keyNames lists the yaml keys of struct type t in declaration order.
func keyNames(t reflect.Type) []string {
	fields := structFields(t)
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.key
	}
	return names
}

func lookupField(t reflect.Type, key string) (fieldInfo, bool) {
	for _, f := range structFields(t) {
		if f.key == key {
			return f, true
		}
	}
	return fieldInfo{}, false
}

// schemaPaths lists every dotted key path of [Config] that names a section or
// a value, in schema order (list elements are not descended into).
var schemaPaths = sync.OnceValue(func() []string {
	var paths []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for _, f := range structFields(t) {
			p := joinPath(prefix, f.key)
			paths = append(paths, p)
			if f.typ.Kind() == reflect.Struct {
				walk(f.typ, p)
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
	return paths
})

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// parentPath strips the last ".key" or "[i]" from a key path.
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// origin is where a value came from: a file and the line of its key, or an
// override ("--set k=v", line 0).
type origin struct {
	src  string
	line int
}

// decoder walks a yaml.Node tree against the schema structs. It records the
// origin of every key path it sets, so that defaults can tell "absent" from
// "set to the zero value" and validation errors can point at the key.
type decoder struct {
	file  string
	marks map[*yaml.Node]string // nodes that came from --set, to the override text
	set   map[string]origin
	errs  []*Error
}

func newDecoder(file string, marks map[*yaml.Node]string) *decoder {
	return &decoder{file: file, marks: marks, set: make(map[string]origin)}
}

// originOf says where node n came from.
func (d *decoder) originOf(n *yaml.Node) origin {
	if o, ok := d.marks[n]; ok {
		return origin{src: "--set " + o}
	}
	return origin{src: d.file, line: n.Line}
}

// keyOrigin is the origin of the value val of key k: the override that set
// val, or else the file and the key's line.
func (d *decoder) keyOrigin(k, val *yaml.Node) origin {
	if _, ok := d.marks[val]; ok {
		return d.originOf(val)
	}
	return d.originOf(k)
}

func (d *decoder) fail(n *yaml.Node, path, msg string) {
	if len(d.errs) >= maxErrors {
		return
	}
	o := d.originOf(n)
	d.errs = append(d.errs, &Error{File: o.src, Line: o.line, Path: path, Msg: msg})
}

// isSet reports whether key path p was given a non-null value.
func (d *decoder) isSet(p string) bool {
	_, ok := d.set[p]
	return ok
}

// locate fills in e.File and e.Line from the origin of e.Path, or of its
// closest parent that was set; the file alone when none was.
func (d *decoder) locate(e *Error) {
	for p := e.Path; p != ""; p = parentPath(p) {
		if o, ok := d.set[p]; ok {
			e.File, e.Line = o.src, o.line
			return
		}
	}
	e.File = d.file
}

// deref follows alias nodes to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is absent or a YAML null (~, null, or nothing).
func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || n.Kind == yaml.AliasNode ||
		(n.Kind == yaml.ScalarNode && n.ShortTag() == tagNull)
}

// decodeStruct decodes mapping node n into struct v; path is v's key path.
func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	seen := make(map[string]*yaml.Node)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := deref(n.Content[i]), deref(n.Content[i+1])
		if k == nil || k.Kind != yaml.ScalarNode {
			d.fail(n.Content[i], path, "keys must be plain names, got "+describe(k))
			continue
		}
		kp := joinPath(path, k.Value)
		if k.ShortTag() == tagMerge {
			d.fail(k, kp, "merge keys (<<) are not supported; write the keys out")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			msg := "duplicate key"
			if _, over := d.marks[first]; !over && first.Line > 0 {
				msg = fmt.Sprintf("duplicate key (first set at line %d)", first.Line)
			}
			d.fail(k, kp, msg)
			continue
		}
		seen[k.Value] = k
		f, ok := lookupField(t, k.Value)
		if !ok {
			d.fail(k, kp, unknownKeyMsg(k.Value, keyNames(t)))
			continue
		}
		if isNull(val) {
			continue // null means "use the default"
		}
		d.set[kp] = d.keyOrigin(k, val)
		d.decodeValue(val, v.Field(f.index), kp)
	}
}

// decodeValue decodes the non-alias node n into v; path is v's key path.
// It reports whether it succeeded.
func (d *decoder) decodeValue(n *yaml.Node, v reflect.Value, path string) bool {
	if v.Type() == scalarType {
		if n.Kind != yaml.ScalarNode || n.ShortTag() == tagNull {
			d.fail(n, path, "must be a number, a string or true/false, got "+describe(n))
			return false
		}
		v.SetString(n.Value)
		return true
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, fmt.Sprintf("must be a mapping with keys %s; got %s",
				strings.Join(keyNames(v.Type()), ", "), describe(n)))
			return false
		}
		before := len(d.errs)
		d.decodeStruct(n, v, path)
		return len(d.errs) == before
	case reflect.Slice:
		return d.decodeSlice(n, v, path)
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		if !d.decodeValue(n, nv.Elem(), path) {
			return false
		}
		v.Set(nv)
		return true
	case reflect.String:
		s, ok := d.stringValue(n, path)
		if ok {
			v.SetString(s)
		}
		return ok
	case reflect.Int:
		x, ok := d.intValue(n, path)
		if ok {
			if v.OverflowInt(x) {
				d.fail(n, path, "integer out of range, got "+describe(n))
				return false
			}
			v.SetInt(x)
		}
		return ok
	case reflect.Uint64:
		x, ok := d.uintValue(n, path)
		if ok {
			v.SetUint(x)
		}
		return ok
	case reflect.Float64:
		x, ok := d.floatValue(n, path)
		if ok {
			v.SetFloat(x)
		}
		return ok
	case reflect.Bool:
		x, ok := d.boolValue(n, path)
		if ok {
			v.SetBool(x)
		}
		return ok
	}
	panic("config: unsupported schema type " + v.Type().String())
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) bool {
	et := v.Type().Elem()
	if n.Kind != yaml.SequenceNode {
		msg := "must be a list of " + listOf(et) + ", got " + describe(n)
		if et.Kind() == reflect.Int && n.Kind == yaml.ScalarNode && n.ShortTag() == tagInt {
			msg += fmt.Sprintf("; for one element write [%s]", n.Value)
		}
		d.fail(n, path, msg)
		return false
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	ok := true
	for i, e := range n.Content {
		ep := fmt.Sprintf("%s[%d]", path, i)
		e = deref(e)
		if e == nil {
			e = &yaml.Node{Kind: yaml.ScalarNode, Tag: tagNull}
		}
		d.set[ep] = d.originOf(e)
		if !d.decodeValue(e, s.Index(i), ep) {
			ok = false
		}
	}
	if ok {
		v.Set(s)
	}
	return ok
}

// listOf describes the elements of a list of et, for error messages.
func listOf(et reflect.Type) string {
	switch et.Kind() {
	case reflect.Int:
		return "integers"
	case reflect.Struct:
		return "mappings with keys " + strings.Join(keyNames(et), ", ")
	}
	return et.String()
}

func isScalar(n *yaml.Node, tags ...string) bool {
	if n.Kind != yaml.ScalarNode {
		return false
	}
	t := n.ShortTag()
	for _, want := range tags {
		if t == want {
			return true
		}
	}
	return false
}

func (d *decoder) stringValue(n *yaml.Node, path string) (string, bool) {
	if !isScalar(n, tagStr, tagInt, tagFloat, tagTimestamp) {
		msg := "must be a string, got " + describe(n)
		if isScalar(n, tagBool) {
			msg += ` (quote it, e.g. "` + n.Value + `", to mean the text)`
		}
		d.fail(n, path, msg)
		return "", false
	}
	s := n.Value
	if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
		d.fail(n, path, "must be printable UTF-8 text without control characters, got "+strconv.QuoteToASCII(truncate(s)))
		return "", false
	}
	return s, true
}

func (d *decoder) intValue(n *yaml.Node, path string) (int64, bool) {
	if !isScalar(n, tagInt) {
		d.fail(n, path, "must be an integer, got "+describe(n))
		return 0, false
	}
	var x int64
	if err := n.Decode(&x); err != nil {
		d.fail(n, path, "integer out of range, got "+describe(n))
		return 0, false
	}
	return x, true
}

func (d *decoder) uintValue(n *yaml.Node, path string) (uint64, bool) {
	if !isScalar(n, tagInt) {
		d.fail(n, path, "must be a non-negative integer, got "+describe(n))
		return 0, false
	}
	var x uint64
	if err := n.Decode(&x); err != nil {
		if strings.HasPrefix(strings.TrimSpace(n.Value), "-") {
			d.fail(n, path, "must be a non-negative integer, got "+describe(n))
		} else {
			d.fail(n, path, "integer out of range (at most 18446744073709551615), got "+describe(n))
		}
		return 0, false
	}
	return x, true
}

func (d *decoder) floatValue(n *yaml.Node, path string) (float64, bool) {
	if !isScalar(n, tagInt, tagFloat) {
		d.fail(n, path, "must be a number, got "+describe(n))
		return 0, false
	}
	var x float64
	if err := n.Decode(&x); err != nil {
		d.fail(n, path, "must be a number, got "+describe(n))
		return 0, false
	}
	return x, true
}

func (d *decoder) boolValue(n *yaml.Node, path string) (bool, bool) {
	if isScalar(n, tagBool) {
		switch n.Value {
		case "true", "True", "TRUE":
			return true, true
		case "false", "False", "FALSE":
			return false, true
		}
	}
	d.fail(n, path, "must be true or false, got "+describe(n))
	return false, false
}

// describe shows a node in an error message: a scalar as written (strings
// quoted), a mapping or a list by its kind.
func describe(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.DocumentNode:
		return "a document"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
	default:
		return "nothing"
	}
	switch t := n.ShortTag(); t {
	case tagNull:
		return "null"
	case tagStr:
		q := strconv.Quote(truncate(n.Value))
		if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 && looksTyped(n.Value) {
			q += " (quoted, so a string: remove the quotes)"
		}
		return q
	case tagInt, tagFloat, tagBool, tagTimestamp:
		return truncate(n.Value)
	default:
		return t + " " + strconv.Quote(truncate(n.Value))
	}
}

// looksTyped reports whether s, unquoted, would read as a number or a
// boolean.
func looksTyped(s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return true
	}
	switch s {
	case "true", "false", "True", "False", "TRUE", "FALSE":
		return true
	}
	return false
}

// truncate shortens s for an error message.
func truncate(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
