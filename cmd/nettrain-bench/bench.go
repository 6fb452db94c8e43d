package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nettrain/nettrain/pkg/config"
	"github.com/nettrain/nettrain/pkg/engine"
	"github.com/nettrain/nettrain/pkg/run"
	"github.com/nettrain/nettrain/pkg/tensor"
)

// benchModels are the models of configs/bench, in table order: three on
// Fashion-MNIST, two on synthetic RGB 32×32 images (isRGB).
var benchModels = []string{"mlp", "cnn", "resnet8", "resnet20-rgb", "vgg-rgb"}

// isRGB reports whether bench model m trains on the synthetic RGB folder.
func isRGB(m string) bool { return strings.HasSuffix(m, "-rgb") }

// trialsBatch is the batch size of the search-throughput comparison.
const trialsBatch = 128

// options are the command-line flags.
type options struct {
	images     int
	rgbImages  int   // synthetic RGB images per RGB model
	batches    []int // batch sizes, each timed per model
	threads    int
	rounds     int // training rounds, nettrain and PyTorch alternating; the best of each is reported
	models     []string
	skipTorch  bool
	skipGemm   bool
	skipTrials bool
	data       string // "" = the configs' data.dir
	python     string
	benchDir   string // "" = configs/bench in the working folder or above
	gemm       gemmTiming
}

// usageError is bad usage or something missing: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// execute runs one command line and returns the exit status: the tables go
// to stdout, progress and errors to stderr.
func execute(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil {
		var r *report
		if r, err = bench(o, stderr); err == nil {
			r.print(stdout)
			return 0
		}
	}
	fmt.Fprintf(stderr, "nettrain-bench: %s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
	var ue *usageError
	if errors.As(err, &ue) || engine.IsInputError(err) {
		return 2
	}
	return 1
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{gemm: defaultGemmTiming}
	fs := flag.NewFlagSet("nettrain-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: nettrain-bench [--images N] [--rgb-images N] [--batches 32,128,512] [--threads T] [--rounds R] [--models mlp,cnn,...] [--skip-torch] [--skip-gemm] [--skip-trials]")
		fmt.Fprintln(stderr, "Trains the configs/bench models in nettrain and PyTorch, times their inference and the throughput of one-thread trials side by side, and times tensor.Gemm against numpy's BLAS.")
		fs.PrintDefaults()
	}
	models := strings.Join(benchModels, ",")
	fs.IntVar(&o.images, "images", 60000, "training images per model, at most the 60000 of Fashion-MNIST (60000 = one epoch)")
	fs.IntVar(&o.rgbImages, "rgb-images", 10000, "synthetic RGB 32x32 training images per RGB model (resnet20-rgb, vgg-rgb)")
	batches := strconv.Itoa(trialsBatch)
	fs.StringVar(&batches, "batches", batches, "comma-separated batch sizes, each timed per model (training and inference)")
	fs.BoolVar(&o.skipTrials, "skip-trials", false, fmt.Sprintf("skip T concurrent one-thread trials against one trial on T threads (batch %d)", trialsBatch))
	fs.IntVar(&o.threads, "threads", 2, "threads for nettrain, PyTorch (torch.set_num_threads) and the BLAS")
	fs.IntVar(&o.rounds, "rounds", 1, "training rounds: nettrain and PyTorch take turns, and each one's fastest round is reported (shared machines drift by ±20% within minutes)")
	fs.StringVar(&models, "models", models, "comma-separated models to train: "+strings.Join(benchModels, ", "))
	fs.BoolVar(&o.skipTorch, "skip-torch", false, "run nothing in Python: no PyTorch training, no numpy GEMM")
	fs.BoolVar(&o.skipGemm, "skip-gemm", false, "skip the GEMM timings")
	fs.StringVar(&o.data, "data", "", "Fashion-MNIST IDX folder (default: data.dir of configs/bench, Debian's /usr/share/datasets/fashion-mnist)")
	fs.StringVar(&o.python, "python", "/usr/bin/python3", "Python with PyTorch and numpy")
	fs.StringVar(&o.benchDir, "bench-dir", "", "folder of the bench configs and torch_bench.py (default: configs/bench in the working folder or above)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, usageErrorf("unexpected argument %q (flags only; see --help)", fs.Arg(0))
	}
	if o.images < 1 {
		return nil, usageErrorf("--images: must be >= 1, got %d", o.images)
	}
	if o.rgbImages < 1 {
		return nil, usageErrorf("--rgb-images: must be >= 1, got %d", o.rgbImages)
	}
	for _, b := range strings.Split(batches, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(b))
		if err != nil || n < 1 {
			return nil, usageErrorf("--batches: %q is not a batch size >= 1 (want e.g. 32,128,512)", strings.TrimSpace(b))
		}
		if !slices.Contains(o.batches, n) {
			o.batches = append(o.batches, n)
		}
	}
	if o.threads < 1 {
		return nil, usageErrorf("--threads: must be >= 1, got %d", o.threads)
	}
	if o.rounds < 1 {
		return nil, usageErrorf("--rounds: must be >= 1, got %d", o.rounds)
	}
	for _, m := range strings.Split(models, ",") {
		m = strings.TrimSpace(m)
		if m == "" {
			continue
		}
		if !slices.Contains(benchModels, m) {
			return nil, usageErrorf("--models: unknown model %q; allowed: %s", m, strings.Join(benchModels, ", "))
		}
		if !slices.Contains(o.models, m) {
			o.models = append(o.models, m)
		}
	}
	return o, nil
}

