package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// pyInfo is torch_bench.py --mode info's answer.
type pyInfo struct {
	Python     string            `json:"python"`
	Numpy      *string           `json:"numpy"`
	NumpyError string            `json:"numpy_error"`
	Torch      *string           `json:"torch"`
	TorchError string            `json:"torch_error"`
	BLAS       blasInfo          `json:"blas"`
	Env        map[string]string `json:"env"`
}

// blasInfo is the BLAS library numpy (and PyTorch's linear layers) run on.
type blasInfo struct {
	Library      string `json:"library"`
	Kind         string `json:"kind"` // openblas, mkl, blis, atlas, reference or unknown
	Architecture string `json:"architecture"`
}

// torchResult is one line of torch_bench.py --mode train.
type torchResult struct {
	Model           string  `json:"model"`
	ImagesPerSecond float64 `json:"images_per_second"`
	Images          int     `json:"images"`
	Seconds         float64 `json:"seconds"`
	OMPWaitPolicy   string  `json:"omp_wait_policy"`
	// InferImagesPerSecond is the model.eval() + torch.no_grad() forward
	// pass over the same images at the same batch size.
	InferImagesPerSecond float64 `json:"infer_images_per_second"`
}

// numpyResult is one line of torch_bench.py --mode gemm.
type numpyResult struct {
	Shape            string  `json:"shape"`
	Variant          string  `json:"variant"`
	GFLOPS           float64 `json:"gflops"`
	BLAS             string  `json:"blas"`
	BLASArchitecture string  `json:"blas_architecture"`
}

// python runs torch_bench.py with one interpreter.
type python struct {
	exe, script string
	threads     int
}

// threadEnv is env with every BLAS and OpenMP thread count set to n.
func threadEnv(env []string, n int) []string {
	t := strconv.Itoa(n)
	env = withoutVars(env, "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")
	return append(env, "OMP_NUM_THREADS="+t, "OPENBLAS_NUM_THREADS="+t, "MKL_NUM_THREADS="+t, "BLIS_NUM_THREADS="+t)
}

