package config

// Config is one experiment. Version 1 of the schema.
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
	Data Data `yaml:"data"`
	// Preprocess says how inputs are transformed before the model sees them
	// (key "preprocess").
	Preprocess Preprocess `yaml:"preprocess"`
	// Augment is the data augmentation pipeline applied to training
	// batches only, in order (key "augment"). Empty (the default) means no
	// augmentation.
	Augment []AugmentStep `yaml:"augment"`
	// Model describes the network (key "model").
	Model Model `yaml:"model"`
	// Optimizer describes the optimizer (key "optimizer").
	Optimizer Optimizer `yaml:"optimizer"`
	// Regularization holds the penalties added to the loss (key
	// "regularization").
	Regularization Regularization `yaml:"regularization"`
	// Schedule describes how the learning rate changes over training (key
	// "schedule").
	Schedule Schedule `yaml:"schedule"`
	// Train holds the training-loop settings (key "train").
	Train Train `yaml:"train"`
	// EMA keeps an exponential moving average of the weights (key "ema").
	EMA EMA `yaml:"ema"`
	// Checkpoint says which checkpoints a run keeps (key "checkpoint").
	Checkpoint Checkpoint `yaml:"checkpoint"`
	// Output says where the run writes its files (key "output").
	Output Output `yaml:"output"`
}

// Data is the "data" section: where the dataset is and how much of it to use.
type Data struct {
	// Dir is the folder holding the dataset files (key "data.dir").
	// Required, no default. A relative path in the config file is relative
	// to the config file's folder; a relative path given with --set is
	// relative to the working directory. [Parse] resolves it to an absolute
	// path.
	Dir string `yaml:"dir"`
	// Format is the dataset file format (key "data.format"): "idx" (gzipped
	// or plain IDX files named as in MNIST / Fashion-MNIST), "folder"
	// (dir/train/<class>/*.png|jpg and dir/test/<class>/..., gray or RGB,
	// as torchvision's ImageFolder) or "csv" (dir/train.csv and
	// dir/test.csv with a label column). Default "idx".
	Format string `yaml:"format"`
	// LabelColumn names the label column of format "csv" (key
	// "data.label_column"). Default "label"; only used by format csv.
	LabelColumn string `yaml:"label_column"`
	// ValSplit is how many validation examples are carved from the training
	// set (key "data.val_split"): 0 < v < 1 is a fraction of the training
	// examples, v >= 1 is a count and must be a whole number, 0 means no
	// validation set. Must be >= 0. Default 0.1.
	ValSplit float64 `yaml:"val_split"`
	// TrainLimit keeps only the first N training examples, before the
	// validation split (key "data.train_limit"). 0 means all of them. Must be
	// >= 0. Default 0.
	TrainLimit int `yaml:"train_limit"`
}

// Preprocess is the "preprocess" section: how inputs are transformed before
// the model sees them. The transform is fitted on the training split only,
// stored in every checkpoint and reapplied by eval.
type Preprocess struct {
	// Method is the input transform (key "preprocess.method"): "none",
	// "global" (one mean and standard deviation over every value),
	// "channel" (per channel, torchvision's Normalize with fitted
	// statistics), "feature" (per pixel position, scikit-learn's
	// StandardScaler), "pca" (project onto the top principal components;
	// the model then sees (k,1,1) inputs), "pca_whiten" (pca with unit
	// variance per component) or "zca" (ZCA whitening, same shape).
	// Default "global".
	Method string `yaml:"method"`
	// Normalize is the deprecated spelling of Method (key
	// "preprocess.normalize"): "global" or "none". [Parse] moves it into
	// Method and clears it, so the resolved config holds Method only.
	Normalize string `yaml:"normalize,omitempty"`
	// Components is the number of principal components pca and pca_whiten
	// keep (key "preprocess.components"), >= 1 and at most C*H*W (checked
	// once the data is loaded); 0 means use Variance. Default 0.
	Components int `yaml:"components"`
	// Variance keeps, for pca and pca_whiten, the fewest components that
	// carry this fraction of the training variance (key
	// "preprocess.variance"), in (0, 1]; 0 with Components 0 keeps all.
	// Only one of Components and Variance may be set. Default 0.
	Variance float64 `yaml:"variance"`
	// Epsilon is added to each eigenvalue before whitening (pca_whiten,
	// zca: scale 1/sqrt(λ+ε)) or is the floor of the standard deviation
	// (channel, feature) (key "preprocess.epsilon"), >= 0. Default 0.01
	// for pca_whiten and zca (on [0,1] pixels this damps the noisy
	// low-variance directions; Keras's zca_epsilon is 1e-6), 0 otherwise.
	Epsilon float64 `yaml:"epsilon"`
}