// findBenchDir returns configs/bench of the working folder or the nearest
// folder above it that has one.
func findBenchDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		cand := filepath.Join(dir, "configs", "bench")
		if _, err := os.Stat(filepath.Join(cand, "torch_bench.py")); err == nil {
			return cand, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", usageErrorf("configs/bench/torch_bench.py not found in the working folder or above: run from the nettrain repository, or pass --bench-dir")
		}
		dir = parent
	}
}

// checkData makes sure dir holds the Fashion-MNIST IDX files training and
// the final test evaluation read.
func checkData(dir string) error {
	for _, name := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		_, errGz := os.Stat(filepath.Join(dir, name+".gz"))
		_, errRaw := os.Stat(filepath.Join(dir, name))
		if errGz != nil && errRaw != nil {
			return usageErrorf("data: %s not found: install Fashion-MNIST with `make data` (Debian's dataset-fashion-mnist), or pass --data DIR",
				filepath.Join(dir, name+".gz"))
		}
	}
	return nil
}

// bench runs every measurement o asks for; progress goes to log.
func bench(o *options, log io.Writer) (*report, error) {
	dir := o.benchDir
	if dir == "" {
		var err error
		if dir, err = findBenchDir(); err != nil {
			return nil, err
		}
	}
	dataDir := o.data
	if dataDir != "" {
		abs, err := filepath.Abs(dataDir)
		if err != nil {
			return nil, usageErrorf("--data: %v", err)
		}
		dataDir = abs
	}
	r := &report{images: o.images, rgbImages: o.rgbImages, threads: o.threads, rounds: o.rounds, goVersion: runtime.Version()}
	if o.images > 60000 {
		r.notes = append(r.notes, fmt.Sprintf("--images %d: Fashion-MNIST has 60000 training images; every model trains on all of them", o.images))
		r.images = 60000
	}
	// One config per model and batch size; the Fashion-MNIST data folder
	// comes from the first of them unless --data names one.
	cfgs := map[benchKey]*config.Config{}
	overrides := map[benchKey][]string{}
	fashion := false
	for _, m := range o.models {
		images := o.images
		if isRGB(m) {
			images = o.rgbImages
		} else {
			fashion = true
		}
		for _, b := range o.batches {
			over := []string{"data.train_limit=" + strconv.Itoa(images), "data.val_split=0", "train.epochs=1", "train.batch_size=" + strconv.Itoa(b)}
			if dataDir != "" && !isRGB(m) {
				over = append(over, "data.dir="+dataDir)
			}
			cfg, err := config.Load(filepath.Join(dir, m+".yaml"), over)
			if err != nil {
				return nil, &usageError{err.Error()}
			}
			if dataDir == "" && !isRGB(m) {
				dataDir = cfg.Data.Dir
			}
			cfgs[benchKey{m, b}], overrides[benchKey{m, b}] = cfg, over
		}
	}
	if fashion {
		if err := checkData(dataDir); err != nil {
			return nil, err
		}
	}
	var py *python
	if !o.skipTorch {
		py = &python{exe: o.python, script: filepath.Join(dir, "torch_bench.py"), threads: o.threads}
		info, err := py.info()
		if err != nil {
			return nil, err
		}
		r.py = info
	}
	// PyTorch and numpy run with the processor's own OpenBLAS kernel.
	torchEnv, unset := gemmEnv(os.Environ())
	if unset && py != nil {
		r.notes = append(r.notes, fmt.Sprintf("OPENBLAS_CORETYPE=%s and OPENBLAS_L2_SIZE were unset for the PyTorch and numpy commands", os.Getenv("OPENBLAS_CORETYPE")))
	}
	if busy, ok := busyCores(time.Second); ok && busy >= 0.25 {
		r.notes = append(r.notes, fmt.Sprintf("other processes kept %.1f of the %d cores busy just before the run: the numbers are low and noisy", busy, runtime.NumCPU()))
	}
	// The thread budget of every nettrain measurement; the process is
	// capped at it too, as PyTorch is by torch.set_num_threads.
	pool, err := engine.NewPool(o.threads)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(pool.Threads()))

	tmp, err := os.MkdirTemp("", "nettrain-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := setBenchData(cfgs, dataDir, o.rgbImages, tmp, log); err != nil {
		return nil, err
	}
	for _, m := range o.models {
		cfg := cfgs[benchKey{m, o.batches[0]}]
		shape := []int{1, 28, 28}
		if isRGB(m) {
			shape = []int{3, 32, 32}
		}
		net, err := engine.BuildModel(cfg, filepath.Join(dir, m+".yaml"), shape, 10)
		if err != nil {
			return nil, err
		}
		for _, b := range o.batches {
			r.models = append(r.models, modelRow{name: m, batch: b, flops: net.TrainingFLOPs(), inferFlops: net.InferenceFLOPs(),
				torch: map[string]float64{}, torchInfer: map[string]float64{}})
		}
	}
	trials := !o.skipTrials && o.threads > 1
	// Rounds alternate the frameworks, so that a slow spell of a shared
	// machine hits both; each keeps its fastest round.
	for round := 1; round <= o.rounds; round++ {
		tag := ""
		if o.rounds > 1 {
			tag = fmt.Sprintf(" (round %d of %d)", round, o.rounds)
		}
		if len(o.models) > 0 {
			// The MFU yardstick, timed in every round beside the training.
			r.peak = max(r.peak, timeGemm(pool, peakShape, o.gemm))
		}
		for i := range r.models {
			row := &r.models[i]
			fmt.Fprintf(log, "nettrain-bench: nettrain %s, batch %d%s: training %d images on %d threads...\n", row.name, row.batch, tag, r.trainImages(row.name), o.threads)
			cfg := cfgs[benchKey{row.name, row.batch}]
			out := filepath.Join(tmp, fmt.Sprintf("%s-b%d-%d", row.name, row.batch, round))
			train, infer, err := nettrainRun(cfg, filepath.Join(dir, row.name+".yaml"), out, pool, true)
			if err != nil {
				return nil, err
			}
			row.nettrain, row.infer = max(row.nettrain, train), max(row.infer, infer)
			if trials && row.batch == trialsBatch {
				fmt.Fprintf(log, "nettrain-bench: nettrain %s%s: %d trials of one thread each at once...\n", row.name, tag, o.threads)
				all, err := nettrainTrials(o.threads, filepath.Join(dir, row.name+".yaml"), overrides[benchKey{row.name, row.batch}], cfg.Data.Dir, out)
				if err != nil {
					return nil, err
				}
				row.trials = max(row.trials, all)
			}
		}
		if py == nil || len(o.models) == 0 {
			continue
		}
		for _, b := range o.batches {
			for _, policy := range ompWaitPolicies {
				fmt.Fprintf(log, "nettrain-bench: PyTorch %s, batch %d (OpenMP wait policy %s)%s: training and inference on %d threads...\n",
					strings.Join(o.models, ", "), b, policy, tag, o.threads)
				tr, err := py.train(torchRun{models: o.models, images: o.images, rgbImages: o.rgbImages, batch: b, dataDir: dataDir, ompWait: policy}, torchEnv)
				if err != nil {
					return nil, fmt.Errorf("PyTorch: %w", err)
				}
				for i := range r.models {
					if row := &r.models[i]; row.batch == b {
						row.torch[policy] = max(row.torch[policy], tr[row.name].ImagesPerSecond)
						row.torchInfer[policy] = max(row.torchInfer[policy], tr[row.name].InferImagesPerSecond)
					}
				}
			}
			if trials && b == trialsBatch {
				fmt.Fprintf(log, "nettrain-bench: PyTorch %s%s: %d one-thread trials at once...\n", strings.Join(o.models, ", "), tag, o.threads)
				all, err := py.trials(o.threads, torchRun{models: o.models, images: o.images, rgbImages: o.rgbImages, batch: b, dataDir: dataDir, ompWait: "passive"}, torchEnv)
				if err != nil {
					return nil, fmt.Errorf("PyTorch: %w", err)
				}
				for i := range r.models {
					if row := &r.models[i]; row.batch == b {
						row.torchTrials = max(row.torchTrials, all[row.name])
					}
				}
			}
		}
	}
	if o.skipGemm {
		return r, nil
	}
	fmt.Fprintf(log, "nettrain-bench: tensor.Gemm: %d shapes on %d threads...\n", len(gemmShapes), o.threads)
	for _, s := range gemmShapes {
		r.gemms = append(r.gemms, gemmRow{shape: s, nettrain: timeGemm(pool, s, o.gemm)})
	}
	if py != nil {
		fmt.Fprintf(log, "nettrain-bench: numpy: %d shapes on %d threads...\n", len(gemmShapes), o.threads)
		nr, err := py.gemm(gemmShapes, torchEnv)
		if err != nil {
			return nil, fmt.Errorf("numpy GEMM: %w", err)
		}
		for i := range r.gemms {
			res, ok := nr[r.gemms[i].shape.key()]
			if !ok {
				return nil, fmt.Errorf("numpy GEMM: torch_bench.py printed no result for %s", r.gemms[i].shape.key())
			}
			r.gemms[i].blas = res.GFLOPS
			r.gemmBLAS, r.gemmArch = res.BLAS, res.BLASArchitecture
		}
	}
	return r, nil
}

