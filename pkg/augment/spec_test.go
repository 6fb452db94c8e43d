package augment

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestNewValid(t *testing.T) {
	p, err := New([]Spec{
		{Op: "crop", P: 1, Pad: 4},
		{Op: "resized_crop", P: 0.5},
		{Op: "erase", P: 0.25, Fill: "noise"},
		{Op: "rotate", P: 1, Degrees: 10, Fill: "constant", FillValue: 0.5},
		{Op: "randaugment", P: 1, Magnitude: 9},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{
		{1, Crop{Pad: 4}},
		{0.5, ResizedCrop{Scale: [2]float64{0.08, 1}, Ratio: [2]float64{3.0 / 4, 4.0 / 3}}},
		{0.25, Erase{Scale: [2]float64{0.02, 0.33}, Ratio: [2]float64{0.3, 3.3}, Noise: true}},
		{1, Rotate{Degrees: 10, Fill: Fill{Value: 0.5}}},
	}
	for i, w := range want {
		if p.Steps[i] != w {
			t.Fatalf("step %d = %+v, want %+v", i, p.Steps[i], w)
		}
	}
	if ra := p.Steps[4].Op.(RandAugment); ra.N != 2 || ra.Magnitude != 9 || ra.Ops != nil {
		t.Fatalf("randaugment defaults: %+v", ra)
	}
	for _, name := range Names() {
		if _, ok := ops[name]; !ok || opName(mustBuild(t, name)) != name {
			t.Fatalf("op %q: registry and opName disagree", name)
		}
	}
}

// mustBuild builds op name with parameters valid for every op.
func mustBuild(t *testing.T, name string) Op {
	s := Spec{Op: name, Stretch: []float64{1, 1}, Size: 1}
	op, err := ops[name].build(&s)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name  string
		specs []Spec
		want  []string // one line per error, in order
	}{
		{"unknown op", []Spec{{Op: "rotat", P: 1}},
			[]string{`augment[0].op: unknown op "rotat"; did you mean "rotate"? known: color_jitter, crop, cutout, erase, hflip, lens, randaugment, resized_crop, rotate, shear, stretch, translate, vflip`}},
		{"missing op", []Spec{{P: 1}}, []string{`augment[0].op: required; known: color_jitter,`}},
		{"p", []Spec{{Op: "hflip", P: 1.5}}, []string{"augment[0].p: hflip: must be in [0, 1], got 1.5"}},
		{"p NaN", []Spec{{Op: "hflip", P: math.NaN()}}, []string{"augment[0].p: hflip: must be in [0, 1], got NaN"}},
		{"param of another op", []Spec{{Op: "hflip", P: 1}, {Op: "rotate", P: 1, Degrees: 5, Pad: 2}},
			[]string{"augment[1].pad: rotate: does not apply to rotate (it takes parameters: degrees, fill, fill_value)"}},
		{"no params", []Spec{{Op: "vflip", P: 1, Degrees: 3}}, []string{"augment[0].degrees: vflip: does not apply to vflip (it takes no parameters)"}},
		{"degrees", []Spec{{Op: "rotate", P: 1, Degrees: 200}}, []string{"augment[0].degrees: rotate: must be in [0, 180], got 200"}},
		{"shear degrees", []Spec{{Op: "shear", P: 1, Degrees: -1}}, []string{"augment[0].degrees: shear: must be in [0, 80], got -1"}},
		{"pad", []Spec{{Op: "crop", P: 1, Pad: -1}}, []string{"augment[0].pad: crop: must be >= 0, got -1"}},
		{"scale order", []Spec{{Op: "resized_crop", P: 1, Scale: []float64{0.5, 0.2}}},
			[]string{"augment[0].scale: resized_crop: must be [min, max] with min <= max, got [0.5, 0.2]"}},
		{"scale range", []Spec{{Op: "resized_crop", P: 1, Scale: []float64{0, 0.2}}},
			[]string{"augment[0].scale: resized_crop: must lie in (0, 1], got [0, 0.2]"}},
		{"erase scale 1", []Spec{{Op: "erase", P: 1, Scale: []float64{0.5, 1}}},
			[]string{"augment[0].scale: erase: must lie in (0, 1), got [0.5, 1]"}},
		{"hue", []Spec{{Op: "color_jitter", P: 1, Hue: 0.6}}, []string{"augment[0].hue: color_jitter: must be in [0, 0.5], got 0.6"}},
		{"translate", []Spec{{Op: "translate", P: 1, Translate: []float64{0.1, 2}}},
			[]string{"augment[0].translate: translate: each fraction must be in [0, 1], got [0.1, 2]"}},
		{"stretch required", []Spec{{Op: "stretch", P: 1}},
			[]string{"augment[0].stretch: stretch: required: the scale factor range [min, max], e.g. [0.9, 1.1]"}},
		{"lens", []Spec{{Op: "lens", P: 1, K: []float64{-2, 0}}}, []string{"augment[0].k: lens: must lie in [-0.9, 1], got [-2, 0]"}},
		{"fill", []Spec{{Op: "rotate", P: 1, Fill: "wrap"}},
			[]string{`augment[0].fill: rotate: unknown fill "wrap"; known: constant, edge, reflect`}},
		{"fill value with edge", []Spec{{Op: "rotate", P: 1, Fill: "edge", FillValue: 1}},
			[]string{`augment[0].fill_value: rotate: only applies to fill "constant", not "edge"`}},
		{"erase fill", []Spec{{Op: "erase", P: 1, Fill: "edge"}},
			[]string{`augment[0].fill: erase: unknown fill "edge"; known: zero, noise`}},
		{"cutout size", []Spec{{Op: "cutout", P: 1}}, []string{"augment[0].size: cutout: must be >= 1 pixel, got 0"}},
		{"randaugment ops", []Spec{{Op: "randaugment", P: 1, Ops: []string{"rotate", "spin"}}},
			[]string{`augment[0].ops: randaugment: unknown RandAugment op "spin"; known: autocontrast,`}},
		{"randaugment magnitude", []Spec{{Op: "randaugment", P: 1, Magnitude: 11}},
			[]string{"augment[0].magnitude: randaugment: must be in [0, 10], got 11"}},
		{"several", []Spec{{Op: "hflip", P: 2}, {Op: "crop", P: 1}, {Op: "rotate", P: 1, Degrees: 181, Size: 3}},
			[]string{"augment[0].p: hflip:", "augment[2].size: rotate: does not apply", "augment[2].degrees: rotate: must be"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.specs)
			if err == nil {
				t.Fatalf("no error, pipeline %+v", p)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("%d errors, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Fatalf("error %d:\n got %s\nwant %s…", i, lines[i], w)
				}
			}
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("not a *SpecError: %T", err)
			}
		})
	}
}

func TestParams(t *testing.T) {
	if got := strings.Join(Params("crop"), ","); got != "pad,size,fill,fill_value" {
		t.Fatalf("Params(crop) = %s", got)
	}
	if Params("nope") != nil {
		t.Fatal("Params of an unknown op is not nil")
	}
}
