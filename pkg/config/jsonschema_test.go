package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

var updateSchema = flag.Bool("update-schema", false, "rewrite nettrain.schema.json at the repository root")

const schemaFile = "../../nettrain.schema.json"

// compileSchema compiles JSONSchema with a real JSON Schema validator.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	src, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

// yamlToJSON turns a YAML config into the JSON value a validator reads, as
// a YAML language server does.
func yamlToJSON(t *testing.T, yml []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(yml, &v); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// TestJSONSchemaAcceptsConfigs validates every shipped config, the valid
// fixtures and the inline configs of TestMarshalGolden against the schema,
// each as written and resolved (Marshal, as in every run folder).
func TestJSONSchemaAcceptsConfigs(t *testing.T) {
	s := compileSchema(t)
	files := map[string][]byte{}
	err := filepath.WalkDir("../../configs", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		b, err := os.ReadFile(p)
		files[strings.TrimPrefix(p, "../../")] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("only %d configs found", len(files))
	}
	for _, f := range []string{"minimal.yaml", "full.yaml", "layers.yaml"} {
		b, err := os.ReadFile(fixtures + f)
		if err != nil {
			t.Fatal(err)
		}
		files["testdata/config/"+f] = b
	}
	for name, yml := range marshalCases {
		files[name] = []byte(yml)
	}
	for name, yml := range files {
		t.Run(name, func(t *testing.T) {
			if err := s.Validate(yamlToJSON(t, yml)); err != nil {
				t.Errorf("as written: %v", err)
			}
			c, err := Parse(yml, name, nil)
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(yamlToJSON(t, out)); err != nil {
				t.Errorf("resolved: %v\n%s", err, out)
			}
		})
	}
}

// TestJSONSchemaRejects checks that the schema rejects, as the loader does,
// unknown keys, wrong types, unknown names and values out of range.
func TestJSONSchemaRejects(t *testing.T) {
	s := compileSchema(t)
	cases := []struct{ name, yml string }{
		{"unknown key", "data: {dir: d}\noptimizer: {momentun: 0.9}"},
		{"unknown section", "data: {dir: d}\ntrainer: {epochs: 3}"},
		{"wrong type", "data: {dir: d}\noptimizer: {lr: fast}"},
		{"integer expected", "data: {dir: d}\ntrain: {epochs: 1.5}"},
		{"list expected", "data: {dir: d}\nmodel: {hidden: 256}"},
		{"bad enum", "data: {dir: d}\noptimizer: {type: lbfgs}"},
		{"bad registry name", "data: {dir: d}\nmodel: {activation: relux}"},
		{"out of range", "data: {dir: d}\noptimizer: {lr: -1}"},
		{"open bound", "data: {dir: d}\nema: {decay: 1}"},
		{"list element out of range", "data: {dir: d}\nmodel: {hidden: [128, 0]}"},
		{"missing data.dir", "data: {format: idx}"},
		{"layer key of another type", "data: {dir: d}\nmodel: {arch: layers, layers: [{type: flatten, out: 3}]}"},
		{"unknown layer type", "data: {dir: d}\nmodel: {arch: layers, layers: [{type: conv9d}]}"},
		{"layer without type", "data: {dir: d}\nmodel: {arch: layers, layers: [{name: a}]}"},
		{"augment key of another op", "data: {dir: d}\naugment: [{op: hflip, degrees: 10}]"},
		{"augment unknown op", "data: {dir: d}\naugment: [{op: rotat}]"},
		{"augment fill of another kind", "data: {dir: d}\naugment: [{op: erase, fill: reflect}]"},
		{"randaugment op", "data: {dir: d}\naugment: [{op: randaugment, ops: [shear]}]"},
		{"group without pattern", "data: {dir: d}\noptimizer: {groups: [{lr_scale: 2}]}"},
		{"zero-or-range key", "data: {dir: d}\npreprocess: {method: pca, variance: 1.5}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Validate(yamlToJSON(t, []byte(tc.yml))); err == nil {
				t.Errorf("the schema accepts\n%s", tc.yml)
			}
			if _, err := Parse([]byte(tc.yml), "x.yaml", nil); err == nil {
				t.Errorf("the loader accepts\n%s", tc.yml)
			}
		})
	}
}

// TestJSONSchemaContent spot-checks what the schema holds: defaults,
// ranges, enums from the packages' lists and descriptions from the doc
// comments.
func TestJSONSchemaContent(t *testing.T) {
	src, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	get := func(path ...string) map[string]any {
		v := any(doc)
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		return v.(map[string]any)
	}
	if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" || doc["$id"] != SchemaID || doc["title"] == nil {
		t.Errorf("header: %v %v %v", doc["$schema"], doc["$id"], doc["title"])
	}
	lr := get("properties", "optimizer", "properties", "lr")
	if lr["type"] != "number" || lr["default"] != 0.01 || lr["exclusiveMinimum"] != 0.0 || !strings.Contains(lr["description"].(string), "learning rate") {
		t.Errorf("optimizer.lr: %v", lr)
	}
	typ := get("properties", "optimizer", "properties", "type")
	if enum, _ := json.Marshal(typ["enum"]); string(enum) != `["sgd","adam","adamw","rmsprop","adagrad"]` {
		t.Errorf("optimizer.type enum %s", enum)
	}
	if get("properties", "model")["additionalProperties"] != false {
		t.Error("model allows other keys")
	}
	if d := get("properties", "model", "properties", "hidden"); d["default"] == nil || get("properties", "model", "properties", "hidden", "items")["minimum"] != 1.0 {
		t.Errorf("model.hidden: %v", d)
	}
}

// TestSchemaFile checks that nettrain.schema.json, the schema committed at
// the repository root for editors (# yaml-language-server: $schema=...),
// is what `nettrain schema` prints. Regenerate with
// go test ./pkg/config -run TestSchemaFile -update-schema, or
// nettrain schema > nettrain.schema.json.
func TestSchemaFile(t *testing.T) {
	src, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	if *updateSchema {
		if err := os.WriteFile(schemaFile, src, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(old, src) {
		t.Fatal("nettrain.schema.json is out of date: run go generate ./pkg/config")
	}
}
