package spec

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Range is the set of numbers a key accepts, parsed from a field's `range`
// tag (see the package documentation for the syntax).
type Range struct {
	// Min and Max are the bounds; HasMin and HasMax say whether there is
	// one; MinOpen and MaxOpen make a bound exclusive.
	Min, Max                         float64
	HasMin, HasMax, MinOpen, MaxOpen bool
	// Zero allows 0 besides the range (the key's "off" or "unset" value).
	Zero bool
	// Interval says the range was written as an interval ("[0,1)") and is
	// phrased "in [0, 1)"; otherwise it is phrased with comparisons
	// ("> 0 and < 1").
	Interval bool
	// Hint is shown in parentheses after the range in messages, e.g.
	// "0 = off".
	Hint string
}

// ParseRange parses a `range` tag:
//
//	[0|]BOUNDS[; HINT]
//
// where BOUNDS is an interval ("[0,1)", "(0,1]", "(1,2)") or one or two
// comparisons separated by a comma (">0", ">=1", ">0,<1", ">=0,<=1"). A
// leading "0|" also allows 0, e.g. "0|>1; 0 = off".
func ParseRange(tag string) (Range, error) {
	var r Range
	expr, hint, _ := strings.Cut(tag, ";")
	r.Hint = strings.TrimSpace(hint)
	expr = strings.TrimSpace(expr)
	if rest, ok := strings.CutPrefix(expr, "0|"); ok {
		r.Zero, expr = true, rest
	}
	bad := func() (Range, error) { return Range{}, fmt.Errorf("spec: bad range %q", tag) }
	num := func(s string) (float64, bool) {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return v, err == nil
	}
	if expr != "" && (expr[0] == '[' || expr[0] == '(') {
		last := expr[len(expr)-1]
		lo, hi, ok := strings.Cut(expr[1:len(expr)-1], ",")
		if !ok || (last != ']' && last != ')') {
			return bad()
		}
		var okLo, okHi bool
		r.Min, okLo = num(lo)
		r.Max, okHi = num(hi)
		if !okLo || !okHi {
			return bad()
		}
		r.Interval, r.HasMin, r.HasMax = true, true, true
		r.MinOpen, r.MaxOpen = expr[0] == '(', last == ')'
		return r, nil
	}
	for _, c := range strings.Split(expr, ",") {
		c = strings.TrimSpace(c)
		var op string
		for _, o := range []string{">=", "<=", ">", "<"} {
			if strings.HasPrefix(c, o) {
				op = o
				break
			}
		}
		v, ok := num(strings.TrimPrefix(c, op))
		if op == "" || !ok {
			return bad()
		}
		switch op {
		case ">", ">=":
			if r.HasMin {
				return bad()
			}
			r.Min, r.HasMin, r.MinOpen = v, true, op == ">"
		default:
			if r.HasMax {
				return bad()
			}
			r.Max, r.HasMax, r.MaxOpen = v, true, op == "<"
		}
	}
	if !r.HasMin && !r.HasMax {
		return bad()
	}
	return r, nil
}

// MustParseRange is ParseRange for a tag known to be valid; it panics
// otherwise.
func MustParseRange(tag string) Range {
	r, err := ParseRange(tag)
	if err != nil {
		panic(err)
	}
	return r
}

// Contains reports whether v is in the range (NaN never is).
func (r Range) Contains(v float64) bool {
	if r.Zero && v == 0 {
		return true
	}
	if r.HasMin && (v < r.Min || (r.MinOpen && v == r.Min) || math.IsNaN(v)) {
		return false
	}
	if r.HasMax && (v > r.Max || (r.MaxOpen && v == r.Max) || math.IsNaN(v)) {
		return false
	}
	return true
}

// Phrase describes the range after "must be": "> 0", ">= 0 and < 1",
// "in [0, 1)".
func (r Range) Phrase() string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	if r.Interval {
		lo, hi := "[", "]"
		if r.MinOpen {
			lo = "("
		}
		if r.MaxOpen {
			hi = ")"
		}
		return fmt.Sprintf("in %s%s, %s%s", lo, f(r.Min), f(r.Max), hi)
	}
	var parts []string
	if r.HasMin {
		op := ">="
		if r.MinOpen {
			op = ">"
		}
		parts = append(parts, op+" "+f(r.Min))
	}
	if r.HasMax {
		op := "<="
		if r.MaxOpen {
			op = "<"
		}
		parts = append(parts, op+" "+f(r.Max))
	}
	return strings.Join(parts, " and ")
}

// Message is the problem message for a value got (as written) outside the
// range: "must be in (0, 1] (0 = keep every component), got 1.5".
func (r Range) Message(got string) string {
	hint := ""
	if r.Hint != "" {
		hint = " (" + r.Hint + ")"
	}
	return "must be " + r.Phrase() + hint + ", got " + got
}

