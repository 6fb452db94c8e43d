// Package runner runs a hyperparameter search: `nettrain search`.
//
// Each trial is one run folder, DIR/trials/NNN, trained by jobs of a
// [Launcher] ([Process]: a `nettrain train` process each, so a crashing
// trial cannot take the search down, killed with the search if the search
// dies). A job trains a trial from where its folder stands to an epoch:
// its whole budget, or an ASHA rung (`--stop-at-epoch`), continued later by
// a promotion (`--resume`), so a promoted trial's curve is a straight
// run's.
//
// [State] is the whole search — the stages and their spaces, every
// trial's status, epochs and metric, the ASHA rungs and promotions — and
// is rewritten atomically to DIR/search.json after every change; [Run]
// with Options.Resume continues from it: finished trials are kept,
// trials that were running are continued from their checkpoints, the
// scheduler picks up where it was. DIR/search.yaml is the resolved config
// the search started from (its hash is in the state); search.csv,
// best.yaml and search.png are written from the state.
//
// The scheduling loop is one goroutine: it starts jobs while fewer than
// Options.Parallel run, in this order — a trial that was running when the
// search stopped, an ASHA promotion, a new trial — and records each
// finished job before starting the next.
package runner
