package augment

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Spec describes one pipeline step as plain data, the form a configuration
// decodes into. Op selects the operation (a name in Names); P is the
// probability of applying it. The other fields are the parameters of the
// ops; each op reads only the ones listed for it in the package
// documentation, and setting any other (to a non-zero value) is an error,
// so a misplaced key is caught. A zero range means the op's default where
// one exists.
type Spec struct {
	Op string  // op name, one of Names()
	P  float64 // probability in [0, 1], used as given (0: never); configs default it to 1

	Pad  int // crop: padding on each side in pixels
	Size int // crop: output side (0: input size); cutout: square side in pixels

	Scale [2]float64 // resized_crop, erase: area fraction range
	Ratio [2]float64 // resized_crop, erase: aspect ratio range

	Brightness float64 // color_jitter
	Contrast   float64 // color_jitter
	Saturation float64 // color_jitter (C=3 only)
	Hue        float64 // color_jitter (C=3 only), in [0, 0.5]

	Translate [2]float64 // translate: maximum shift as fractions [x, y] of the width and height
	Degrees   float64    // rotate, shear: maximum angle in degrees
	Stretch   [2]float64 // stretch: scale factor range per axis
	K         [2]float64 // lens: range of the radial coefficient k1

	// Fill is the border policy: for geometric ops "constant" (default,
	// reading FillValue), "edge" or "reflect"; for erase and cutout "zero"
	// (default) or "noise".
	Fill      string
	FillValue float64 // constant fill value of geometric ops, default 0

	N         int      // randaugment: operations per image
	Magnitude float64  // randaugment: magnitude on the 0–10 scale
	Ops       []string // randaugment: operation names (empty: RandAugmentDefaultOps)
}

// specParam is one parameter field of Spec: its key and whether it is set.
type specParam struct {
	key string
	set func(*Spec) bool
}

// specParams lists every parameter field, in declaration order.
var specParams = []specParam{
	{"pad", func(s *Spec) bool { return s.Pad != 0 }},
	{"size", func(s *Spec) bool { return s.Size != 0 }},
	{"scale", func(s *Spec) bool { return s.Scale != [2]float64{} }},
	{"ratio", func(s *Spec) bool { return s.Ratio != [2]float64{} }},
	{"brightness", func(s *Spec) bool { return s.Brightness != 0 }},
	{"contrast", func(s *Spec) bool { return s.Contrast != 0 }},
	{"saturation", func(s *Spec) bool { return s.Saturation != 0 }},
	{"hue", func(s *Spec) bool { return s.Hue != 0 }},
	{"translate", func(s *Spec) bool { return s.Translate != [2]float64{} }},
	{"degrees", func(s *Spec) bool { return s.Degrees != 0 }},
	{"stretch", func(s *Spec) bool { return s.Stretch != [2]float64{} }},
	{"k", func(s *Spec) bool { return s.K != [2]float64{} }},
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
		return ResizedCrop{Scale: orDefault(s.Scale, [2]float64{0.08, 1}), Ratio: orDefault(s.Ratio, [2]float64{3.0 / 4, 4.0 / 3})}, nil
	}},
	"color_jitter": {[]string{"brightness", "contrast", "saturation", "hue"}, func(s *Spec) (Op, error) {
		return ColorJitter{Brightness: s.Brightness, Contrast: s.Contrast, Saturation: s.Saturation, Hue: s.Hue}, nil
	}},
	"translate": {append([]string{"translate"}, geomParams...), func(s *Spec) (Op, error) {
		f, err := geomFill(s)
		return Translate{X: s.Translate[0], Y: s.Translate[1], Fill: f}, err
	}},
	"rotate": {append([]string{"degrees"}, geomParams...), func(s *Spec) (Op, error) {
		f, err := geomFill(s)
		return Rotate{Degrees: s.Degrees, Fill: f}, err
	}},
	"stretch": {append([]string{"stretch"}, geomParams...), func(s *Spec) (Op, error) {
		if s.Stretch == [2]float64{} {
			return nil, perr("stretch", "required: the scale factor range [min, max], e.g. [0.9, 1.1]")
		}
		f, err := geomFill(s)
		return Stretch{Range: s.Stretch, Fill: f}, err
	}},
	"shear": {append([]string{"degrees"}, geomParams...), func(s *Spec) (Op, error) {
		f, err := geomFill(s)
		return Shear{Degrees: s.Degrees, Fill: f}, err
	}},
	"lens": {append([]string{"k"}, geomParams...), func(s *Spec) (Op, error) {
		f, err := geomFill(s)
		return Lens{K: s.K, Fill: f}, err
	}},
	"erase": {[]string{"scale", "ratio", "fill"}, func(s *Spec) (Op, error) {
		noise, err := eraseFill(s)
		return Erase{Scale: orDefault(s.Scale, [2]float64{0.02, 0.33}), Ratio: orDefault(s.Ratio, [2]float64{0.3, 3.3}), Noise: noise}, err
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
			return f, perr("fill", "unknown fill %q; known: constant, edge, reflect", s.Fill)
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
	case "", "zero":
		return false, nil
	case "noise":
		return true, nil
	}
	return false, perr("fill", "unknown fill %q; known: zero, noise", s.Fill)
}

// validator is implemented by every op with parameters.
type validator interface{ Validate() error }

// SpecError is a problem with step Index of a []Spec: Param is the
// parameter key ("op", "p", "degrees", …), Op the step's op name.
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
// per line): an unknown op (listing the known ones), a probability outside
// [0, 1], a parameter the op does not read, and each op's own Validate.
// Shape-dependent checks happen in Pipeline.OutShape.
func New(specs []Spec) (*Pipeline, error) {
	var errs []error
	p := &Pipeline{Steps: make([]Step, 0, len(specs))}
	for i := range specs {
		s := &specs[i]
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
		if math.IsNaN(s.P) || s.P < 0 || s.P > 1 {
			errs = append(errs, &SpecError{Index: i, Op: s.Op, Param: "p", Msg: fmt.Sprintf("must be in [0, 1], got %g", s.P)})
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
