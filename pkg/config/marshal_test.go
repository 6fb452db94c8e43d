package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestMarshalRoundTrip checks that Parse reads Marshal's output back to an
// equal Config, and that the output holds every key.
func TestMarshalRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		file      string // a fixture, or "" to parse yml
		yml       string
		overrides []string
	}{
		{name: "minimal fixture", file: "minimal.yaml"},
		{name: "full fixture", file: "full.yaml"},
		{name: "layers fixture", file: "layers.yaml"},
		{name: "linear classifier", yml: "data: {dir: /d}\nmodel: {hidden: []}"},
		{name: "val_split 0", yml: "data: {dir: /d, val_split: 0}"},
		{name: "other arch with hidden", yml: "data: {dir: /d}\nmodel: {arch: cnn, hidden: [3, 4]}"},
		{name: "other arch without hidden", yml: "data: {dir: /d}\nmodel: {arch: cnn}"},
		{name: "strings that need quotes", yml: "data: {dir: '/d #1: x'}\nname: '123'\nregularization: {include: ['true', 'null']}\noutput: {dir: ' spaced '}"},
		{name: "unicode strings", yml: "data: {dir: /données/ü}\nregularization: {exclude: [\"naïve\u2028x\"]}"},
		{name: "small and large floats", yml: "data: {dir: /d, val_split: 1e6}\noptimizer: {lr: 1e-300, momentum: 0.30000000000000004}\nregularization: {l2: 1e+20}"},
		{name: "big seed", yml: "data: {dir: /d}\nseed: 18446744073709551615"},
		{name: "layers with every key", yml: "data: {dir: /d}\nmodel: {arch: layers, layers: [{type: flatten, name: f}, {type: linear, name: fc, out: 3, bias: false, init: normal}, {type: gelu}]}"},
		{name: "with overrides", yml: "data: {dir: /d}", overrides: []string{"model.hidden=[8]", "optimizer.nesterov=true", "optimizer.momentum=0.5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c *Config
			var err error
			if tt.file != "" {
				c, err = Load(fixtures+tt.file, tt.overrides)
			} else {
				c, err = Parse([]byte(tt.yml), "x.yaml", tt.overrides)
			}
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse(out, "other/name.yaml", nil)
			if err != nil {
				t.Fatalf("Parse(Marshal()): %v\n%s", err, out)
			}
			if !reflect.DeepEqual(back, c) {
				t.Errorf("round trip changed the config:\n got %+v\nwant %+v\nYAML:\n%s", back, c, out)
			}
			for _, p := range schemaPaths() {
				if p == "preprocess.normalize" {
					continue // deprecated: moved into preprocess.method, left out
				}
				if p == "search" || strings.HasPrefix(p, "search.") {
					continue // written only when set (TestSearchSection)
				}
				key := p[strings.LastIndexByte(p, '.')+1:]
				if !strings.Contains(string(out), key+":") {
					t.Errorf("Marshal output lacks key %s:\n%s", p, out)
				}
			}
		})
	}
}

func TestMarshalFormat(t *testing.T) {
	c, err := Load(fixtures+"layers.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\nversion: 1\nname: layers\nseed: 1\n",
		"\n  hidden: []\n",
		"\n  layers:\n    - {type: flatten}\n    - {type: linear, name: fc1, out: 256, bias: true}\n    - {type: relu}\n    - {type: linear, name: head, out: 10, bias: false, init: normal}\n",
		"\n  lr: 0.05\n  momentum: 0.9\n  dampening: 0\n  nesterov: false\n",
		"\n  val_split: 0.1\n",
		"\n  dir: runs/layers\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("Marshal output lacks %q:\n%s", want, out)
		}
	}
}

func TestDefaultMarshals(t *testing.T) {
	c := Default()
	c.Data.Dir = "/d"
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(out, "x.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("got %+v, want %+v", back, c)
	}
}
