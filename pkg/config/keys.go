package config

// KeyPaths returns the dotted key path of every value of the schema, the
// keys an override can set (--set optimizer.lr=0.1), in schema order.
// Sections ("optimizer", "train.mixup") are left out: they are the proper
// prefixes of these paths. A list ("model.hidden", "augment") is one value,
// set whole; its elements' keys are not listed. The slice is the caller's.
func KeyPaths() []string {
	all := schemaPaths()
	sections := make(map[string]bool)
	for _, p := range all {
		for i := range len(p) {
			if p[i] == '.' {
				sections[p[:i]] = true
			}
		}
	}
	var keys []string
	for _, p := range all {
		if !sections[p] {
			keys = append(keys, p)
		}
	}
	return keys
}