// withoutVars returns env less the variables named.
func withoutVars(env []string, names ...string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			if name == n {
				drop = true
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// gemmEnv is the environment of the PyTorch and numpy commands: when
// OPENBLAS_CORETYPE is set (some machines force an older kernel that way,
// for old OpenBLAS builds that crash on their processor), it and
// OPENBLAS_L2_SIZE are removed, so numpy runs the kernel OpenBLAS picks for
// this processor. unset reports whether that happened.
func gemmEnv(env []string) (out []string, unset bool) {
	for _, kv := range env {
		if strings.HasPrefix(kv, "OPENBLAS_CORETYPE=") {
			return withoutVars(env, "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"), true
		}
	}
	return env, false
}

// run runs the script with args in env and returns its standard output.
func (p *python) run(env []string, args ...string) ([]byte, error) {
	cmd := exec.Command(p.exe, append([]string{p.script}, args...)...)
	cmd.Env = threadEnv(env, p.threads)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		what := fmt.Sprintf("%s %s %s", p.exe, p.script, strings.Join(args, " "))
		if msg := lastLine(stderr.String()); msg != "" {
			return nil, fmt.Errorf("%s: %v: %s", what, err, msg)
		}
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	return stdout.Bytes(), nil
}

// lastLine is the last non-empty line of s (a Python traceback's message).
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// info checks that the interpreter runs and imports PyTorch and numpy; a
// missing piece is a usage error (exit 2) saying what to install.
func (p *python) info() (*pyInfo, error) {
	if _, err := exec.LookPath(p.exe); err != nil {
		return nil, usageErrorf("python %s not found: apt-get install python3-torch python3-numpy (or pass --python PATH, or --skip-torch)", p.exe)
	}
	if _, err := os.Stat(p.script); err != nil {
		return nil, usageErrorf("%s: %v", p.script, unwrapPath(err))
	}
	out, err := p.run(os.Environ(), "--mode", "info")
	if err != nil {
		return nil, usageErrorf("python check failed: %v", err)
	}
	var info pyInfo
	if err := json.Unmarshal(bytes.TrimSpace(out), &info); err != nil {
		return nil, usageErrorf("%s --mode info: unexpected output %q", p.script, strings.TrimSpace(string(out)))
	}
	if info.Torch == nil {
		return nil, usageErrorf("PyTorch does not import in %s (%s): apt-get install python3-torch (or pass --skip-torch)", p.exe, info.TorchError)
	}
	if info.Numpy == nil {
		return nil, usageErrorf("numpy does not import in %s (%s): apt-get install python3-numpy (or pass --skip-torch)", p.exe, info.NumpyError)
	}
	if err := checkBLAS(info.BLAS); err != nil {
		return nil, err
	}
	return &info, nil
}

// checkBLAS refuses the unoptimized reference BLAS (Debian's libblas3, the
// default when no other BLAS is installed): PyTorch's linear layers and
// numpy run about 20 times slower on it, which is no baseline.
func checkBLAS(b blasInfo) error {
	if b.Kind == "reference" {
		return usageErrorf("PyTorch and numpy run on the reference BLAS (%s), about 20x slower than OpenBLAS and no baseline: apt-get install libopenblas0-pthread (or pass --skip-torch)", b.Library)
	}
	return nil
}

// ompWaitPolicies are the OpenMP wait policies PyTorch trains under
// (torch_bench.py --omp-wait): passive waiting, and the OpenMP default
// (spin for a while, then sleep). The faster of the two is the baseline.
var ompWaitPolicies = []string{"passive", "default"}

// torchRun is one torch_bench.py --mode train invocation.
type torchRun struct {
	models            []string
	images, rgbImages int // Fashion-MNIST images, synthetic RGB images
	batch             int
	dataDir           string
	ompWait           string // one of ompWaitPolicies
}

// args is the command line of r on threads threads.
func (r torchRun) args(threads int) []string {
	return []string{"--mode", "train", "--images", strconv.Itoa(r.images), "--rgb-images", strconv.Itoa(r.rgbImages),
		"--batch-size", strconv.Itoa(r.batch), "--threads", strconv.Itoa(threads), "--models", strings.Join(r.models, ","),
		"--data", r.dataDir, "--omp-wait", r.ompWait}
}

// train runs the PyTorch side of the model benchmark, training then
// inference, in env (see gemmEnv).
func (p *python) train(r torchRun, env []string) (map[string]torchResult, error) {
	out, err := p.run(withoutVars(env, "OMP_WAIT_POLICY"), r.args(p.threads)...)
	if err != nil {
		return nil, err
	}
	return parseTrain(out, r.models)
}

// trials runs r as n one-thread processes at once (n trials of a search)
// and returns the sum of their training speeds per model.
func (p *python) trials(n int, r torchRun, env []string) (map[string]float64, error) {
	one := *p
	one.threads = 1
	type result struct {
		res map[string]torchResult
		err error
	}
	done := make(chan result, n)
	for range n {
		go func() {
			out, err := one.run(withoutVars(env, "OMP_WAIT_POLICY"), append(r.args(1), "--no-infer")...)
			if err != nil {
				done <- result{err: err}
				return
			}
			res, err := parseTrain(out, r.models)
			done <- result{res, err}
		}()
	}
	sum := map[string]float64{}
	var firstErr error
	for range n {
		res := <-done
		if res.err != nil {
			firstErr = cmp.Or(firstErr, res.err)
			continue
		}
		for m, v := range res.res {
			sum[m] += v.ImagesPerSecond
		}
	}
	return sum, firstErr
}

// parseTrain reads the JSON lines of --mode train, one per model.
func parseTrain(out []byte, models []string) (map[string]torchResult, error) {
	res := map[string]torchResult{}
	err := jsonLines(out, func(line []byte) error {
		var r torchResult
		if err := json.Unmarshal(line, &r); err != nil || r.Model == "" {
			return fmt.Errorf("torch_bench.py: unexpected output line %q", line)
		}
		res[r.Model] = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, m := range models {
		if _, ok := res[m]; !ok {
			return nil, fmt.Errorf("torch_bench.py printed no result for model %s", m)
		}
	}
	return res, nil
}

// gemm times numpy's matrix multiply on shapes; the results are keyed by
// gemmShape.key.
func (p *python) gemm(shapes []gemmShape, env []string) (map[string]numpyResult, error) {
	out, err := p.run(env, "--mode", "gemm", "--threads", strconv.Itoa(p.threads), "--shapes", shapeSpec(shapes))
	if err != nil {
		return nil, err
	}
	res := map[string]numpyResult{}
	err = jsonLines(out, func(line []byte) error {
		var r numpyResult
		if err := json.Unmarshal(line, &r); err != nil || r.Shape == "" {
			return fmt.Errorf("torch_bench.py --mode gemm: unexpected output line %q", line)
		}
		res[r.Shape+":"+r.Variant] = r
		return nil
	})
	return res, err
}

// jsonLines calls fn for every line of out that holds a JSON object.
func jsonLines(out []byte, fn func([]byte) error) error {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		if err := fn(line); err != nil {
			return err
		}
	}
	return sc.Err()
}

// unwrapPath drops the operation from a *fs.PathError ("stat x: no such
// file" → "no such file or directory").
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