// benchKey is one model at one batch size.
type benchKey struct {
	model string
	batch int
}

// setBenchData points the configs at the data the bench trains on: a copy
// of the Fashion-MNIST folder with a smaller test set (benchDataDir), and
// a synthetic RGB folder of rgbImages images (synthFolder) for the RGB
// models.
func setBenchData(cfgs map[benchKey]*config.Config, fashionDir string, rgbImages int, tmp string, log io.Writer) error {
	var fashion, rgb string
	for k, cfg := range cfgs {
		var err error
		switch {
		case isRGB(k.model) && rgb == "":
			fmt.Fprintf(log, "nettrain-bench: writing %d synthetic RGB 32x32 PNGs...\n", rgbImages)
			rgb, err = synthFolder{train: rgbImages, test: benchTestImages / 10, size: 32, seed: 1}.write(filepath.Join(tmp, "rgb"))
		case !isRGB(k.model) && fashion == "":
			fashion, err = benchDataDir(fashionDir, tmp)
			if err != nil {
				err = &usageError{err.Error()}
			}
		}
		if err != nil {
			return err
		}
		if isRGB(k.model) {
			cfg.Data.Dir = rgb
		} else {
			cfg.Data.Dir = fashion
		}
	}
	return nil
}

// nettrainRun trains cfg for its one epoch into out and returns the
// training images per second and, when infer is set, the images per
// second of evaluating the trained checkpoint on the same training images
// at the same batch size (what `nettrain eval --split train` computes,
// data loading and one warm-up batch not timed).
func nettrainRun(cfg *config.Config, path, out string, pool *tensor.Pool, infer bool) (train, inferRate float64, err error) {
	res, err := run.Train(cfg, run.Options{ConfigPath: path, OutDir: out, Pool: pool})
	if err != nil {
		return 0, 0, fmt.Errorf("nettrain %s: %w", filepath.Base(path), err)
	}
	if len(res.Epochs) == 0 {
		return 0, 0, fmt.Errorf("nettrain %s: no epoch trained", filepath.Base(path))
	}
	if !infer {
		return res.Epochs[0].ImagesPerSecond, 0, nil
	}
	l, err := run.LoadCheckpoint(filepath.Join(out, "checkpoints", "last.ckpt"))
	if err != nil {
		return 0, 0, err
	}
	d, err := engine.LoadSplit(l.Config, cfg.Data.Dir, "train", l.Prep, pool.Threads())
	if err != nil {
		return 0, 0, err
	}
	// One untimed batch first, as PyTorch's side does: the layers allocate
	// their buffers for the batch size on their first call.
	idx := make([]int, min(cfg.Train.BatchSize, d.N))
	for i := range idx {
		idx[i] = i
	}
	engine.Evaluate(l.Model, d.Subset(idx), cfg.Train.BatchSize, pool)
	start := time.Now()
	engine.Evaluate(l.Model, d, cfg.Train.BatchSize, pool)
	return res.Epochs[0].ImagesPerSecond, float64(d.N) / time.Since(start).Seconds(), nil
}