// AugmentStep is one entry of the augment list: an op applied to each
// training example with probability P. The keys each op reads are listed
// in the README; setting a key the op does not read is an error.
type AugmentStep struct {
	// Op is the operation (key "op"): crop, hflip, vflip, resized_crop,
	// color_jitter, translate, rotate, stretch, shear, lens, erase, cutout
	// or randaugment. Required.
	Op string `yaml:"op"`
	// P is the probability of applying the op to an example (key "p"), in
	// [0, 1]. Default 1.
	P float64 `yaml:"p"`
	// Pad is crop's zero padding per side in pixels (key "pad").
	Pad int `yaml:"pad"`
	// Size is crop's output side (0: the input size; it must keep the
	// image size) or cutout's square side in pixels (key "size").
	Size int `yaml:"size"`
	// Scale is the area fraction range [min, max] of resized_crop and
	// erase (key "scale").
	Scale []float64 `yaml:"scale"`
	// Ratio is the aspect ratio range [min, max] of resized_crop and erase
	// (key "ratio").
	Ratio []float64 `yaml:"ratio"`
	// Brightness, Contrast, Saturation and Hue are color_jitter's strengths
	// (keys "brightness", "contrast", "saturation", "hue"); saturation and
	// hue need RGB data.
	Brightness float64 `yaml:"brightness"`
	Contrast   float64 `yaml:"contrast"`
	Saturation float64 `yaml:"saturation"`
	Hue        float64 `yaml:"hue"`
	// Translate is translate's maximum shift [x, y] as fractions of the
	// width and height (key "translate").
	Translate []float64 `yaml:"translate"`
	// Degrees is the maximum angle of rotate and shear (key "degrees").
	Degrees float64 `yaml:"degrees"`
	// Stretch is stretch's scale range [min, max] per axis (key "stretch").
	Stretch []float64 `yaml:"stretch"`
	// K is lens's radial coefficient range [min, max] (key "k").
	K []float64 `yaml:"k"`
	// Fill is the border: "constant" (default), "edge" or "reflect" for
	// geometric ops; "zero" (default) or "noise" for erase and cutout (key
	// "fill").
	Fill string `yaml:"fill"`
	// FillValue is the constant of fill "constant" (key "fill_value").
	FillValue float64 `yaml:"fill_value"`
	// N and Magnitude are randaugment's operations per image (default 2)
	// and strength 0–10 (keys "n", "magnitude"); Ops restricts its
	// operations (key "ops").
	N         int      `yaml:"n"`
	Magnitude float64  `yaml:"magnitude"`
	Ops       []string `yaml:"ops"`
}

