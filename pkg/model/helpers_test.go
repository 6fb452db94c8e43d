package model

import "reflect"

// resolved fills in what the tests' specs leave out the way a config does:
// the section defaults of the keys every architecture reads, and the
// layer defaults that depend on the type (a key a test sets counts as
// set). Arch-specific keys are kept as the test wrote them.
func resolved(s Spec) Spec {
	d := DefaultSpec()
	sv, dv := reflect.ValueOf(&s).Elem(), reflect.ValueOf(d)
	for _, name := range []string{"Activation", "ActivationSlope", "ActivationAlpha", "GELUApproximate", "Init", "InitStd", "InitMode", "InitBound"} {
		if f := sv.FieldByName(name); f.IsZero() {
			f.Set(dv.FieldByName(name))
		}
	}
	s.Layers = append([]LayerSpec(nil), s.Layers...)
	for i := range s.Layers {
		l := &s.Layers[i]
		lv := reflect.ValueOf(l).Elem()
		l.applyDefaults(func(key string) bool {
			for j := range lv.NumField() {
				if lv.Type().Field(j).Tag.Get("yaml") == key {
					return !lv.Field(j).IsZero()
				}
			}
			return false
		})
	}
	return s
}

// build is Build on the resolved spec.
func build(s Spec, in []int, classes int, seed uint64) (*Model, error) {
	return Build(resolved(s), in, classes, seed)
}