// nettrainTrials trains the config at path (with overrides, on the data
// in dataDir) twice at once, each run on a pool of one thread (what a
// search with n parallel trials does), and returns the sum of their
// training speeds.
func nettrainTrials(n int, path string, overrides []string, dataDir, out string) (float64, error) {
	cfgs := make([]*config.Config, n) // one each: runs must not share a config
	for i := range cfgs {
		cfg, err := config.Load(path, overrides)
		if err != nil {
			return 0, &usageError{err.Error()}
		}
		cfg.Data.Dir = dataDir
		cfgs[i] = cfg
	}
	rates := make([]float64, n)
	errs := make(chan error, n)
	for i, cfg := range cfgs {
		go func() {
			pool, err := engine.NewPool(1)
			if err != nil {
				errs <- err
				return
			}
			defer pool.Close()
			rates[i], _, err = nettrainRun(cfg, path, fmt.Sprintf("%s-trial%d", out, i), pool, false)
			errs <- err
		}()
	}
	var firstErr error
	for range rates { // every trial ends before the next measurement starts
		firstErr = cmp.Or(firstErr, <-errs)
	}
	sum := 0.0
	for _, r := range rates {
		sum += r
	}
	return sum, firstErr
}

// busyCores samples /proc/stat over d while this process sleeps and
// returns how many cores were busy meanwhile, all of it other processes'
// work (Linux; ok false elsewhere).
func busyCores(d time.Duration) (float64, bool) {
	busy0, idle0, ok := cpuTimes()
	if !ok {
		return 0, false
	}
	time.Sleep(d)
	busy1, idle1, ok := cpuTimes()
	if !ok || busy1+idle1 <= busy0+idle0 {
		return 0, false
	}
	return float64(busy1-busy0) / float64(busy1+idle1-busy0-idle0) * float64(runtime.NumCPU()), true
}

// cpuTimes is the busy and idle time of all cores, in clock ticks, from
// the "cpu" line of /proc/stat.
func cpuTimes() (busy, idle uint64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, 0, false
	}
	// user nice system idle iowait irq softirq steal ...
	for i, v := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		if i == 3 || i == 4 {
			idle += n
		} else {
			busy += n
		}
	}
	return busy, idle, true
}