// Model is the "model" section: the network architecture.
type Model struct {
	// Arch is the architecture (key "model.arch"): "mlp" (a multi-layer
	// perceptron built from Hidden), "lenet5", "cnn" (VGG-style stages built
	// from Widths, ConvsPerStage, BatchNorm and Pool), "resnet" (CIFAR-style,
	// Depth and Width) or "layers" (the explicit list in Layers). Any
	// non-empty string is accepted here; the model registry checks the name.
	// Default "mlp".
	Arch string `yaml:"arch"`
	// Hidden lists the sizes of the hidden fully connected layers, input to
	// output (key "model.hidden"): the whole network of arch "mlp", and the
	// layers between the convolutional features and the classifier of arch
	// "cnn". Each must be >= 1. Default [256] when arch is "mlp", empty
	// otherwise. An explicit empty list [] means no hidden layer. Must be
	// empty for arch "layers", "lenet5" and "resnet".
	Hidden []int `yaml:"hidden"`
	// Widths are the output channels of the stages of arch "cnn" (key
	// "model.widths"), each >= 1; every stage is ConvsPerStage 3x3
	// convolutions followed by a 2x2 pooling. Default [32, 64] for arch
	// "cnn"; must be empty for other archs.
	Widths []int `yaml:"widths"`
	// ConvsPerStage is the number of 3x3 convolutions per stage of arch
	// "cnn" (key "model.convs_per_stage"), >= 1. Default 2.
	ConvsPerStage int `yaml:"convs_per_stage"`
	// BatchNorm puts a batch-norm layer after every convolution of arch
	// "cnn" (the convolutions then have no bias) (key "model.batch_norm").
	// Default true.
	BatchNorm bool `yaml:"batch_norm"`
	// Pool is the pooling at the end of each stage of arch "cnn" (key
	// "model.pool"): "max" (default), "avg" or "fractional" (fractional
	// max-pooling, Graham 2014, shrinking by PoolRatio instead of 2).
	Pool string `yaml:"pool"`
	// PoolRatio is the reduction per axis of pool "fractional" (key
	// "model.pool_ratio"), in (1, 2). Default 1.4142135623730951 (√2, as
	// in the paper) when pool is fractional.
	PoolRatio float64 `yaml:"pool_ratio"`
	// Depth is the number of weighted layers of arch "resnet" (key
	// "model.depth"): 6n+2, e.g. 8, 14, 20, 32, 56. Default 20.
	Depth int `yaml:"depth"`
	// Width is the number of channels of the first stage of arch "resnet"
	// (key "model.width"); the three stages have Width, 2·Width and 4·Width
	// channels. Default 16, as in He et al. (2016).
	Width int `yaml:"width"`
	// ZeroInitResidual starts the last batch-norm scale of every residual
	// block at 0, so each block starts as the identity (key
	// "model.zero_init_residual", torchvision's zero_init_residual; Goyal et
	// al. 2017). Arch "resnet" only. Default false.
	ZeroInitResidual bool `yaml:"zero_init_residual"`
	// Dropout is the probability of inverted dropout on the input of every
	// fully connected layer that follows hidden features (key
	// "model.dropout"): after each hidden activation of an mlp, and after the
	// convolutional features and each hidden layer of a cnn, lenet5 or
	// resnet. 0 <= p < 1. Default 0 (none).
	Dropout float64 `yaml:"dropout"`
	// DropConnect is the probability of dropping each weight of every
	// linear and conv2d layer in training (key "model.dropconnect"), Wan et
	// al. 2013, in the inverted form with one mask per mini-batch. In
	// [0, 1); 0 (default) is off. For arch "layers" a layer's own
	// "dropconnect" key overrides it.
	DropConnect float64 `yaml:"dropconnect"`
	// StochasticDepth is the largest probability of dropping a residual
	// block's branch in training (key "model.stochastic_depth"), Huang et
	// al. 2016, per example, for the basic blocks of arch "resnet" and
	// "layers" (where a block's own "drop" key overrides it). In [0, 1);
	// default 0 (off).
	StochasticDepth float64 `yaml:"stochastic_depth"`
	// StochasticDepthMode spreads StochasticDepth over the blocks (key
	// "model.stochastic_depth_mode"): "linear" (block l of L drops with
	// probability l/L·p, the paper's rule; default) or "constant" (every
	// block p).
	StochasticDepthMode string `yaml:"stochastic_depth_mode"`
	// Activation is the activation function of every architecture except
	// "layers" (key "model.activation"): relu, leaky_relu, prelu, elu, selu,
	// gelu, tanh or sigmoid. Any non-empty string is accepted here; the
	// registry checks the name. Default "relu".
	Activation string `yaml:"activation"`
	// ActivationSlope is the negative slope of leaky_relu (key
	// "model.activation_slope"), >= 0. Default 0.01, as PyTorch.
	ActivationSlope float64 `yaml:"activation_slope"`
	// ActivationAlpha is the α of elu (key "model.activation_alpha"), > 0.
	// Default 1, as PyTorch.
	ActivationAlpha float64 `yaml:"activation_alpha"`
	// GELUApproximate selects gelu's form (key "model.gelu_approximate"):
	// "none" (the exact erf form, default) or "tanh", as PyTorch's
	// approximate argument.
	GELUApproximate string `yaml:"gelu_approximate"`
	// PReLUPerChannel gives prelu one learned slope per channel (or feature)
	// instead of one shared slope (key "model.prelu_per_channel"), as
	// PyTorch's num_parameters. Default false.
	PReLUPerChannel bool `yaml:"prelu_per_channel"`
	// Init is the weight initialization of linear and convolution layers
	// (key "model.init"), e.g. "kaiming_normal" or "normal". Any non-empty string is accepted
	// here; the registry checks the name. Biases start at zero. Default
	// "kaiming_normal".
	Init string `yaml:"init"`
	// InitStd is the standard deviation used by init "normal" (key
	// "model.init_std"). Must be > 0 and finite. Default 0.01.
	InitStd float64 `yaml:"init_std"`
	// InitMode is the fan the Kaiming inits use (key "model.init_mode"):
	// "fan_in" (default: preserves the forward variance) or "fan_out"
	// (the backward one), as PyTorch's mode argument.
	InitMode string `yaml:"init_mode"`
	// InitBound is the half-width a of init "uniform", U(−a, a) (key
	// "model.init_bound"), > 0. Default 0.05.
	InitBound float64 `yaml:"init_bound"`
	// InitValue is the fill value of init "constant" (key
	// "model.init_value"). Default 0.
	InitValue float64 `yaml:"init_value"`
	// HeadInitScale multiplies the initial weights of the last linear layer
	// (the classifier) (key "model.head_init_scale"), as timm's
	// head_init_scale. Values below 1 start the logits near zero, so the
	// initial loss is close to ln(C). Must be >= 0 and finite. Default 1
	// (the plain init, as in PyTorch).
	HeadInitScale float64 `yaml:"head_init_scale"`
	// Layers is the explicit layer list of arch "layers", input to output
	// (key "model.layers"). Required and non-empty when arch is "layers";
	// must be empty for any other arch. Default empty.
	Layers []Layer `yaml:"layers"`
}

