package spec

import (
	"fmt"
	"path"
)

// Parameter and tensor names are selected by globs in several keys
// (regularization.include, optimizer.groups[i].pattern, train.freeze,
// model.init_include, ...): path.Match patterns on the whole dotted name,
// where "*" matches any run of characters including dots ("*.bias",
// "stage1.*", "fc?.weight"), as names contain no "/".

// MatchAny reports whether name matches at least one of the globs. A
// malformed glob matches nothing (Checker.Globs reports it).
func MatchAny(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// Globs adds a problem at key[i] for every empty or malformed glob of the
// list at key.
func (c *Checker) Globs(key string, globs []string) {
	for i, g := range globs {
		k := fmt.Sprintf("%s[%d]", key, i)
		if g == "" {
			c.Add(k, `must not be empty: a glob on parameter names, e.g. "*.weight"`)
		} else if _, err := path.Match(g, ""); err != nil {
			c.Add(k, "bad glob %q: %v", g, err)
		}
	}
}
