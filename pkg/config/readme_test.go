package config

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeConfigReference checks that every key of the schema has a row
// in the README's "Config reference". A row's first cell names keys in
// backquotes; a name without a dot is a key of the section of the first
// dotted name before it ("`schedule.max_lr`, `pct_start`").
func TestReadmeConfigReference(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "\n## Config reference")
	if start < 0 {
		t.Fatal(`README.md has no "## Config reference" section`)
	}
	text = text[start+1:]
	if end := strings.Index(text[3:], "\n## "); end >= 0 {
		text = text[:end+3]
	}
	name := regexp.MustCompile("`([a-z0-9_.]+)`")
	rows := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cell := strings.SplitN(line[1:], "|", 2)[0]
		section := ""
		for _, m := range name.FindAllStringSubmatch(cell, -1) {
			key := m[1]
			if i := strings.LastIndexByte(key, '.'); i >= 0 {
				section = key[:i]
			} else if section != "" {
				key = section + "." + key
			}
			rows[key] = true
		}
	}
	for _, p := range schemaPaths() {
		if fieldType(p).Kind() == reflect.Struct {
			continue // a section; its keys have the rows
		}
		if !rows[p] {
			t.Errorf("README.md's Config reference has no row for %s", p)
		}
	}
}

// fieldType is the type of the value at key path p of Config.
func fieldType(p string) reflect.Type {
	t := reflect.TypeFor[Config]()
	for _, k := range strings.Split(p, ".") {
		f, _ := lookupField(t, k)
		t = f.typ
	}
	return t
}