// Layer is one entry of model.layers.
type Layer struct {
	// Type is the layer kind (key "type"): "linear", "conv2d", "maxpool2d",
	// "avgpool2d", "fractional_maxpool2d", "global_avgpool", "batchnorm",
	// "dropout", "flatten", "basic_block" (a ResNet basic block), or an
	// activation name such as "relu". Required; the registry checks
	// activation names.
	Type string `yaml:"type"`
	// Name names the layer in parameter names, e.g. "fc1" gives "fc1.weight"
	// (key "name"). Optional: when empty the model builder picks one. When set
	// it must match [A-Za-z0-9_]+ and be unique within the list.
	Name string `yaml:"name"`
	// Out is the number of output features of a linear layer or output
	// channels of a conv2d or basic_block (key "out"). Required (>= 1) for
	// those types, not allowed on others.
	Out int `yaml:"out"`
	// Bias says whether a linear or conv2d layer adds a bias (key "bias").
	// Default true, as in PyTorch; [Parse] fills it in for those types.
	Bias *bool `yaml:"bias"`
	// Init overrides model.init for this linear or conv2d layer (key
	// "init"). Default empty: use model.init.
	Init string `yaml:"init"`
	// Kernel is the kernel size of conv2d, maxpool2d and avgpool2d (key
	// "kernel"), >= 1. Required for those types.
	Kernel int `yaml:"kernel"`
	// Stride of conv2d, the pools and basic_block (key "stride"), >= 1.
	// Default 1 for conv2d and basic_block, the kernel size for pools (as
	// PyTorch).
	Stride int `yaml:"stride"`
	// Padding is the zero padding of conv2d and the pools (key "padding"),
	// >= 0. Default 0.
	Padding int `yaml:"padding"`
	// P is the drop probability of a dropout layer (key "p"), 0 <= p < 1.
	// Default 0.5, as PyTorch.
	P float64 `yaml:"p"`
	// Slope is the negative slope of a leaky_relu layer (key "slope"),
	// >= 0. Default 0.01.
	Slope float64 `yaml:"slope"`
	// Alpha is the α of an elu layer (key "alpha"), > 0. Default 1.
	Alpha float64 `yaml:"alpha"`
	// Approximate selects a gelu layer's form (key "approximate"): "none"
	// (default) or "tanh".
	Approximate string `yaml:"approximate"`
	// PerChannel gives a prelu layer one slope per channel (key
	// "per_channel"). Default false.
	PerChannel bool `yaml:"per_channel"`
	// DropConnect is the DropConnect probability of a linear or conv2d
	// layer (key "dropconnect"), in [0, 1); unset: model.dropconnect.
	DropConnect *float64 `yaml:"dropconnect"`
	// Drop is the stochastic depth probability of a basic_block (key
	// "drop"), in [0, 1); unset: from model.stochastic_depth.
	Drop *float64 `yaml:"drop"`
	// Ratio is the reduction per axis of a fractional_maxpool2d layer (key
	// "ratio"), in (1, 2). Default √2.
	Ratio float64 `yaml:"ratio"`
	// Overlapping makes the regions of a fractional_maxpool2d layer share
	// their boundary row and column (key "overlapping"). Default false.
	Overlapping bool `yaml:"overlapping"`
	// PseudoRandom selects the pseudo-random region sequence of a
	// fractional_maxpool2d layer instead of the random one (key
	// "pseudo_random"). Default false.
	PseudoRandom bool `yaml:"pseudo_random"`
	// TestDraws is how many fixed poolings a fractional_maxpool2d layer
	// averages in evaluation (key "test_draws"), >= 1. Default 1.
	TestDraws int `yaml:"test_draws"`
}

