package augment

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/nettrain/nettrain/pkg/spec"
)

// Spec describes one pipeline step as plain data; it is also one entry of
// a config's augment list, with its keys (the yaml tags). Op selects the
// operation (a name in Names); P is the probability of applying it. The
// other fields are the parameters of the ops; each op reads only the ones
// [Params] lists for it (see the package documentation), and setting any
// other (to a non-zero value) is an error, so a misplaced key is caught.
// A range is two numbers [min, max]; an empty range means the op's default
// where one exists.
type Spec struct {
	// Op is the operation (key "op"): crop, hflip, vflip, resized_crop,
	// color_jitter, translate, rotate, stretch, shear, lens, erase, cutout
	// or randaugment. Required.
	Op string `yaml:"op"`
	// P is the probability of applying the op to an example (key "p"), in
	// [0, 1], used as given (0: never). Default 1 in a config
	// ([Spec.ApplyDefaults]).
	P float64 `yaml:"p" range:"[0,1]"`
	// Pad is crop's zero padding per side in pixels (key "pad").
	Pad int `yaml:"pad"`
	// Size is crop's output side (0: the input size; it must keep the
	// image size) or cutout's square side in pixels (key "size").
	Size int `yaml:"size"`
	// Scale is the area fraction range [min, max] of resized_crop (default
	// [0.08, 1]) and erase (default [0.02, 0.33]) (key "scale").
	Scale []float64 `yaml:"scale"`
	// Ratio is the aspect ratio range [min, max] of resized_crop (default
	// [3/4, 4/3]) and erase (default [0.3, 3.3]) (key "ratio").
	Ratio []float64 `yaml:"ratio"`
	// Brightness, Contrast, Saturation and Hue are color_jitter's strengths
	// (keys "brightness", "contrast", "saturation", "hue"; hue in
	// [0, 0.5]), as torchvision's ColorJitter; saturation and hue need RGB
	// data.
	Brightness float64 `yaml:"brightness"`
	Contrast   float64 `yaml:"contrast"`
	Saturation float64 `yaml:"saturation"`
	Hue        float64 `yaml:"hue"`
	// Translate is translate's maximum shift [x, y] as fractions of the
	// width and height (key "translate").
	Translate []float64 `yaml:"translate"`
	// Degrees is the maximum angle in degrees of rotate and shear (key
	// "degrees").
	Degrees float64 `yaml:"degrees"`
	// Stretch is stretch's scale factor range [min, max] per axis (key
	// "stretch"). Required for stretch.
	Stretch []float64 `yaml:"stretch"`
	// K is lens's range [min, max] of the radial coefficient k1 (key "k"):
	// > 0 barrel, < 0 pincushion.
	K []float64 `yaml:"k"`
	// Fill is the border (key "fill"): "constant" (default, reading
	// FillValue), "edge" or "reflect" for geometric ops; "zero" (default)
	// or "noise" for erase and cutout.
	Fill string `yaml:"fill"`
	// FillValue is the constant of fill "constant" (key "fill_value").
	// Default 0.
	FillValue float64 `yaml:"fill_value"`
	// N and Magnitude are randaugment's operations per image (default 2)
	// and strength on the 0–10 scale (keys "n", "magnitude"); Ops restricts
	// its operations to names from RandAugmentOps (key "ops"; empty:
	// RandAugmentDefaultOps).
	N         int      `yaml:"n"`
	Magnitude float64  `yaml:"magnitude"`
	Ops       []string `yaml:"ops"`
}

// ApplyDefaults fills in a config step's defaults: p is 1 unless set;
// isSet reports whether a key of the step was given a value.
func (s *Spec) ApplyDefaults(isSet func(key string) bool) {
	if !isSet("p") {
		s.P = 1
	}
}

// rangeKeys are the keys of Spec's [min, max] ranges.
var rangeKeys = []string{"scale", "ratio", "translate", "stretch", "k"}

// ranges returns s's range fields by key.
func (s *Spec) ranges() map[string][]float64 {
	return map[string][]float64{"scale": s.Scale, "ratio": s.Ratio, "translate": s.Translate, "stretch": s.Stretch, "k": s.K}
}

