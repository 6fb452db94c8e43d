package config

import (
	"reflect"
	"testing"
)

// TestValue reads keys of the default config by their dotted paths.
func TestValue(t *testing.T) {
	c := Default()
	c.Model.Hidden = []int{512, 256}
	cases := []struct {
		key  string
		want any
		ok   bool
	}{
		{"optimizer.lr", c.Optimizer.LR, true},
		{"train.batch_size", float64(c.Train.BatchSize), true},
		{"seed", float64(c.Seed), true},
		{"model.arch", c.Model.Arch, true},
		{"optimizer.nesterov", false, true},
		{"model.hidden", "[512, 256]", true},
		{"schedule.plateau.factor", c.Schedule.Plateau.Factor, true},
		{"optimizer", nil, false},
		{"optimizer.nope", nil, false},
		{"optimizer.lr.x", nil, false},
		{"", nil, false},
	}
	for _, tc := range cases {
		got, ok := c.Value(tc.key)
		if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Value(%q) = %v, %v; want %v, %v", tc.key, got, ok, tc.want, tc.ok)
		}
	}
}