// Optimizer is the "optimizer" section.
type Optimizer struct {
	// Type is the optimizer (key "optimizer.type"), each as its torch.optim
	// namesake: "sgd", "adam", "adamw", "rmsprop" or "adagrad". Default
	// "sgd".
	Type string `yaml:"type"`
	// LR is the (initial) learning rate (key "optimizer.lr"). Must be > 0 and
	// finite. Default 0.01.
	LR float64 `yaml:"lr"`
	// Momentum is the momentum factor of sgd and rmsprop (key
	// "optimizer.momentum"). Must satisfy 0 <= momentum < 1. Default 0.
	Momentum float64 `yaml:"momentum"`
	// Dampening of sgd's momentum (key "optimizer.dampening"), in [0, 1).
	// Default 0.
	Dampening float64 `yaml:"dampening"`
	// Nesterov enables Nesterov momentum for sgd (key
	// "optimizer.nesterov"). Requires momentum > 0, as in PyTorch. Default
	// false.
	Nesterov bool `yaml:"nesterov"`
	// Betas are adam/adamw's moment decay rates (key "optimizer.betas"),
	// two numbers in (0, 1). Default [0.9, 0.999].
	Betas []float64 `yaml:"betas"`
	// Eps is the denominator term of adam, adamw, rmsprop and adagrad (key
	// "optimizer.eps"), > 0. Default 1e-8 (adagrad 1e-10).
	Eps float64 `yaml:"eps"`
	// Alpha is rmsprop's smoothing constant (key "optimizer.alpha"), in
	// (0, 1). Default 0.99.
	Alpha float64 `yaml:"alpha"`
	// Centered selects centered rmsprop (key "optimizer.centered").
	// Default false.
	Centered bool `yaml:"centered"`
	// AMSGrad selects the AMSGrad variant of adam/adamw (key
	// "optimizer.amsgrad"). Default false.
	AMSGrad bool `yaml:"amsgrad"`
	// WeightDecay is torch's weight_decay (key "optimizer.weight_decay"),
	// >= 0: for adamw it is decoupled (θ ← θ·(1 − lr·wd) before the update);
	// for the others it adds wd·θ to the gradient, like an L2 penalty of
	// (wd/2)·Σθ² (see regularization.l2 for a penalty in the loss). Applies
	// to weights, not biases or batch-norm parameters, unless groups say
	// otherwise. Default 0 (also for adamw, whose torch default is 0.01).
	WeightDecay float64 `yaml:"weight_decay"`
	// LRDecay is adagrad's lr_decay (key "optimizer.lr_decay"), >= 0.
	// Default 0.
	LRDecay float64 `yaml:"lr_decay"`
	// InitialAccumulator is adagrad's initial_accumulator_value (key
	// "optimizer.initial_accumulator"), >= 0. Default 0.
	InitialAccumulator float64 `yaml:"initial_accumulator"`
	// ClipGradNorm clips the global L2 norm of all gradients to this value
	// before each step (key "optimizer.clip_grad_norm"), as
	// torch.nn.utils.clip_grad_norm_; 0 = off. Default 0.
	ClipGradNorm float64 `yaml:"clip_grad_norm"`
	// ClipGradValue clamps every gradient to [−v, v] before each step (key
	// "optimizer.clip_grad_value"); 0 = off. Default 0.
	ClipGradValue float64 `yaml:"clip_grad_value"`
	// Groups set per-parameter learning-rate scales and weight decays by
	// name pattern (key "optimizer.groups"); the first matching group wins.
	Groups []ParamGroup `yaml:"groups"`
}

