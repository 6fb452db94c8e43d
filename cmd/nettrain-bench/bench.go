package main

import (
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
)

// benchModels are the models of configs/bench, in table order.
var benchModels = []string{"mlp", "cnn", "resnet8"}

// options are the command-line flags.
type options struct {
	images    int
	threads   int
	rounds    int // training rounds, nettrain and PyTorch alternating; the best of each is reported
	models    []string
	skipTorch bool
	skipGemm  bool
	data      string // "" = the configs' data.dir
	python    string
	benchDir  string // "" = configs/bench in the working folder or above
	gemm      gemmTiming
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
		fmt.Fprintln(stderr, "usage: nettrain-bench [--images N] [--threads T] [--rounds R] [--models mlp,cnn,resnet8] [--skip-torch] [--skip-gemm]")
		fmt.Fprintln(stderr, "Trains the configs/bench models in nettrain and PyTorch and times tensor.Gemm against numpy's BLAS.")
		fs.PrintDefaults()
	}
	models := strings.Join(benchModels, ",")
	fs.IntVar(&o.images, "images", 60000, "training images per model, at most the 60000 of Fashion-MNIST (60000 = one epoch)")
	fs.IntVar(&o.threads, "threads", 2, "threads for nettrain, PyTorch (torch.set_num_threads) and the BLAS")
	fs.IntVar(&o.rounds, "rounds", 1, "training rounds: nettrain and PyTorch take turns, and each one's fastest round is reported (shared machines drift by ±20% within minutes)")
	fs.StringVar(&models, "models", models, "comma-separated models to train: mlp, cnn, resnet8")
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
	overrides := []string{"data.train_limit=" + strconv.Itoa(o.images), "data.val_split=0", "train.epochs=1"}
	if o.data != "" {
		abs, err := filepath.Abs(o.data)
		if err != nil {
			return nil, usageErrorf("--data: %v", err)
		}
		overrides = append(overrides, "data.dir="+abs)
	}
	cfgs := map[string]*config.Config{}
	for _, m := range o.models {
		cfg, err := config.Load(filepath.Join(dir, m+".yaml"), overrides)
		if err != nil {
			return nil, &usageError{err.Error()}
		}
		cfgs[m] = cfg
	}
	dataDir := o.data
	if len(o.models) > 0 {
		dataDir = cfgs[o.models[0]].Data.Dir
	} else if dataDir == "" {
		dataDir = "/usr/share/datasets/fashion-mnist"
	}
	if len(o.models) > 0 {
		if err := checkData(dataDir); err != nil {
			return nil, err
		}
	}
	r := &report{images: o.images, threads: o.threads, rounds: o.rounds, goVersion: runtime.Version()}
	if o.images > 60000 {
		r.notes = append(r.notes, fmt.Sprintf("--images %d: Fashion-MNIST has 60000 training images; every model trains on all of them", o.images))
		r.images = 60000
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
	if len(o.models) > 0 {
		// The same training files, a smaller test set: see benchDataDir.
		dir, err := benchDataDir(dataDir, tmp)
		if err != nil {
			return nil, &usageError{err.Error()}
		}
		for _, cfg := range cfgs {
			cfg.Data.Dir = dir
		}
	}
	for _, m := range o.models {
		net, err := engine.BuildModel(cfgs[m], filepath.Join(dir, m+".yaml"), []int{1, 28, 28}, 10)
		if err != nil {
			return nil, err
		}
		r.models = append(r.models, modelRow{name: m, flops: net.TrainingFLOPs(), torch: map[string]float64{}})
	}
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
		for i, m := range o.models {
			fmt.Fprintf(log, "nettrain-bench: nettrain %s%s: training %d images on %d threads...\n", m, tag, r.images, o.threads)
			res, err := run.Train(cfgs[m], run.Options{ConfigPath: filepath.Join(dir, m+".yaml"),
				OutDir: filepath.Join(tmp, fmt.Sprintf("%s-%d", m, round)), Pool: pool})
			if err != nil {
				return nil, fmt.Errorf("nettrain %s: %w", m, err)
			}
			if len(res.Epochs) == 0 {
				return nil, fmt.Errorf("nettrain %s: no epoch trained", m)
			}
			r.models[i].nettrain = max(r.models[i].nettrain, res.Epochs[0].ImagesPerSecond)
		}
		if py == nil || len(o.models) == 0 {
			continue
		}
		for _, policy := range ompWaitPolicies {
			fmt.Fprintf(log, "nettrain-bench: PyTorch %s (OpenMP wait policy %s)%s: training %d images on %d threads...\n",
				strings.Join(o.models, ", "), policy, tag, r.images, o.threads)
			tr, err := py.train(o.models, o.images, dataDir, policy, torchEnv)
			if err != nil {
				return nil, fmt.Errorf("PyTorch: %w", err)
			}
			for i := range r.models {
				r.models[i].torch[policy] = max(r.models[i].torch[policy], tr[r.models[i].name].ImagesPerSecond)
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
