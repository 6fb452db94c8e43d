// Package engine runs experiments: it prepares the data a config names,
// builds the model, trains it in one readable loop, evaluates it, and writes
// the run directory (resolved config, metrics.csv, checkpoints,
// summary.json). It also scores checkpoints (Evaluate) and runs the
// practitioner's sanity checks (Sanity).
//
// The training loop is forward → loss → zero grad → backward → penalty →
// step(lr(step)); everything else (validation, metrics, checkpoints,
// progress display) attaches to it as a Hook.
//
// Errors caused by the user's input (config, data files, checkpoints, run
// folder) are returned as *InputError so the command line can tell them from
// failed runs.
package engine