// Names is the list of names a string key accepts.
type Names struct {
	// List holds the accepted names.
	List []string
	// Empty accepts "" too (the key is unset, or off).
	Empty bool
	// EmptyMsg, when set, is the message for "" (with Empty false).
	EmptyMsg string
	// Noun, when set, phrases an unknown name as a registry does:
	// `unknown NOUN "x"; known: a, b, c` (List in its order, which should
	// be sorted). Without it the message is `must be one of "a", "b", got
	// "x"`.
	Noun string
}

// Check records a problem at key of c unless v is an accepted name.
func (n Names) Check(c *Checker, key, v string) {
	switch {
	case v == "" && n.Empty:
	case v == "" && n.EmptyMsg != "":
		c.Add(key, "%s", n.EmptyMsg)
	case n.Noun != "":
		for _, a := range n.List {
			if v == a {
				return
			}
		}
		c.Add(key, "unknown %s %q; known: %s", n.Noun, v, strings.Join(n.List, ", "))
	default:
		c.OneOf(key, v, n.List...)
	}
}

// Namer is implemented by a spec type whose string keys take names from a
// list: KeyNames maps those keys to their names. [CheckFields] checks them
// and the config's JSON Schema lists them as enums.
type Namer interface {
	KeyNames() map[string]Names
}

// KeyUser is implemented by a spec type some of whose keys are read only in
// some settings (an architecture's keys, a layer type's keys). [CheckFields]
// checks a key only when Uses reports it is read; the type's own validation
// reports a key that is set but not read.
type KeyUser interface {
	Uses(key string) bool
}

// Key returns the key of struct field sf: the name in its yaml tag, or ""
// for a field without one.
func Key(sf reflect.StructField) string {
	key, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
	if key == "-" || !sf.IsExported() {
		return ""
	}
	return key
}

var rangeCache sync.Map // reflect.Type -> map[string]Range

// Ranges returns the ranges declared by the `range` tags of struct type t,
// by key. It panics on a malformed tag (a programming error, caught by
// every package's tests).
func Ranges(t reflect.Type) map[string]Range {
	if m, ok := rangeCache.Load(t); ok {
		return m.(map[string]Range)
	}
	m := map[string]Range{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if tag, ok := sf.Tag.Lookup("range"); ok && Key(sf) != "" {
			r, err := ParseRange(tag)
			if err != nil {
				panic(fmt.Sprintf("%v (field %s.%s)", err, t.Name(), sf.Name))
			}
			m[Key(sf)] = r
		}
	}
	rangeCache.Store(t, m)
	return m
}

// CheckFields checks the keys of struct v (a struct or a pointer to one)
// that are declared as data: every number must be finite, a number with a
// `range` tag (or every element of a list of numbers) must be in it, and a
// string key listed by v's KeyNames ([Namer]) must hold one of its names.
// Keys that v's Uses ([KeyUser]) reports unread are skipped. Nested
// structs and lists of structs are not descended into: each type checks
// its own keys.
func CheckFields(c *Checker, v any) {
	rv := reflect.Indirect(reflect.ValueOf(v))
	t := rv.Type()
	ranges := Ranges(t)
	user, _ := rv.Interface().(KeyUser)
	var names map[string]Names
	if n, ok := rv.Interface().(Namer); ok {
		names = n.KeyNames()
	}
	for i := range t.NumField() {
		key := Key(t.Field(i))
		if key == "" || (user != nil && !user.Uses(key)) {
			continue
		}
		r, hasRange := ranges[key]
		f := rv.Field(i)
		switch f.Kind() {
		case reflect.String:
			if n, ok := names[key]; ok {
				n.Check(c, key, f.String())
			}
		case reflect.Pointer:
			if !f.IsNil() {
				checkNumber(c, key, f.Elem(), r, hasRange)
			}
		case reflect.Slice:
			if k := f.Type().Elem().Kind(); k == reflect.Float64 || k == reflect.Int {
				for j := range f.Len() {
					checkNumber(c, fmt.Sprintf("%s[%d]", key, j), f.Index(j), r, hasRange)
				}
			}
		default:
			checkNumber(c, key, f, r, hasRange)
		}
	}
}

// checkNumber checks the number f at key: finite, and in r when hasRange.
func checkNumber(c *Checker, key string, f reflect.Value, r Range, hasRange bool) {
	switch f.Kind() {
	case reflect.Float64:
		if v := f.Float(); c.Finite(key, v) && hasRange && !r.Contains(v) {
			c.Add(key, "%s", r.Message(FormatFloat(v)))
		}
	case reflect.Int:
		if v := f.Int(); hasRange && !r.Contains(float64(v)) {
			c.Add(key, "%s", r.Message(strconv.FormatInt(v, 10)))
		}
	}
}

// Scalar is a YAML scalar kept as written (a number, a string or a
// boolean): a searched value, applied to the config as `--set key=TEXT`
// would, so its type is checked by the key it sets.
type Scalar string
