package spec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a spec: the key path relative to the
// value that was checked ("lr", "layers[2].out"; empty for the value as a
// whole) and a message saying what is wrong and what is allowed.
type Problem struct {
	Path string
	Msg  string
}

// Error formats p as "PATH: MSG", or "MSG" without a path.
func (p Problem) Error() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// Problems is a list of problems; as an error it reads one problem per
// line.
type Problems []Problem

// Error formats ps one problem per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Prefixed returns ps with prefix joined in front of every path, as
// [Join] joins them.
func (ps Problems) Prefixed(prefix string) Problems {
	out := make(Problems, len(ps))
	for i, p := range ps {
		out[i] = Problem{Path: Join(prefix, p.Path), Msg: p.Msg}
	}
	return out
}

// Join joins a key path and a key: Join("model", "hidden") is
// "model.hidden", Join("layers", "[2]") is "layers[2]", and an empty side
// is left out.
func Join(prefix, key string) string {
	switch {
	case prefix == "":
		return key
	case key == "":
		return prefix
	case key[0] == '[':
		return prefix + key
	}
	return prefix + "." + key
}

// Checker collects problems under a key path prefix. The zero value is
// ready to use, at the root. Sub-checkers made with [Checker.At] add to the
// same list.
type Checker struct {
	prefix string
	list   *Problems
}

// At returns a checker for the value at key under c (a key or an index
// "[i]"), adding to c's list.
func (c *Checker) At(key string) *Checker {
	c.init()
	return &Checker{prefix: Join(c.prefix, key), list: c.list}
}

func (c *Checker) init() {
	if c.list == nil {
		c.list = new(Problems)
	}
}

// Add records a problem with the value at key (relative to c).
func (c *Checker) Add(key, format string, args ...any) {
	c.init()
	*c.list = append(*c.list, Problem{Path: Join(c.prefix, key), Msg: fmt.Sprintf(format, args...)})
}

// Problems returns the problems recorded so far.
func (c *Checker) Problems() Problems {
	if c.list == nil {
		return nil
	}
	return *c.list
}

// Err returns the problems as an error ([Problems]), or nil when there are
// none.
func (c *Checker) Err() error {
	if ps := c.Problems(); len(ps) > 0 {
		return ps
	}
	return nil
}

// Finite reports whether v is finite, and records a problem at key if it
// is not.
func (c *Checker) Finite(key string, v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		c.Add(key, "must be a finite number, got %s", FormatFloat(v))
		return false
	}
	return true
}

// OneOf records a problem at key unless v is one of allowed:
// `must be one of "a", "b", got "c"`.
func (c *Checker) OneOf(key, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	q := make([]string, len(allowed))
	for i, a := range allowed {
		q[i] = strconv.Quote(a)
	}
	if len(allowed) == 1 {
		c.Add(key, "must be %s (the only value for now), got %q", q[0], v)
		return
	}
	c.Add(key, "must be one of %s, got %q", strings.Join(q, ", "), v)
}

// AtLeast records a problem at key unless v >= lo.
func (c *Checker) AtLeast(key string, v, lo int) {
	if v < lo {
		c.Add(key, "must be >= %d, got %d", lo, v)
	}
}

// FormatFloat formats v as YAML writes it: the shortest decimal that reads
// back to v, or .inf, -.inf, .nan.
func FormatFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return ".nan"
	case math.IsInf(v, 1):
		return ".inf"
	case math.IsInf(v, -1):
		return "-.inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
