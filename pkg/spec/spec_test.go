package spec

import (
	"math"
	"strings"
	"testing"
)

func TestParseRange(t *testing.T) {
	cases := []struct {
		tag, phrase string
		in, out     []float64
	}{
		{">0", "> 0", []float64{1e-300, 5}, []float64{0, -1, math.NaN()}},
		{">=1", ">= 1", []float64{1, 2}, []float64{0.5, 0}},
		{">0,<1", "> 0 and < 1", []float64{0.5}, []float64{0, 1}},
		{">=0,<1", ">= 0 and < 1", []float64{0, 0.99}, []float64{1, -0.1}},
		{">0,<=1", "> 0 and <= 1", []float64{1}, []float64{0, 1.5}},
		{"[0,1)", "in [0, 1)", []float64{0, 0.5}, []float64{1, -1, math.Inf(1)}},
		{"(1,2); √2", "in (1, 2)", []float64{1.5}, []float64{1, 2, 0}},
		{"0|(0,1]; 0 = all", "in (0, 1]", []float64{0, 1, 0.3}, []float64{1.5, -0.1}},
		{"0|>1; 0 = off", "> 1", []float64{0, 1.5}, []float64{0.5, 1, -1}},
	}
	for _, tc := range cases {
		r, err := ParseRange(tc.tag)
		if err != nil {
			t.Fatalf("%q: %v", tc.tag, err)
		}
		if got := r.Phrase(); got != tc.phrase {
			t.Errorf("%q: phrase %q, want %q", tc.tag, got, tc.phrase)
		}
		for _, v := range tc.in {
			if !r.Contains(v) {
				t.Errorf("%q does not contain %v", tc.tag, v)
			}
		}
		for _, v := range tc.out {
			if r.Contains(v) {
				t.Errorf("%q contains %v", tc.tag, v)
			}
		}
	}
	for _, bad := range []string{"", "0", ">", "[0,1", "(a,1)", ">0,>1", "<1,<2", "=1"} {
		if _, err := ParseRange(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if got := MustParseRange("0|(0,1]; 0 = keep every component").Message("1.5"); got != "must be in (0, 1] (0 = keep every component), got 1.5" {
		t.Errorf("message %q", got)
	}
}

type inner struct {
	N int `yaml:"n" range:">=1"`
}

type section struct {
	Kind   string    `yaml:"kind"`
	Rate   float64   `yaml:"rate" range:">0"`
	Sizes  []int     `yaml:"sizes" range:">=1"`
	Frac   *float64  `yaml:"frac" range:"[0,1)"`
	Plain  float64   `yaml:"plain"`
	Only   int       `yaml:"only" range:">=1"`
	Inner  inner     `yaml:"inner"`
	Items  []inner   `yaml:"items"`
	Floats []float64 `yaml:"floats"`
}

func (section) KeyNames() map[string]Names {
	return map[string]Names{"kind": {List: []string{"a", "b"}}}
}

func (s section) Uses(key string) bool { return key != "only" || s.Kind == "b" }

func TestCheckFields(t *testing.T) {
	bad := 2.0
	s := section{Kind: "c", Rate: 0, Sizes: []int{1, 0}, Frac: &bad, Plain: math.NaN(), Only: 0,
		Inner: inner{N: 0}, Items: []inner{{N: 0}}, Floats: []float64{math.Inf(-1)}}
	var ck Checker
	CheckFields(ck.At("sec"), s)
	want := []string{
		`sec.kind: must be one of "a", "b", got "c"`,
		"sec.rate: must be > 0, got 0",
		"sec.sizes[1]: must be >= 1, got 0",
		"sec.frac: must be in [0, 1), got 2",
		"sec.plain: must be a finite number, got .nan",
		"sec.floats[0]: must be a finite number, got -.inf",
	}
	if got := ck.Err(); got == nil || got.Error() != strings.Join(want, "\n") {
		t.Errorf("got\n%v\nwant\n%s", got, strings.Join(want, "\n"))
	}
	s.Kind = "b"
	var ck2 Checker
	CheckFields(&ck2, s)
	if ps := ck2.Problems(); len(ps) == 0 || ps[len(ps)-2].Path != "only" {
		t.Errorf("a used key is not checked: %v", ps)
	}
}

func TestNames(t *testing.T) {
	var ck Checker
	n := Names{List: []string{"x", "y"}, Noun: "thing", EmptyMsg: "required"}
	n.Check(&ck, "k", "z")
	n.Check(&ck, "k", "")
	n.Check(&ck, "k", "x")
	Names{List: []string{"x"}, Empty: true}.Check(&ck, "e", "")
	Names{List: []string{"x"}}.Check(&ck, "o", "w")
	want := "k: unknown thing \"z\"; known: x, y\nk: required\no: must be \"x\" (the only value for now), got \"w\""
	if got := ck.Err().Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
