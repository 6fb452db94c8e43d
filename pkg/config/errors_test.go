package config

import (
	"errors"
	"testing"
)

func TestErrorString(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "configs/x.yaml", Line: 7, Path: "optimizer.moment", Msg: "unknown key"}, "configs/x.yaml:7: optimizer.moment: unknown key"},
		{Error{File: "configs/x.yaml", Path: "data.dir", Msg: "required"}, "configs/x.yaml: data.dir: required"},
		{Error{File: "configs/x.yaml", Line: 3, Msg: "invalid YAML: bad"}, "configs/x.yaml:3: invalid YAML: bad"},
		{Error{File: "configs/x.yaml", Msg: "empty config"}, "configs/x.yaml: empty config"},
		{Error{Path: "optimizer.lr", Msg: "must be > 0, got -1"}, "optimizer.lr: must be > 0, got -1"},
		{Error{Line: 4, Path: "a", Msg: "m"}, "line 4: a: m"},
		{Error{Msg: "m"}, "m"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestErrorsAs(t *testing.T) {
	_, err := Parse([]byte("data: {dir: .}\noptimizer: {lr: x}\ntrain: {epochs: y}\n"), "c.yaml", nil)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("errors.As(%v) failed", err)
	}
	if *e != (Error{File: "c.yaml", Line: 2, Path: "optimizer.lr", Msg: `must be a number, got "x"`}) {
		t.Errorf("first error = %+v", *e)
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"type", "lr", "momentum", "nesterov"}
	tests := []struct {
		name, want string
	}{
		{"moment", "momentum"},   // distance 2, and a prefix
		{"momentun", "momentum"}, // distance 1
		{"momentums", "momentum"},
		{"nestrov", "nesterov"},
		{"Nesterov", "nesterov"},
		{"typ", "type"},
		{"lrr", "lr"},
		{"mom", "momentum"}, // prefix
		{"xyz", ""},
		{"a", ""},        // distance 2 from "lr" but longer than the key itself
		{"learning", ""}, // no close key (aliases are handled by unknownKeyMsg)
	}
	for _, tt := range tests {
		if got := suggest(tt.name, known); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestUnknownKeyMsg(t *testing.T) {
	tests := []struct {
		name  string
		known []string
		want  string
	}{
		{"moment", []string{"type", "lr", "momentum", "nesterov"}, `unknown key; did you mean "momentum"?`},
		{"learning_rate", []string{"type", "lr", "momentum", "nesterov"}, `unknown key; did you mean "optimizer.lr"?`},
		{"batch_size", []string{"dir", "format"}, `unknown key; did you mean "train.batch_size"?`},
		{"out_features", []string{"type", "name", "out", "bias", "init"}, `unknown key; did you mean "out"?`},
		{"zzz", []string{"a_long", "b_long"}, "unknown key; known keys: a_long, b_long"},
	}
	for _, tt := range tests {
		if got := unknownKeyMsg(tt.name, tt.known); got != tt.want {
			t.Errorf("unknownKeyMsg(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestLevenshtein(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"kitten", "sitting", 3},
		{"moment", "momentum", 2},
		{"ü", "u", 1},
	}
	for _, tt := range tests {
		if got := levenshtein(tt.a, tt.b); got != tt.want {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