// ParamGroup is one entry of optimizer.groups.
type ParamGroup struct {
	// Pattern is a glob on dotted parameter names (key "pattern"), e.g.
	// "*.bias" or "stage1.*"; "*" matches everything. Required.
	Pattern string `yaml:"pattern"`
	// LRScale multiplies the learning rate of the group (key "lr_scale"),
	// > 0. Default 1.
	LRScale float64 `yaml:"lr_scale"`
	// WeightDecay overrides optimizer.weight_decay for the group (key
	// "weight_decay"), >= 0; unset keeps the default rule.
	WeightDecay *float64 `yaml:"weight_decay"`
}

// Regularization is the "regularization" section: penalties added to the
// loss.
type Regularization struct {
	// L2 is the L2 penalty coefficient λ (key "regularization.l2"): the
	// training loss becomes loss + λ·Σw² summed over weights, not biases.
	// Note that PyTorch's weight_decay wd adds wd·w to the gradient, which is
	// λ = wd/2. Must be >= 0 and finite. Default 0.
	L2 float64 `yaml:"l2"`
	// L1 is the L1 (lasso) penalty coefficient (key "regularization.l1"):
	// the loss gains L1·Σ|w| over the same parameters as L2, with the
	// subgradient sign(w). Must be >= 0 and finite. Default 0.
	L1 float64 `yaml:"l1"`
	// Include selects the parameters both penalties cover by glob on their
	// dotted names (key "regularization.include"), e.g. ["*.weight"];
	// empty (default) means every weight (not biases, batch-norm or PReLU
	// parameters).
	Include []string `yaml:"include"`
	// Exclude drops the parameters matching any of these globs from the
	// penalties (key "regularization.exclude"), e.g. ["classifier.*"].
	Exclude []string `yaml:"exclude"`
}

