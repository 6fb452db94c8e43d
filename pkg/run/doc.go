// Package run is the run folder: Train runs an experiment end to end (data,
// model, the engine's loop, a final test of the best checkpoint) and
// writes RUN/config.yaml (the resolved config), metrics.csv (a row per
// epoch), steps.csv (a row per optimizer step), checkpoints/ (last.ckpt,
// best.ckpt, best-k and epoch-N as configured) and summary.json. It also
// resumes a run exactly from its last.ckpt, loads checkpoints back into
// models (LoadCheckpoint) and scores them (EvaluateCheckpoint).
//
// # Checkpoint metadata
//
// Beside the trainer's state (engine.Snapshot: tensors and the metadata
// "epoch", "step", "batch", "metrics", "train_state") every checkpoint
// holds "config" (resolved YAML), "config_sha256" ("sha256:<hex>" of it,
// compared on resume), "preprocess" (with its preprocess.* tensors),
// "input_shape", "classes" and "nettrain_version". The tensors are stored
// in the order model, hooks (EMA), preprocessing, optimizer.
//
// The run folder's hooks run in engine.PhaseRecord (metrics.csv, steps.csv,
// the history, the checkpoints, in that order, so last.ckpt never runs
// ahead of the files) and engine.PhaseReport (progress bar, console line).
package run
