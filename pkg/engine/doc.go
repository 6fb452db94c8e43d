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
// Early stopping, the best-k checkpoints, the EMA of the weights, the
// divergence factor, reduce-on-plateau and the metrics history are hooks;
// those with state a resume needs implement StatefulHook.
//
// # Checkpoint metadata
//
// Beside the tensors (parameters and buffers by dotted name,
// "optimizer.<param>.<key>" optimizer state, "ema.<name>" EMA weights and
// buffers) every checkpoint's metadata holds: "config" (resolved YAML),
// "config_sha256" ("sha256:<hex>" of it, compared on resume), "preprocess",
// "input_shape", "classes", "epoch" (epochs completed), "step" (optimizer
// steps completed), "batch" (mini-batches of the next epoch already done,
// 0 at an epoch's end), "metrics" (the last finished epoch's), "train_state"
// (JSON: the interrupted epoch's running sums, reduce-on-plateau state, EMA
// update count, stop reason and every StatefulHook's state by key) and
// "nettrain_version".
//
// # Exact resume
//
// No random-number state is saved: shuffling is a function of (seed,
// epoch) and dropout of (seed, step·accumulate + micro-batch, layer), so a
// run resumed from last.ckpt re-creates the epoch's order and skips the
// batches already done, and ends bit-identical to an uninterrupted run.
//
// Errors caused by the user's input (config, data files, checkpoints, run
// folder) are returned as *InputError so the command line can tell them from
// failed runs.
package engine
