package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics, and that whatever it accepts
// survives a Marshal/Parse round trip unchanged.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(fixtures + "*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"",
		"~",
		"[",
		"data: {dir: .}",
		"data: {dir: .}\n---\n",
		"data: {dir: .}\nmodel: {hidden: []}",
		"data: {dir: .}\nmodel: {arch: layers, layers: [{type: linear, out: 3}, {type: relu}]}",
		"data: {dir: .}\nmodel: {arch: layers, layers: [3, ~, {bias: maybe}]}",
		"data: &a {dir: .}\noptimizer: *a",
		"data: {dir: .}\noptimizer: {<<: {lr: 1}}",
		"data: {dir: \"\\xff\\u2028\"}",
		"data: {dir: .}\nseed: -1\ntrain: {epochs: 1.5}",
		"data: {dir: .}\noptimizer: {lr: .nan, momentum: .inf}",
		"data: {dir: .}\nname: !!binary aGk=",
		"? [a]\n: 1",
		"data:\n  dir: .\n  dir: ..",
		"a: &x [*x]",
		"data: {dir: .}\nmodel: {hidden: [99999999999999999999]}",
		"data: {dir: .}\ndata: ~",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz/f.yaml", nil)
		if err != nil {
			if c != nil {
				t.Fatalf("Parse returned a config and an error: %v", err)
			}
			return
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed config: %v", err)
		}
		back, err := Parse(out, "fuzz/f.yaml", nil)
		if err != nil {
			t.Fatalf("Parse(Marshal()): %v\ninput:\n%s\nmarshalled:\n%s", err, data, out)
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip changed the config:\n got %+v\nwant %+v\nmarshalled:\n%s", back, c, out)
		}
	})
}
