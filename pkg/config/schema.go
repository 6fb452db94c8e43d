package config

import (
	"github.com/nettrain/nettrain/pkg/augment"
	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/lrsched"
	"github.com/nettrain/nettrain/pkg/model"
	"github.com/nettrain/nettrain/pkg/optim"
	"github.com/nettrain/nettrain/pkg/search"
)

// Config is one experiment. Version 1 of the schema.
//
// Each section is the spec type of the package that uses it, which defines
// its keys, defaults and checks once; the sections only the training loop
// reads (train, ema, swa, checkpoint, output) are defined here.
//
// A Config returned by [Load] or [Parse] is resolved: every default is
// filled in, data.dir is absolute, and it has passed [Config.Validate].
type Config struct {
	// Version is the schema version (key "version"). Default 1; only 1 is
	// allowed.
	Version int `yaml:"version"`
	// Name is the run name (key "name"), used in the default output folder.
	// It must match [A-Za-z0-9._-]+ and must not be "." or "..". Default: the
	// config file name without its extension (characters outside the allowed
	// set replaced by "_"); "run" when there is no file name.
	Name string `yaml:"name"`
	// Seed seeds every random choice of the run: init, shuffling, split
	// (key "seed"). Any integer 0 <= seed < 2^64. Default 1.
	Seed uint64 `yaml:"seed"`
	// Data says where the dataset is and how much of it to use (key "data").
	Data data.Spec `yaml:"data"`
	// Preprocess says how inputs are transformed before the model sees them
	// (key "preprocess").
	Preprocess data.PreprocessConfig `yaml:"preprocess"`
	// Augment is the data augmentation pipeline applied to training
	// batches only, in order (key "augment"). Empty (the default) means no
	// augmentation.
	Augment []augment.Spec `yaml:"augment"`
	// Model describes the network (key "model").
	Model model.Spec `yaml:"model"`
	// Optimizer describes the optimizer (key "optimizer").
	Optimizer optim.Spec `yaml:"optimizer"`
	// Regularization holds the penalties added to the loss (key
	// "regularization").
	Regularization optim.Penalty `yaml:"regularization"`
	// Schedule describes how the learning rate changes over training (key
	// "schedule").
	Schedule lrsched.Spec `yaml:"schedule"`
	// Train holds the training-loop settings (key "train").
	Train Train `yaml:"train"`
	// EMA keeps an exponential moving average of the weights (key "ema").
	EMA EMA `yaml:"ema"`
	// SWA is stochastic weight averaging (Izmailov et al. 2018).
	SWA SWA `yaml:"swa"`
	// Checkpoint says which checkpoints a run keeps (key "checkpoint").
	Checkpoint Checkpoint `yaml:"checkpoint"`
	// Monitor says what is measured beside training: gradient norms,
	// update ratios, histograms, TensorBoard (key "monitor").
	Monitor Monitor `yaml:"monitor"`
	// Distributed says how a run started by mpirun trains data-parallel
	// (key "distributed"); a single process ignores it.
	Distributed Distributed `yaml:"distributed"`
	// Output says where the run writes its files (key "output").
	Output Output `yaml:"output"`
	// Search is the hyperparameter search `nettrain search` runs over this
	// config (key "search"); `nettrain train` ignores it. Absent (the
	// default) it is left out of the resolved config.
	Search search.Spec `yaml:"search,omitempty"`
}

