package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nettrain/nettrain/pkg/search"
	"github.com/nettrain/nettrain/pkg/spec"
)

// unsearchable are the keys a search must not vary: they name the run or
// its folder, or are set by the search itself.
var unsearchable = map[string]string{
	"version":      "is the schema version",
	"name":         "names the run; trials are named by the search",
	"output.dir":   "is set by the search (each trial has its own folder)",
	"train.epochs": "is the trial's budget: set search.epochs (and the stages' epochs) instead",
}

// validateSearch checks what the search section needs the rest of the
// config for: the metric's name, and that every searched key exists and
// takes the values listed (each value, and each range's bounds, is applied
// to the config as an override and checked as one). ck is at "search";
// deep is false when the section already has problems, which skips the
// values.
func (c *Config) validateSearch(ck *spec.Checker, hasVal, deep bool) {
	s := c.Search
	spec.Names{List: MonitoredMetrics}.Check(ck, "metric", s.Metric)
	spec.Names{List: MetricModes}.Check(ck, "mode", s.Mode)
	needsVal(ck, "metric", s.Metric, hasVal)
	keys := KeyPaths()
	base := *c
	base.Search = search.Spec{}
	var baseYAML []byte
	for i, p := range s.Space {
		pc := ck.At(fmt.Sprintf("space[%d]", i))
		if p.Key == "" {
			continue
		}
		if why, bad := unsearchable[p.Key]; bad {
			pc.Add("key", "%s cannot be searched: it %s", p.Key, why)
			continue
		}
		if strings.HasPrefix(p.Key, "search.") || p.Key == "search" {
			pc.Add("key", "%s cannot be searched: it is the search's own setting", p.Key)
			continue
		}
		if !slices.Contains(keys, p.Key) {
			pc.Add("key", "%s", unknownKeyPathMsg(p.Key, keys))
			continue
		}
		if !deep {
			continue
		}
		if baseYAML == nil {
			b, err := base.Marshal()
			if err != nil {
				ck.Add("", "%v", err)
				return
			}
			baseYAML = b
		}
		check := func(key, text string) {
			if _, err := Parse(baseYAML, "", []string{p.Key + "=" + text}); err != nil {
				for _, m := range overrideProblems(err) {
					pc.Add(key, "%s=%s: %s", p.Key, text, m)
				}
			}
		}
		if p.IsRange() {
			lo, hi := search.Bounds(p)
			check("min", lo)
			check("max", hi)
			continue
		}
		for j, v := range p.Values {
			check(fmt.Sprintf("values[%d]", j), string(v))
		}
	}
}

// overrideProblems returns the messages of a Parse error, without the
// "--set k=v: key:" prefixes.
func overrideProblems(err error) []string {
	var msgs []string
	for _, e := range unjoin(err) {
		var ce *Error
		if errors.As(e, &ce) {
			msgs = append(msgs, ce.Msg)
			continue
		}
		msgs = append(msgs, e.Error())
	}
	return msgs
}

// unknownKeyPathMsg says that key is not a config key, with the nearest
// one when it is close.
func unknownKeyPathMsg(key string, keys []string) string {
	msg := fmt.Sprintf("%q is not a config key that --set can set", key)
	if s := suggest(key, keys); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return msg + "; `nettrain schema` lists the keys"
}
