package main

import (
	"encoding/json"
	"os"
	"testing"
)

// TestSchemaCommand checks that `nettrain schema` prints the JSON Schema
// committed as nettrain.schema.json (pkg/config tests what it holds).
func TestSchemaCommand(t *testing.T) {
	code, out, errs := nettrain(t, "schema")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	file, err := os.ReadFile("../../nettrain.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if out != string(file) {
		t.Error("nettrain schema differs from nettrain.schema.json")
	}
	if code, _, _ := nettrain(t, "schema", "extra"); code != 2 {
		t.Errorf("an argument: exit %d, want 2", code)
	}
}
