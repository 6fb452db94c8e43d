//go:build race

package engine

// raceEnabled reports a -race build, whose instrumentation allocates: the
// allocation-count tests skip under it.
const raceEnabled = true