// pair returns range v as an array, the zero range when it is empty.
func pair(v []float64) [2]float64 {
	if len(v) != 2 {
		return [2]float64{}
	}
	return [2]float64{v[0], v[1]}
}

// pRange is the range of Spec.P, from its range tag.
var pRange = spec.Ranges(reflect.TypeFor[Spec]())["p"]

// eraseFills are the values of Spec.Fill for erase and cutout: zero (the
// default) and noise.
var eraseFills = []string{"zero", "noise"}

// FillNames returns the values of Spec.Fill op accepts ("" too, the
// default), or nil when op takes no fill.
func FillNames(op string) []string {
	switch {
	case op == "erase" || op == "cutout":
		return slices.Clone(eraseFills)
	case slices.Contains(ops[op].params, "fill"):
		return geomFills()
	}
	return nil
}

// geomFills are the values of Spec.Fill for geometric ops, sorted.
func geomFills() []string { return slices.Sorted(maps.Keys(fillModeNames)) }

// specParam is one parameter field of Spec: its key and whether it is set.
type specParam struct {
	key string
	set func(*Spec) bool
}

// specParams lists every parameter field, in declaration order.
var specParams = []specParam{
	{"pad", func(s *Spec) bool { return s.Pad != 0 }},
	{"size", func(s *Spec) bool { return s.Size != 0 }},
	{"scale", func(s *Spec) bool { return len(s.Scale) != 0 }},
	{"ratio", func(s *Spec) bool { return len(s.Ratio) != 0 }},
	{"brightness", func(s *Spec) bool { return s.Brightness != 0 }},
	{"contrast", func(s *Spec) bool { return s.Contrast != 0 }},
	{"saturation", func(s *Spec) bool { return s.Saturation != 0 }},
	{"hue", func(s *Spec) bool { return s.Hue != 0 }},
	{"translate", func(s *Spec) bool { return len(s.Translate) != 0 }},
	{"degrees", func(s *Spec) bool { return s.Degrees != 0 }},
	{"stretch", func(s *Spec) bool { return len(s.Stretch) != 0 }},
	{"k", func(s *Spec) bool { return len(s.K) != 0 }},
	{"fill", func(s *Spec) bool { return s.Fill != "" }},
	{"fill_value", func(s *Spec) bool { return s.FillValue != 0 }},
	{"n", func(s *Spec) bool { return s.N != 0 }},
	{"magnitude", func(s *Spec) bool { return s.Magnitude != 0 }},
	{"ops", func(s *Spec) bool { return len(s.Ops) != 0 }},
}

// opEntry is a registry entry: the Spec parameters the op reads and its
// builder (which applies defaults and returns the op unvalidated).
type opEntry struct {
	params []string
	build  func(s *Spec) (Op, error)
}

// geomParams are the border parameters every geometric op takes.
var geomParams = []string{"fill", "fill_value"}

