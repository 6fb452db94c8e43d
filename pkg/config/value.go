package config

import (
	"fmt"
	"reflect"
	"strings"
)

// Value returns the value of the dotted key path (as `--set` names it,
// e.g. "optimizer.lr") in c: a float64 for numbers, a string or a bool for
// scalars, and for a list its YAML-like text ("[512, 256]"). ok is false for
// a key that does not exist or names a section.
func (c *Config) Value(key string) (v any, ok bool) {
	rv := reflect.ValueOf(c).Elem()
	for _, part := range strings.Split(key, ".") {
		if rv.Kind() != reflect.Struct {
			return nil, false
		}
		f, found := lookupField(rv.Type(), part)
		if !found {
			return nil, false
		}
		rv = rv.Field(f.index)
	}
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, false
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint()), true
	case reflect.Bool:
		return rv.Bool(), true
	case reflect.String:
		return rv.String(), true
	case reflect.Slice:
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = fmt.Sprint(rv.Index(i).Interface())
		}
		return "[" + strings.Join(parts, ", ") + "]", true
	}
	return nil, false
}
