package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--images", "0"}, "--images: must be >= 1"},
		{[]string{"--threads", "0"}, "--threads: must be >= 1"},
		{[]string{"--rounds", "0"}, "--rounds: must be >= 1"},
		{[]string{"--rgb-images", "0"}, "--rgb-images: must be >= 1"},
		{[]string{"--batches", "32,x"}, `--batches: "x" is not a batch size >= 1`},
		{[]string{"--batches", "0"}, `--batches: "0" is not a batch size >= 1`},
		{[]string{"--models", "mlp,vgg"}, `--models: unknown model "vgg"`},
		{[]string{"--nope"}, "flag provided but not defined"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--skip-torch", "--data", "/nonexistent-nettrain-bench"}, "data: /nonexistent-nettrain-bench/train-images-idx3-ubyte.gz not found"},
		{[]string{"--python", "/nonexistent/python3", "--data", "../../testdata/fashion-mnist-small"}, "python /nonexistent/python3 not found"},
	} {
		var stdout, stderr bytes.Buffer
		if code := execute(tc.args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", tc.args, code, stderr.String())
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: stderr %q, want it to contain %q", tc.args, stderr.String(), tc.want)
		}
	}
}

func TestParseFlagsDefaults(t *testing.T) {
	o, err := parseFlags(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.images != 60000 || o.rgbImages != 10000 || !slices.Equal(o.batches, []int{128}) || o.threads != 2 || o.rounds != 1 ||
		!slices.Equal(o.models, benchModels) || o.skipTorch || o.skipTrials {
		t.Errorf("defaults: %+v", o)
	}
	o, err = parseFlags([]string{"--models", "resnet8, mlp,mlp", "--batches", "32, 512,32"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.models, []string{"resnet8", "mlp"}) || !slices.Equal(o.batches, []int{32, 512}) {
		t.Errorf("models %v, batches %v", o.models, o.batches)
	}
}

func TestGemmEnv(t *testing.T) {
	env := []string{"PATH=/bin", "OPENBLAS_CORETYPE=Haswell", "OPENBLAS_L2_SIZE=524288", "HOME=/root"}
	got, unset := gemmEnv(env)
	if !unset || !slices.Equal(got, []string{"PATH=/bin", "HOME=/root"}) {
		t.Errorf("gemmEnv = %v, %v", got, unset)
	}
	// OPENBLAS_L2_SIZE alone is left as it is.
	env = []string{"PATH=/bin", "OPENBLAS_L2_SIZE=524288"}
	if got, unset := gemmEnv(env); unset || !slices.Equal(got, env) {
		t.Errorf("gemmEnv without CORETYPE = %v, %v", got, unset)
	}
	got = threadEnv([]string{"OMP_NUM_THREADS=8", "A=b"}, 3)
	if !slices.Contains(got, "OMP_NUM_THREADS=3") || slices.Contains(got, "OMP_NUM_THREADS=8") || !slices.Contains(got, "OPENBLAS_NUM_THREADS=3") {
		t.Errorf("threadEnv = %v", got)
	}
}

func TestGemmShapes(t *testing.T) {
	spec := shapeSpec(gemmShapes)
	for _, want := range []string{"512x512x512:AB", "512x512x512:AtB", "512x512x512:ABt", "512x784x128:AtB", "128x512x256:AB",
		"128x512x784:ABt", "25088x64x288:AB", "32x784x288:AB", "288x32x784:ABt", "288x32x784:AtB"} {
		if !strings.Contains(spec, want) {
			t.Errorf("shape spec %s lacks %s", spec, want)
		}
	}
	// Every variant gives the expected number: a tiny timing of a small shape.
	for _, s := range []gemmShape{{M: 3, N: 4, K: 5}, {M: 3, N: 4, K: 5, TransA: true}, {M: 3, N: 4, K: 5, TransB: true}} {
		if g := timeGemm(nil, s, gemmTiming{Repeats: 1, MinTime: time.Millisecond}); !(g > 0) {
			t.Errorf("%s: %v GFLOP/s", s.key(), g)
		}
	}
}

func TestReport(t *testing.T) {
	torch, numpy := "1.13.0", "1.24.2"
	r := &report{images: 2560, threads: 2, goVersion: "go1.26",
		py: &pyInfo{Torch: &torch, Numpy: &numpy, BLAS: blasInfo{Library: "/usr/lib/libopenblas.so", Kind: "openblas"}},
		models: []modelRow{{name: "mlp", batch: 128, flops: 2e6, inferFlops: 1e6, nettrain: 5000, torch: map[string]float64{"passive": 10000, "default": 2000},
			infer: 30000, torchInfer: map[string]float64{"passive": 12000, "default": 9000}, trials: 6000, torchTrials: 8000},
			{name: "cnn", batch: 32, nettrain: 100}},
		peak:     8,
		gemms:    []gemmRow{{shape: gemmShapes[0], nettrain: 10, blas: 40}, {shape: gemmShapes[1], nettrain: 9, blas: 30}},
		gemmBLAS: "openblas", gemmArch: "Zen"}
	var out bytes.Buffer
	r.print(&out)
	s := out.String()
	for _, want := range []string{"2560 training images", "kernel Zen", "nettrain/best PyTorch", "0.50", "nettrain/PyTorch default", "2.50", "10000", "2000", "OpenMP default", "OpenBLAS GFLOP/s", "% of OpenBLAS", "25%", "512×512×512", "A·B",
		// MFU against the faster 512³ A·B (10 GFLOP/s): 2 MFLOP × 5000/s = 10 GFLOP/s, PyTorch's 20.
		"train MFLOP/img", "2.00", "100%", "200%", "512³ GEMM rate in this run, 10.0 GFLOP/s", "% of 512³", "90%",
		// Inference: 30000/12000 = 2.50, MFU 1 MFLOP × 30000/s ÷ 10 GFLOP/s = 300%; trials 6000/5000 = 1.20, 8000/10000 = 0.80, 6000/8000 = 0.75.
		"forward MFLOP/img", "PyTorch no_grad img/s", "300%", "2 trials × 1 thread", "1.20", "0.80", "0.75"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "warning") {
		t.Errorf("report warns with OpenBLAS:\n%s", s)
	}
	r.py.BLAS.Kind, r.gemmBLAS = "blis", "blis"
	out.Reset()
	r.print(&out)
	if s := out.String(); !strings.Contains(s, "warning: numpy and PyTorch's linear layers run on the blis BLAS") || !strings.Contains(s, "BLIS GFLOP/s") {
		t.Errorf("report with BLIS:\n%s", s)
	}
}

// TestCheckBLAS: the reference BLAS is refused with one line saying what
// to install; the others pass.
func TestCheckBLAS(t *testing.T) {
	err := checkBLAS(blasInfo{Library: "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3", Kind: "reference"})
	var ue *usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "libopenblas0-pthread") || !strings.Contains(err.Error(), "libblas.so.3") {
		t.Errorf("reference BLAS: %v", err)
	}
	for _, k := range []string{"openblas", "mkl", "blis", "unknown"} {
		if err := checkBLAS(blasInfo{Kind: k}); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
}

// TestRunNettrainOnly runs the whole command without Python or GEMM timings
// on the in-repo subset: a few batches of the MLP.
func TestRunNettrainOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	data, err := filepath.Abs("../../testdata/fashion-mnist-small")
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := execute([]string{"--skip-torch", "--skip-gemm", "--models", "mlp", "--images", "256", "--threads", "1", "--rounds", "2", "--data", data}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	s := stdout.String()
	if !strings.Contains(s, "256 training images per Fashion-MNIST model") || !strings.Contains(s, "mlp") || !strings.Contains(s, "Best of 2 rounds") {
		t.Errorf("output:\n%s", s)
	}
	for _, l := range strings.Split(s, "\n") {
		if f := strings.Fields(l); len(f) == 10 && f[0] == "mlp" {
			// model, batch, MFLOP, nettrain, 2× PyTorch, 2 ratios, 2 MFUs.
			if f[1] != "128" || f[2] != "2.41" || f[3] == "-" || f[4] != "-" || f[5] != "-" || f[6] != "-" || f[7] != "-" || !strings.HasSuffix(f[8], "%") || f[9] != "-" {
				t.Errorf("mlp row %q: want its training FLOPs, a nettrain speed and MFU, and no PyTorch one", l)
			}
			return
		}
	}
	t.Errorf("no mlp row in:\n%s", s)
}

// TestRunRGBTrials runs an RGB model on a small synthetic folder with the
// inference timing and the two-trial comparison: every nettrain column of
// the three tables is filled, the PyTorch ones are not.
func TestRunRGBTrials(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	var stdout, stderr bytes.Buffer
	code := execute([]string{"--skip-torch", "--skip-gemm", "--models", "vgg-rgb", "--rgb-images", "40", "--batches", "128", "--threads", "2"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	rows := 0
	for _, l := range strings.Split(stdout.String(), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || f[0] != "vgg-rgb" {
			continue
		}
		rows++
		switch len(f) {
		case 10: // training: model, batch, MFLOP (2·conv(3→32 @32) + 3·(the other five convs + the classifier)), nettrain, 2× PyTorch, 2 ratios, 2 MFUs
			if f[2] != "230.15" || f[3] == "-" || f[4] != "-" {
				t.Errorf("training row %q", l)
			}
		case 8: // search: model, nettrain 1×2, 2×1, gain, PyTorch 1×2, 2×1, gain, ratio; inference: model, batch, MFLOP, nettrain, PyTorch, ratio, 2 MFUs
			if f[1] == "128" { // inference
				if f[2] != "77.31" || f[3] == "-" || f[4] != "-" || !strings.HasSuffix(f[6], "%") {
					t.Errorf("inference row %q", l)
				}
			} else if f[1] == "-" || f[2] == "-" || f[3] == "-" || f[4] != "-" {
				t.Errorf("search row %q", l)
			}
		default:
			t.Errorf("row %q: %d fields", l, len(f))
		}
	}
	if rows != 3 || !strings.Contains(stdout.String(), "40 synthetic RGB 32x32 ones per RGB model") {
		t.Errorf("want 3 vgg-rgb rows (training, inference, search) in:\n%s", stdout.String())
	}
}