// Schedule is the "schedule" section: how the learning rate changes over
// training, per epoch.
type Schedule struct {
	// Type is the schedule (key "schedule.type"), a pure function of the
	// optimizer step: "constant", "step" (StepLR), "multistep"
	// (MultiStepLR), "exponential" (ExponentialLR), "cosine"
	// (CosineAnnealingLR, closed form), "cosine_restarts"
	// (CosineAnnealingWarmRestarts), "linear" (LinearLR), "poly"
	// (PolynomialLR), "invsqrt" (inverse square root) or "onecycle"
	// (OneCycleLR). Default "constant".
	Type string `yaml:"type"`
	// Interval is how often the rate changes (key "schedule.interval"):
	// "step" or "epoch"; empty selects the type's default ("epoch" for step,
	// multistep and exponential, "step" for the others).
	Interval string `yaml:"interval"`
	// Milestones are the epochs at which "multistep" multiplies the rate by
	// Gamma (key "schedule.milestones"), strictly increasing, >= 1.
	Milestones []int `yaml:"milestones"`
	// T0 is the first period in epochs of "cosine_restarts" (key
	// "schedule.t0"), >= 1. Default 10.
	T0 int `yaml:"t0"`
	// TMult is the period growth factor of "cosine_restarts" (key
	// "schedule.t_mult"), >= 1. Default 1.
	TMult int `yaml:"t_mult"`
	// StartFactor and EndFactor are the factors of optimizer.lr at the
	// start and end of "linear" (keys "schedule.start_factor",
	// "schedule.end_factor"), in [0, 1]. Defaults 1 and 0.
	StartFactor float64 `yaml:"start_factor"`
	EndFactor   float64 `yaml:"end_factor"`
	// TotalIters is the length of the "linear" or "poly" decay in interval
	// units (key "schedule.total_iters"); 0 means the whole run. Default 0.
	TotalIters int `yaml:"total_iters"`
	// Power is the exponent of "poly" (key "schedule.power"), > 0.
	// Default 1.
	Power float64 `yaml:"power"`
	// InvSqrtSteps is the step from which "invsqrt" decays as
	// sqrt(w/step) (key "schedule.invsqrt_steps"); 0 means the warmup
	// length. Default 0.
	InvSqrtSteps int `yaml:"invsqrt_steps"`
	// MaxLR is the peak rate of "onecycle" (key "schedule.max_lr"); 0
	// means optimizer.lr. Default 0.
	MaxLR float64 `yaml:"max_lr"`
	// PctStart is the fraction of "onecycle" spent rising (key
	// "schedule.pct_start"), in (0, 1). Default 0.3.
	PctStart float64 `yaml:"pct_start"`
	// DivFactor: "onecycle" starts at max_lr/div_factor (key
	// "schedule.div_factor"), >= 1. Default 25.
	DivFactor float64 `yaml:"div_factor"`
	// FinalDivFactor: "onecycle" ends at max_lr/(div_factor·final_div_factor)
	// (key "schedule.final_div_factor"), >= 1. Default 1e4.
	FinalDivFactor float64 `yaml:"final_div_factor"`
	// AnnealStrategy is the interpolation of "onecycle" (key
	// "schedule.anneal_strategy"): "cos" (default) or "linear".
	AnnealStrategy string `yaml:"anneal_strategy"`
	// ThreePhase selects the three-phase "onecycle" (key
	// "schedule.three_phase"). Default false.
	ThreePhase bool `yaml:"three_phase"`
	// StepSize is the period in epochs of schedule "step" (key
	// "schedule.step_size"). Must be >= 1. Default 10.
	StepSize int `yaml:"step_size"`
	// Gamma is the decay factor of schedule "step" (key "schedule.gamma").
	// Must satisfy 0 < gamma <= 1. Default 0.1.
	Gamma float64 `yaml:"gamma"`
	// MinLR is the final learning rate of schedule "cosine" (key
	// "schedule.min_lr"). Must satisfy 0 <= min_lr < optimizer.lr. Default 0.
	MinLR float64 `yaml:"min_lr"`
	// WarmupEpochs is the length of a linear warmup from 0 to optimizer.lr at
	// the start of training, in epochs; fractions are allowed (key
	// "schedule.warmup_epochs"). Applies to every schedule type. Must satisfy
	// 0 <= warmup_epochs < train.epochs. Default 0 (no warmup).
	WarmupEpochs float64 `yaml:"warmup_epochs"`
	// WarmupStartFactor is the warmup's starting factor a (key
	// "schedule.warmup_start_factor"): step s < W runs at
	// lr·(a + (1−a)(s+1)/W). In [0, 1). Default 0.
	WarmupStartFactor float64 `yaml:"warmup_start_factor"`
	// ScaleRule scales optimizer.lr with the batch size (key
	// "schedule.scale_rule"): "none" (default), "linear" (lr ×
	// batch_size/base_batch_size, Goyal et al. 2017) or "sqrt" (× the square
	// root of that ratio). Pair it with a warmup.
	ScaleRule string `yaml:"scale_rule"`
	// BaseBatchSize is the batch size optimizer.lr was tuned for (key
	// "schedule.base_batch_size"), >= 1. Default 256.
	BaseBatchSize int `yaml:"base_batch_size"`
	// Plateau multiplies the schedule by a factor whenever a validation
	// metric stops improving (key "schedule.plateau").
	Plateau Plateau `yaml:"plateau"`
}

// Plateau is "schedule.plateau": reduce-on-plateau, as torch's
// ReduceLROnPlateau, applied on top of the schedule after every epoch's
// validation.
type Plateau struct {
	// Enabled turns it on (key "schedule.plateau.enabled"). Default false.
	Enabled bool `yaml:"enabled"`
	// Metric is the validation metric watched (key
	// "schedule.plateau.metric"): "val_loss" (default) or "val_acc".
	Metric string `yaml:"metric"`
	// Mode is "min" or "max" (key "schedule.plateau.mode"); default: min for
	// val_loss, max for val_acc.
	Mode string `yaml:"mode"`
	// Factor multiplies the rate at each reduction (key
	// "schedule.plateau.factor"), in (0, 1). Default 0.1.
	Factor float64 `yaml:"factor"`
	// Patience is the number of epochs without improvement tolerated (key
	// "schedule.plateau.patience"), >= 0. Default 10.
	Patience int `yaml:"patience"`
	// Threshold is the minimum significant improvement (key
	// "schedule.plateau.threshold"), >= 0. Default 1e-4.
	Threshold float64 `yaml:"threshold"`
	// ThresholdMode is "rel" (default) or "abs" (key
	// "schedule.plateau.threshold_mode").
	ThresholdMode string `yaml:"threshold_mode"`
	// Cooldown is the number of epochs to wait after a reduction (key
	// "schedule.plateau.cooldown"), >= 0. Default 0.
	Cooldown int `yaml:"cooldown"`
	// MinLR is the floor of the reduced rate (key
	// "schedule.plateau.min_lr"), >= 0. Default 0.
	MinLR float64 `yaml:"min_lr"`
}

