// Package run is the run folder: Train runs an experiment end to end (data,
// model, the engine's loop, a final test of the best checkpoint) and
// writes RUN/config.yaml (the resolved config), metrics.csv (a row per
// epoch), steps.csv (a row per optimizer step), checkpoints/ (last.ckpt,
// best.ckpt, best-k and epoch-N as configured), summary.json and, by the
// monitor section, histograms.json and TensorBoard event files in tb/
// (the metrics.csv columns, the per-step signals, the histograms and the
// HParams summaries), with one warning per weight tensor whose update
// ratio stays out of the healthy band. It also
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
// histograms, TensorBoard, the history, the checkpoints, in that order, so
// last.ckpt never runs ahead of the files) and engine.PhaseReport
// (progress bar, update-ratio warnings, console line).
package run