// Train is the "train" section: the training loop.
type Train struct {
	// Epochs is the number of passes over the training set (key
	// "train.epochs"). Must be >= 1. Default 10.
	Epochs int `yaml:"epochs" range:">=1"`
	// BatchSize is the mini-batch size for training (key
	// "train.batch_size"). Must be >= 1. Default 128.
	BatchSize int `yaml:"batch_size" range:">=1"`
	// EvalBatchSize is the batch size for validation and test evaluation
	// (key "train.eval_batch_size"); it does not change the predictions,
	// only speed and memory (the layers keep buffers for the largest batch
	// they have seen: a conv net needs about its activations per example
	// times this) and the last digits of the summed loss. Must be >= 1.
	// Default 256.
	EvalBatchSize int `yaml:"eval_batch_size" range:">=1"`
	// Accumulate is the number of mini-batches whose gradients are summed
	// before one optimizer step (key "train.accumulate"): the effective batch
	// is accumulate × batch_size, and the schedule counts optimizer steps.
	// Must be >= 1. Default 1 (no accumulation).
	Accumulate int `yaml:"accumulate" range:">=1"`
	// DivergenceFactor stops the run when an epoch's training loss exceeds
	// this multiple of the best earlier epoch's (key
	// "train.divergence_factor"). 0 (default) turns it off; otherwise > 1.
	DivergenceFactor float64 `yaml:"divergence_factor" range:"0|>1; 0 = off"`
	// MaxLossFactor stops the run at once, as diverged, at the first
	// optimizer step whose batch loss exceeds this multiple of the first
	// step's (key "train.max_loss_factor"). 0 (default) turns it off;
	// otherwise > 1. A search sets it on its trials (search.max_loss_factor).
	MaxLossFactor float64 `yaml:"max_loss_factor" range:"0|>1; 0 = off"`
	// EarlyStopping ends training when a metric stops improving (key
	// "train.early_stopping").
	EarlyStopping EarlyStopping `yaml:"early_stopping"`
	// LabelSmoothing is ε of label smoothing (key "train.label_smoothing"),
	// as PyTorch's CrossEntropyLoss(label_smoothing=ε): the training target
	// becomes (1−ε)·onehot + ε/C. In [0, 1). Default 0. Validation and
	// test losses use plain cross-entropy.
	LabelSmoothing float64 `yaml:"label_smoothing" range:"[0,1)"`
	// Mixup mixes pairs of training examples and their labels (key
	// "train.mixup"), Zhang et al. 2018.
	Mixup Mix `yaml:"mixup"`
	// CutMix pastes a box of one training example into another and mixes
	// the labels by area (key "train.cutmix"), Yun et al. 2019.
	CutMix Mix `yaml:"cutmix"`
	// Freeze lists globs on parameter names whose parameters are not
	// trained (key "train.freeze"), e.g. ["stage1.*", "stage2.*"] to train
	// only the later layers of a model loaded with model.init_from: they get
	// no update, no weight decay or penalty and take no part in gradient
	// clipping, as PyTorch's requires_grad=False. The leading layers that
	// are frozen whole are not back-propagated through, so a frozen body
	// costs only its forward pass. Every glob must match a parameter.
	// Default empty (train everything).
	Freeze []string `yaml:"freeze"`
	// GhostBatchSize > 0 makes every batch norm normalize each part of
	// about this many examples of a training batch with that part's own
	// statistics — ghost batch norm (Hoffer et al. 2017) — instead of the
	// whole batch's (key "train.ghost_batch_size"): a batch of n examples
	// is cut into k = ceil(batch_size/ghost_batch_size) parts, examples
	// [j·n/k, (j+1)·n/k). With batch_size = N·ghost_batch_size one process
	// normalizes exactly as N data-parallel ranks do. Under mpirun it
	// applies within each rank's part. >= 0; 0 (default) is off.
	GhostBatchSize int `yaml:"ghost_batch_size" range:">=0; 0 = off"`
	// FreezeBN also keeps the running statistics of the frozen batch norms
	// (those whose weight train.freeze matches) fixed: they normalize with
	// them in training too, as calling .eval() on those PyTorch modules
	// (key "train.freeze_bn"). Default false (the statistics keep moving
	// with the new data).
	FreezeBN bool `yaml:"freeze_bn"`
	// UnfreezeAt ends the freeze after this many epochs (key
	// "train.unfreeze_at"): from epoch n+1 on every parameter trains, at
	// the rates optimizer.groups give (e.g. lr_scale 0.1 for the body): the
	// staged plan of fine-tuning, head first, then the whole network.
	// 0 (default) keeps train.freeze for the whole run; otherwise
	// 1 <= n < train.epochs.
	UnfreezeAt int `yaml:"unfreeze_at" range:">=0; 0 = never"`
}

// Mix is "train.mixup" or "train.cutmix": batch-level mixing with
// λ ~ Beta(alpha, alpha). With both set, each batch picks one of them with
// probability 0.5 (as timm's switch_prob 0.5), then applies it with its p.
type Mix struct {
	// Alpha is the Beta distribution's parameter (key "alpha"), >= 0; 0
	// (default) turns the method off. Typical: 0.2 for mixup, 1 for cutmix.
	Alpha float64 `yaml:"alpha" range:">=0; 0 = off; typical 0.2 for mixup, 1 for cutmix"`
	// P is the probability that a batch is mixed (key "p"), in [0, 1].
	// Default 1.
	P float64 `yaml:"p" range:"[0,1]"`
}