// ops is the registry of step names.
var ops = map[string]opEntry{
	"crop": {append([]string{"pad", "size"}, geomParams...), func(s *Spec) (Op, error) {
		f, err := geomFill(s)
		return Crop{Pad: s.Pad, Size: s.Size, Fill: f}, err
	}},
	"hflip": {nil, func(*Spec) (Op, error) { return HFlip{}, nil }},
	"vflip": {nil, func(*Spec) (Op, error) { return VFlip{}, nil }},
	"resized_crop": {[]string{"scale", "ratio"}, func(s *Spec) (Op, error) {
		return ResizedCrop{Scale: orDefault(pair(s.Scale), [2]float64{0.08, 1}), Ratio: orDefault(pair(s.Ratio), [2]float64{3.0 / 4, 4.0 / 3})}, nil
	}},
	"color_jitter": {[]string{"brightness", "contrast", "saturation", "hue"}, func(s *Spec) (Op, error) {
		return ColorJitter{Brightness: s.Brightness, Contrast: s.Contrast, Saturation: s.Saturation, Hue: s.Hue}, nil
	}},
	"translate": {append([]string{"translate"}, geomParams...), func(s *Spec) (Op, error) {
		f, err := geomFill(s)
		t := pair(s.Translate)
		return Translate{X: t[0], Y: t[1], Fill: f}, err
	}},
	"rotate": {append([]string{"degrees"}, geomParams...), func(s *Spec) (Op, error) {
		f, err := geomFill(s)
		return Rotate{Degrees: s.Degrees, Fill: f}, err
	}},
	"stretch": {append([]string{"stretch"}, geomParams...), func(s *Spec) (Op, error) {
		if len(s.Stretch) == 0 {
			return nil, perr("stretch", "required: the scale factor range [min, max], e.g. [0.9, 1.1]")
		}
		f, err := geomFill(s)
		return Stretch{Range: pair(s.Stretch), Fill: f}, err
	}},
	"shear": {append([]string{"degrees"}, geomParams...), func(s *Spec) (Op, error) {
		f, err := geomFill(s)
		return Shear{Degrees: s.Degrees, Fill: f}, err
	}},
	"lens": {append([]string{"k"}, geomParams...), func(s *Spec) (Op, error) {
		f, err := geomFill(s)
		return Lens{K: pair(s.K), Fill: f}, err
	}},
	"erase": {[]string{"scale", "ratio", "fill"}, func(s *Spec) (Op, error) {
		noise, err := eraseFill(s)
		return Erase{Scale: orDefault(pair(s.Scale), [2]float64{0.02, 0.33}), Ratio: orDefault(pair(s.Ratio), [2]float64{0.3, 3.3}), Noise: noise}, err
	}},
	"cutout": {[]string{"size", "fill"}, func(s *Spec) (Op, error) {
		noise, err := eraseFill(s)
		return Cutout{Size: s.Size, Noise: noise}, err
	}},
	"randaugment": {append([]string{"n", "magnitude", "ops"}, geomParams...), func(s *Spec) (Op, error) {
		f, err := geomFill(s)
		n := s.N
		if n == 0 {
			n = 2
		}
		return RandAugment{N: n, Magnitude: s.Magnitude, Ops: slices.Clone(s.Ops), Fill: f}, err
	}},
}

