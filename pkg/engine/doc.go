// Package engine is the training loop and nothing around it: a Plan (a
// config resolved once into every value the loop reads, derived ones such
// as the batch-size-scaled learning rate computed here only), the Trainer
// that runs it, the Hook contract, and Evaluate.
//
// The loop, in Trainer.runEpoch, reads top to bottom: for each group of
// train.accumulate mini-batches, zero grad → forward → loss → backward
// (gradients accumulate) → penalty → divergence check → clip →
// step(lr(step)). Everything else attaches as a Hook at three events
// (EpochStart, StepEnd, EpochEnd), run by Phase (measure, control, record,
// report) and then in the order added. NewTrainer adds the plan's own
// features: validation and the EMA of the weights (PhaseMeasure),
// reduce-on-plateau and early stopping (PhaseControl), the divergence
// factor (PhaseRecord). The run folder (pkg/run) adds the files and the
// console; any caller may add its own.
//
// State a resume needs has one mechanism: Resumable (JSON under a key) and
// TensorState (tensors under their own names). Trainer.Snapshot captures
// the model, the optimizer, the loop's position and every Resumable hook;
// Trainer.Restore puts all of it back. Tensor names share one key space:
// parameters and buffers by dotted name, "optimizer.<param>.<key>",
// "ema.<name>"; the metadata keys are the Meta* constants.
//
// # Threads
//
// Compute resources are handed in, never process-wide: the caller's thread
// budget, a *tensor.Pool (NewPool), is given to NewTrainer and Evaluate
// (run.Options, run.EvalOptions and report.SanityOptions carry it) and runs
// the training steps, the optimizer and every evaluation; the data loaders
// and the batch augmentation use Pool.Threads() goroutines. A nil pool runs
// on the calling goroutine. The engine changes no process-wide setting (the
// command line caps GOMAXPROCS itself), so two trainers in one process each
// run on their own pool, and results are bit-identical for every pool size.
//
// No random-number state is saved: shuffling is a function of (seed,
// epoch) and dropout of (seed, step·accumulate + micro-batch, layer), so a
// restored trainer re-creates the epoch's order and skips the batches
// already done, and ends bit-identical to an uninterrupted run.
//
// Errors caused by the user's input (config, data files, checkpoints, run
// folder) are *InputError so the command line can tell them from failed
// runs.
package engine