// EarlyStopping is "train.early_stopping": stop after the epoch at which
// the monitored metric has not improved for Patience epochs.
type EarlyStopping struct {
	// Enabled turns it on (key "train.early_stopping.enabled"). Default
	// false.
	Enabled bool `yaml:"enabled"`
	// Metric is the metric watched (key "train.early_stopping.metric"):
	// "val_loss", "val_acc", "train_loss" or "train_acc". Default "val_loss",
	// "train_loss" without a validation split.
	Metric string `yaml:"metric"`
	// Mode is "min" or "max" (key "train.early_stopping.mode"); default min
	// for losses, max for accuracies.
	Mode string `yaml:"mode"`
	// Patience is the number of epochs without improvement after which
	// training stops (key "train.early_stopping.patience"), >= 1. Default 10.
	Patience int `yaml:"patience" range:">=1"`
	// MinDelta is the smallest change that counts as an improvement (key
	// "train.early_stopping.min_delta"), >= 0. Default 0.
	MinDelta float64 `yaml:"min_delta" range:">=0"`
}

// Distributed is the "distributed" section: synchronous data-parallel
// training over the ranks of `mpirun -np N nettrain train` (a binary built
// with -tags mpi). train.batch_size stays the global batch: each rank
// computes on its 1/N of every batch, so a config means the same training
// at any number of ranks.
type Distributed struct {
	// SyncBN sums the batch-norm statistics over the ranks, as PyTorch's
	// SyncBatchNorm (key "distributed.sync_bn"): every rank normalizes with
	// the statistics of the whole global batch, at the cost of two small
	// all-reduces per batch norm and step. Default false: each rank
	// normalizes with its own part of the batch (PyTorch DDP's default),
	// which one process reproduces with train.ghost_batch_size.
	SyncBN bool `yaml:"sync_bn"`
	// BucketCapMB is the size of the gradient buckets in MiB (key
	// "distributed.bucket_cap_mb", PyTorch DDP's bucket_cap_mb): gradients
	// are summed over the ranks a bucket at a time, in backward order, each
	// bucket starting as soon as the backward pass has finished its layers;
	// a larger gradient is summed in blocks of rows of this size, which a
	// linear layer computes and hands over one by one. > 0. Default 1
	// (DDP's 25 would put most CPU-sized models in one bucket, leaving
	// nothing to overlap).
	BucketCapMB float64 `yaml:"bucket_cap_mb" range:">0"`
	// Overlap starts each gradient bucket's all-reduce while the backward
	// pass still runs the layers before it (key "distributed.overlap").
	// Default true; false reduces every bucket after the backward pass.
	Overlap bool `yaml:"overlap"`
	// ChecksumEvery compares a checksum of the parameters over the ranks
	// every that many optimizer steps, and after the first, and stops the
	// run with a clear message when a rank's weights differ (key
	// "distributed.checksum_every"). >= 0; 0 turns it off. Default 100.
	ChecksumEvery int `yaml:"checksum_every" range:">=0; 0 = off"`
}

// EMA is the "ema" section: an exponential moving average (Polyak
// averaging) of the weights, updated after every optimizer step and
// evaluated beside the raw weights.
type EMA struct {
	// Enabled turns it on (key "ema.enabled"). Default false.
	Enabled bool `yaml:"enabled"`
	// Decay is the averaging factor d: ema ← d·ema + (1−d)·w after every
	// optimizer step (key "ema.decay"), in (0, 1). Default 0.999.
	Decay float64 `yaml:"decay" range:">0,<1"`
	// Warmup uses torch-ema's schedule min(decay, (1+n)/(10+n)) at the
	// n-th update, so the average forgets the initial weights quickly (key
	// "ema.warmup"). Default false.
	Warmup bool `yaml:"warmup"`
}

// SWA is the "swa" section: stochastic weight averaging (Izmailov et al.
// 2018), as torch.optim.swa_utils: from epoch Start on the learning rate
// anneals to LR (SWALR) and the weights at the end of every epoch are
// averaged with equal weight (AveragedModel); after the last epoch the
// average's batch-norm statistics are re-estimated on the training data
// (update_bn) and it is written to checkpoints/swa.ckpt and scored.
type SWA struct {
	// Enabled turns it on (key "swa.enabled"). Default false.
	Enabled bool `yaml:"enabled"`
	// Start is the first epoch (1-based) whose final weights enter the
	// average and the epoch the annealing starts (key "swa.start"), at most
	// train.epochs. 0 (default) is the last quarter: epochs −
	// max(⌊epochs/4⌋, 1) + 1 (epoch 13 of 15).
	Start int `yaml:"start" range:">=0; 0 = the last quarter"`
	// LR is the constant SWA learning rate the schedule anneals to (key
	// "swa.lr", SWALR's swa_lr), > 0; 0 (default) keeps the schedule's
	// rates (averaging only).
	LR float64 `yaml:"lr" range:">=0; 0 = the schedule's rate"`
	// AnnealEpochs is the length of the annealing to swa.lr (key
	// "swa.anneal_epochs"), >= 0; 0 jumps at once. Default 1 (PyTorch's
	// SWALR: 10).
	AnnealEpochs float64 `yaml:"anneal_epochs" range:">=0"`
	// AnnealStrategy is "cos" (default) or "linear" (key
	// "swa.anneal_strategy").
	AnnealStrategy string `yaml:"anneal_strategy"`
	// BNUpdate re-estimates the average's batch-norm statistics by one
	// pass over the training data, a cumulative average (key
	// "swa.bn_update"). Default true; false averages them like the
	// weights.
	BNUpdate bool `yaml:"bn_update"`
}

