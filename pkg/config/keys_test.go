package config

import (
	"slices"
	"strings"
	"testing"
)

func TestKeyPaths(t *testing.T) {
	keys := KeyPaths()
	tests := []struct {
		path string
		want bool // listed by KeyPaths
	}{
		{"version", true},
		{"seed", true},
		{"data.dir", true},
		{"optimizer.lr", true},
		{"optimizer.momentum", true},
		{"model.hidden", true},             // a list is one value
		{"augment", true},                  // a list of sections too
		{"train.mixup.alpha", true},        // two levels down
		{"schedule.plateau.enabled", true}, // two levels down
		{"output.dir", true},
		{"optimizer", false}, // sections are not values
		{"train.mixup", false},
		{"schedule.plateau", false},
		{"augment.op", false}, // list elements are not descended into
		{"model.layers.type", false},
		{"optimizer.momentun", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := slices.Contains(keys, tt.path); got != tt.want {
				t.Errorf("KeyPaths() lists %q: %v, want %v", tt.path, got, tt.want)
			}
		})
	}

	t.Run("every path is a value --set accepts", func(t *testing.T) {
		seen := map[string]bool{}
		for _, k := range keys {
			if seen[k] {
				t.Errorf("%q listed twice", k)
			}
			seen[k] = true
			// An unparsable value is an error, but not one about the path.
			_, err := Parse([]byte("data: {dir: /d}"), "x.yaml", []string{k + "=[unclosed"})
			if err == nil || strings.Contains(err.Error(), "unknown key") || strings.Contains(err.Error(), "not a section") {
				t.Errorf("--set %s=[unclosed: %v, want an error about the value only", k, err)
			}
		}
		for _, k := range keys {
			for _, other := range keys {
				if strings.HasPrefix(other, k+".") {
					t.Errorf("%q is listed as a value but is the section of %q", k, other)
				}
			}
		}
	})

	t.Run("the caller owns the slice", func(t *testing.T) {
		a := KeyPaths()
		a[0] = "changed"
		if b := KeyPaths(); b[0] == "changed" {
			t.Error("KeyPaths returns a shared slice")
		}
	})
}
