package config

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// applyOverrides applies --set overrides ("key.path=value") to the mapping
// node root, in order, before decoding: a later override of the same key
// wins. Every node an override adds is recorded in marks, so that errors
// about it name the override instead of a file line.
func applyOverrides(root *yaml.Node, file string, overrides []string, marks map[*yaml.Node]string) []*Error {
	var errs []*Error
	for _, o := range overrides {
		if e := applyOverride(root, file, o, marks); e != nil {
			errs = append(errs, e)
		}
	}
	return errs
}

func applyOverride(root *yaml.Node, file, o string, marks map[*yaml.Node]string) *Error {
	src := "--set " + o
	keyPath, val, ok := strings.Cut(o, "=")
	if !ok {
		return &Error{File: src, Msg: "malformed override: want key.path=value, e.g. --set optimizer.lr=0.1"}
	}
	keyPath = strings.TrimSpace(keyPath)
	if keyPath == "" {
		return &Error{File: src, Msg: "malformed override: empty key path before '='"}
	}
	segs := strings.Split(keyPath, ".")

	// Check the path against the schema first: an unknown key is reported
	// with a suggestion whatever the file holds.
	t := reflect.TypeFor[Config]()
	for i, s := range segs {
		prefix := strings.Join(segs[:i], ".")
		if s == "" {
			return &Error{File: src, Msg: fmt.Sprintf("malformed override: empty key in path %q", keyPath)}
		}
		if t.Kind() == reflect.Slice {
			return &Error{File: src, Path: prefix, Msg: fmt.Sprintf(
				"is a list of %s, not a section: set it whole, e.g. --set %s=[...]", listOf(t.Elem()), prefix)}
		}
		if t.Kind() != reflect.Struct {
			return &Error{File: src, Path: prefix, Msg: fmt.Sprintf(
				"is %s, not a section: set it with --set %s=VALUE", kindOf(t), prefix)}
		}
		f, ok := lookupField(t, s)
		if !ok {
			return &Error{File: src, Path: joinPath(prefix, s), Msg: unknownKeyMsg(s, keyNames(t))}
		}
		t = f.typ
	}

	v, err := parseValue(val)
	if err != nil {
		msg := err.Error()
		if pe, ok := err.(*parseError); ok {
			msg = strings.TrimPrefix(pe.msg, "invalid YAML: ")
		}
		return &Error{File: src, Path: keyPath, Msg: "invalid YAML value: " + msg}
	}
	markTree(v, o, marks)

	cur := root
	for i, s := range segs {
		idx := findKey(cur, s) // index of the value node, -1 if absent
		if i == len(segs)-1 {
			if idx < 0 {
				k := keyNode(s)
				marks[k] = o
				cur.Content = append(cur.Content, k, v)
			} else {
				cur.Content[idx] = v
			}
			return nil
		}
		var next *yaml.Node
		switch {
		case idx < 0:
			k, m := keyNode(s), mapNode()
			marks[k], marks[m] = o, o
			cur.Content = append(cur.Content, k, m)
			next = m
		case isNull(deref(cur.Content[idx])):
			next = mapNode()
			marks[next] = o
			cur.Content[idx] = next
		case deref(cur.Content[idx]).Kind == yaml.MappingNode:
			next = deref(cur.Content[idx])
			if cur.Content[idx].Kind == yaml.AliasNode {
				// Copy, so that the override does not change the anchor.
				next = copyTree(next)
				cur.Content[idx] = next
			}
		default:
			k := cur.Content[idx-1]
			line := k.Line
			efile := file
			if by, over := marks[k]; over {
				efile, line = "--set "+by, 0
			}
			return &Error{File: efile, Line: line, Path: strings.Join(segs[:i+1], "."), Msg: fmt.Sprintf(
				"must be a mapping, got %s (so %s cannot apply)", describe(deref(cur.Content[idx])), src)}
		}
		cur = next
	}
	return nil
}

// parseValue parses an override value as YAML: "0.1", "true", "[128,64]",
// "{type: linear, out: 10}", "relu". An empty value is null, which means
// "use the default".
func parseValue(s string) (n *yaml.Node, err error) {
	doc, err := parseYAML([]byte(s))
	if err != nil {
		return nil, err
	}
	if doc == nil || len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tagNull}, nil
	}
	return doc.Content[0], nil
}

// findKey returns the index in mapping m of the value of key, or -1.
func findKey(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := deref(m.Content[i])
		if k != nil && k.Kind == yaml.ScalarNode && k.Value == key {
			return i + 1
		}
	}
	return -1
}

func keyNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tagStr, Value: s}
}

func mapNode() *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: tagMap}
}

// markTree records every node of the tree under n as coming from override o.
func markTree(n *yaml.Node, o string, marks map[*yaml.Node]string) {
	if n == nil {
		return
	}
	if _, done := marks[n]; done {
		return
	}
	marks[n] = o
	for _, c := range n.Content {
		markTree(c, o, marks)
	}
}

// copyTree deep-copies the tree under n; aliases inside it are kept as they
// are.
func copyTree(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, x := range n.Content {
		c.Content[i] = copyTree(x)
	}
	return &c
}

// kindOf describes the values of scalar type t, for error messages.
func kindOf(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return kindOf(t.Elem())
	case reflect.Int:
		return "an integer"
	case reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	}
	return t.String()
}