// Names returns the op names Spec.Op accepts, sorted.
func Names() []string {
	names := make([]string, 0, len(ops))
	for k := range ops {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// Params returns the Spec parameter keys that op reads (besides "op" and
// "p"), or nil for an unknown op.
func Params(op string) []string { return slices.Clone(ops[op].params) }

// orDefault returns v, or def when v is the zero range.
func orDefault(v, def [2]float64) [2]float64 {
	if v == [2]float64{} {
		return def
	}
	return v
}

// geomFill decodes the border policy of a geometric op.
func geomFill(s *Spec) (Fill, error) {
	f := Fill{Value: float32(s.FillValue)}
	if s.Fill != "" {
		m, ok := fillModeNames[s.Fill]
		if !ok {
			return f, perr("fill", "unknown fill %q; known: %s", s.Fill, joinNames(geomFills()))
		}
		f.Mode = m
	}
	if math.IsNaN(s.FillValue) || math.IsInf(s.FillValue, 0) {
		return f, perr("fill_value", "must be finite, got %g", s.FillValue)
	}
	if f.Mode != FillConstant && s.FillValue != 0 {
		return f, perr("fill_value", "only applies to fill \"constant\", not %q", s.Fill)
	}
	return f, nil
}

// eraseFill decodes the fill of erase and cutout: whether it is noise.
func eraseFill(s *Spec) (bool, error) {
	switch s.Fill {
	case "", eraseFills[0]:
		return false, nil
	case eraseFills[1]:
		return true, nil
	}
	return false, perr("fill", "unknown fill %q; known: %s", s.Fill, joinNames(eraseFills))
}

// validator is implemented by every op with parameters.
type validator interface{ Validate() error }

// SpecError is a problem with step Index of a []Spec: Param is the
// parameter key ("op", "p", "degrees", …), Op the step's op name (empty for
// a range that is not two numbers, found before the op is looked up).
type SpecError struct {
	Index int
	Op    string
	Param string
	Msg   string
}

// Error formats e as "augment[2].degrees: rotate: must be in [0, 180], got 200".
func (e *SpecError) Error() string {
	op := ""
	if e.Op != "" && e.Param != "op" {
		op = e.Op + ": "
	}
	return fmt.Sprintf("augment[%d].%s: %s%s", e.Index, e.Param, op, e.Msg)
}

// wrapStep turns an op's error into a *SpecError for step i.
func wrapStep(i int, op string, err error) error {
	var pe *ParamError
	if errors.As(err, &pe) {
		return &SpecError{Index: i, Op: op, Param: pe.Param, Msg: pe.Msg}
	}
	return &SpecError{Index: i, Op: op, Param: "op", Msg: err.Error()}
}

// opName returns the registry name of a built op, for messages.
func opName(op Op) string {
	switch op.(type) {
	case Crop:
		return "crop"
	case HFlip:
		return "hflip"
	case VFlip:
		return "vflip"
	case ResizedCrop:
		return "resized_crop"
	case ColorJitter:
		return "color_jitter"
	case Translate:
		return "translate"
	case Rotate:
		return "rotate"
	case Stretch:
		return "stretch"
	case Shear:
		return "shear"
	case Lens:
		return "lens"
	case Erase:
		return "erase"
	case Cutout:
		return "cutout"
	case RandAugment:
		return "randaugment"
	}
	return fmt.Sprintf("%T", op)
}

// New builds a Pipeline from specs, one step per spec in order. It checks
// every spec and returns all problems joined (errors.Join of *SpecError, one
// per line): a range that is not two numbers, an unknown op (listing the
// known ones), a probability outside [0, 1], a parameter the op does not
// read, and each op's own Validate. Shape-dependent checks happen in
// Pipeline.OutShape.
func New(specs []Spec) (*Pipeline, error) {
	var errs []error
	p := &Pipeline{Steps: make([]Step, 0, len(specs))}
	for i := range specs {
		s := &specs[i]
		badRange := false
		for _, key := range rangeKeys {
			if r := s.ranges()[key]; len(r) != 0 && len(r) != 2 {
				errs = append(errs, &SpecError{Index: i, Param: key, Msg: fmt.Sprintf("must be two numbers [min, max], got %d", len(r))})
				badRange = true
			}
		}
		if badRange {
			continue
		}
		e, ok := ops[s.Op]
		if !ok {
			msg := fmt.Sprintf("unknown op %q;", s.Op)
			if s.Op == "" {
				msg = "required;"
			} else if d := closest(s.Op, Names()); d != "" {
				msg += fmt.Sprintf(" did you mean %q?", d)
			}
			errs = append(errs, &SpecError{Index: i, Op: s.Op, Param: "op", Msg: msg + " known: " + joinNames(Names())})
			continue
		}
		bad := false
		if !pRange.Contains(s.P) {
			errs = append(errs, &SpecError{Index: i, Op: s.Op, Param: "p", Msg: fmt.Sprintf("must be %s, got %g", pRange.Phrase(), s.P)})
			bad = true
		}
		for _, sp := range specParams {
			if sp.set(s) && !slices.Contains(e.params, sp.key) {
				takes := "no parameters"
				if len(e.params) > 0 {
					takes = "parameters: " + joinNames(e.params)
				}
				errs = append(errs, &SpecError{Index: i, Op: s.Op, Param: sp.key, Msg: fmt.Sprintf("does not apply to %s (it takes %s)", s.Op, takes)})
				bad = true
			}
		}
		op, err := e.build(s)
		if err == nil {
			if v, ok := op.(validator); ok {
				err = v.Validate()
			}
		}
		if err != nil {
			errs = append(errs, wrapStep(i, s.Op, err))
			bad = true
		}
		if !bad {
			p.Steps = append(p.Steps, Step{P: s.P, Op: op})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// joinNames formats names as "a, b, c".
func joinNames(names []string) string { return strings.Join(names, ", ") }

// closest returns the name within edit distance 2 of s (the nearest), or "".
func closest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(s, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