// Checkpoint is the "checkpoint" section: which checkpoints a run keeps
// beside last.ckpt.
type Checkpoint struct {
	// Monitor is the metric that selects best.ckpt (key
	// "checkpoint.monitor"): "val_acc", "val_loss", "train_acc" or
	// "train_loss". Default "val_acc", "train_acc" without a validation
	// split.
	Monitor string `yaml:"monitor"`
	// Mode is "min" or "max" (key "checkpoint.mode"); default min for
	// losses, max for accuracies.
	Mode string `yaml:"mode"`
	// KeepBest is how many of the best epochs are kept (key
	// "checkpoint.keep_best"), >= 1: with k > 1 they are best-1.ckpt (the
	// best) to best-k.ckpt, beside best.ckpt. Default 1 (best.ckpt only).
	KeepBest int `yaml:"keep_best" range:">=1"`
	// Every also keeps epoch-N.ckpt every n epochs (key "checkpoint.every"),
	// >= 0. Default 0 (none).
	Every int `yaml:"every" range:">=0"`
}

// Monitor is the "monitor" section: signals measured beside training,
// written to steps.csv and TensorBoard, and the warnings drawn from them.
type Monitor struct {
	// Every is the number of optimizer steps between measurements of the
	// gradient norm and the per-layer update ratios ‖ΔW‖/‖W‖ (key
	// "monitor.every"), >= 0; 0 turns them off. Default 20 (about 1% of
	// the training time of the shipped configs).
	Every int `yaml:"every" range:">=0; 0 = off"`
	// RatioLow and RatioHigh bound the healthy update ratio (keys
	// "monitor.ratio_low", "monitor.ratio_high"), > 0, low < high: a weight
	// tensor whose ratio, scaled to the base learning rate, stays outside
	// them for Window measurements gets one warning. Defaults 1e-4 and 1e-1,
	// around the usual 1e-3: momentum SGD on the shipped configs runs at
	// 1e-3 to 1e-2, so a rate 100× too low lands at 1e-5 to 1e-4.
	RatioLow  float64 `yaml:"ratio_low" range:">0"`
	RatioHigh float64 `yaml:"ratio_high" range:">0"`
	// Window is the number of measurements in a row outside the band that
	// make a warning (key "monitor.window"), >= 1. Default 10.
	Window int `yaml:"window" range:">=1"`
	// HistogramsEvery is the number of epochs between histograms of every
	// weight tensor, its gradient and every layer's activations on a fixed
	// batch (key "monitor.histograms_every"), >= 0; 0 turns them off.
	// Default 1.
	HistogramsEvery int `yaml:"histograms_every" range:">=0; 0 = off"`
	// HistogramBins is the number of equal-width buckets of a histogram
	// (key "monitor.histogram_bins"), >= 2. Default 64.
	HistogramBins int `yaml:"histogram_bins" range:">=2"`
	// TensorBoard writes TensorBoard event files into RUN/tb (key
	// "monitor.tensorboard"). Default true.
	TensorBoard bool `yaml:"tensorboard"`
}

// Output is the "output" section: where the run writes its files.
type Output struct {
	// Dir is the run directory (key "output.dir"). A relative path is
	// relative to the working directory (not the config file's folder,
	// unlike data.dir) and is kept as written, not made absolute. Must not be
	// empty. Default "runs/<name>".
	Dir string `yaml:"dir"`
}

// StartEpoch is swa.start resolved for a run of epochs epochs.
func (s SWA) StartEpoch(epochs int) int {
	if s.Start > 0 {
		return s.Start
	}
	return epochs - max(epochs/4, 1) + 1
}