// Train is the "train" section: the training loop.
type Train struct {
	// Epochs is the number of passes over the training set (key
	// "train.epochs"). Must be >= 1. Default 10.
	Epochs int `yaml:"epochs"`
	// BatchSize is the mini-batch size for training (key
	// "train.batch_size"). Must be >= 1. Default 128.
	BatchSize int `yaml:"batch_size"`
	// EvalBatchSize is the batch size for validation and test evaluation
	// (key "train.eval_batch_size"); it does not change results, only speed
	// and memory. Must be >= 1. Default 1000.
	EvalBatchSize int `yaml:"eval_batch_size"`
	// Accumulate is the number of mini-batches whose gradients are summed
	// before one optimizer step (key "train.accumulate"): the effective batch
	// is accumulate × batch_size, and the schedule counts optimizer steps.
	// Must be >= 1. Default 1 (no accumulation).
	Accumulate int `yaml:"accumulate"`
	// DivergenceFactor stops the run when an epoch's training loss exceeds
	// this multiple of the best earlier epoch's (key
	// "train.divergence_factor"). 0 (default) turns it off; otherwise > 1.
	DivergenceFactor float64 `yaml:"divergence_factor"`
	// EarlyStopping ends training when a metric stops improving (key
	// "train.early_stopping").
	EarlyStopping EarlyStopping `yaml:"early_stopping"`
	// LabelSmoothing is ε of label smoothing (key "train.label_smoothing"),
	// as PyTorch's CrossEntropyLoss(label_smoothing=ε): the training target
	// becomes (1−ε)·onehot + ε/C. In [0, 1). Default 0. Validation and
	// test losses use plain cross-entropy.
	LabelSmoothing float64 `yaml:"label_smoothing"`
	// Mixup mixes pairs of training examples and their labels (key
	// "train.mixup"), Zhang et al. 2018.
	Mixup Mix `yaml:"mixup"`
	// CutMix pastes a box of one training example into another and mixes
	// the labels by area (key "train.cutmix"), Yun et al. 2019.
	CutMix Mix `yaml:"cutmix"`
}

// Mix is "train.mixup" or "train.cutmix": batch-level mixing with
// λ ~ Beta(alpha, alpha). With both set, each batch picks one of them with
// probability 0.5 (as timm's switch_prob 0.5), then applies it with its p.
type Mix struct {
	// Alpha is the Beta distribution's parameter (key "alpha"), >= 0; 0
	// (default) turns the method off. Typical: 0.2 for mixup, 1 for cutmix.
	Alpha float64 `yaml:"alpha"`
	// P is the probability that a batch is mixed (key "p"), in [0, 1].
	// Default 1.
	P float64 `yaml:"p"`
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
	Patience int `yaml:"patience"`
	// MinDelta is the smallest change that counts as an improvement (key
	// "train.early_stopping.min_delta"), >= 0. Default 0.
	MinDelta float64 `yaml:"min_delta"`
}

// EMA is the "ema" section: an exponential moving average (Polyak
// averaging) of the weights, updated after every optimizer step and
// evaluated beside the raw weights.
type EMA struct {
	// Enabled turns it on (key "ema.enabled"). Default false.
	Enabled bool `yaml:"enabled"`
	// Decay is the averaging factor d: ema ← d·ema + (1−d)·w after every
	// optimizer step (key "ema.decay"), in (0, 1). Default 0.999.
	Decay float64 `yaml:"decay"`
	// Warmup uses torch-ema's schedule min(decay, (1+n)/(10+n)) at the
	// n-th update, so the average forgets the initial weights quickly (key
	// "ema.warmup"). Default false.
	Warmup bool `yaml:"warmup"`
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
	KeepBest int `yaml:"keep_best"`
	// Every also keeps epoch-N.ckpt every n epochs (key "checkpoint.every"),
	// >= 0. Default 0 (none).
	Every int `yaml:"every"`
}

// Output is the "output" section: where the run writes its files.
type Output struct {
	// Dir is the run directory (key "output.dir"). A relative path is
	// relative to the working directory (not the config file's folder,
	// unlike data.dir) and is kept as written, not made absolute. Must not be
	// empty. Default "runs/<name>".
	Dir string `yaml:"dir"`
}
