// Package exporttest runs exported models in the tools they are for, for
// the interop tests of pkg/export and cmd/nettrain: the generated PyTorch
// modules in /usr/bin/python3 with torch, the ONNX models in ONNX Runtime
// (node with onnxruntime-node) and through onnx.checker. It drives the
// scripts testdata/export/interop.py and ort.js, once for a batch of
// cases. A missing tool skips the test, except under CI=true, where it
// fails. It is for tests only.
package exporttest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Python is Debian's interpreter, which has python3-torch and python3-onnx
// (the python3 on PATH may be another one).
const Python = "/usr/bin/python3"

// Tolerance is the largest absolute difference between nettrain's logits
// and another runtime's that the tests accept.
const Tolerance = 1e-4

// Case is one exported model and an input batch to run it on.
type Case struct {
	Name    string `json:"name"`
	Module  string `json:"module,omitempty"`  // the generated Python module
	Weights string `json:"weights,omitempty"` // its safetensors file
	ONNX    string `json:"onnx,omitempty"`    // the ONNX model
	Input   string `json:"input"`             // float32 little-endian values of Shape
	Shape   []int  `json:"shape"`             // (N, C, H, W)
	// Raw says the input is raw: Python applies the module's Preprocess
	// first (and the ONNX model holds the preprocessing).
	Raw bool `json:"raw"`
	// Want is nettrain's logits, (N, classes) row-major.
	Want []float32 `json:"-"`
}

// WriteInput writes x, shape (N, C, H, W), to dir/name.input.bin and sets
// c.Input and c.Shape.
func (c *Case) WriteInput(t testing.TB, dir string, x []float32, shape []int) {
	t.Helper()
	b := make([]byte, 0, 4*len(x))
	for _, v := range x {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	c.Input = filepath.Join(dir, c.Name+".input.bin")
	c.Shape = shape
	if err := os.WriteFile(c.Input, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// scriptDir is testdata/export at the repository's root.
func scriptDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "export")
}

// need skips the test with msg, or fails it under CI=true.
func need(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// NeedPython skips (or, under CI=true, fails) the test unless Python can
// import module (torch, onnx).
func NeedPython(t *testing.T, module string) {
	t.Helper()
	out, err := exec.Command(Python, "-c", "import "+module).CombinedOutput()
	if err != nil {
		need(t, fmt.Sprintf("needs %s with %s (apt-get install python3-%s): %v %s", Python, module, module, err, bytes.TrimSpace(out)))
	}
}

// ORTDir returns the folder holding node_modules/onnxruntime-node: env
// ORT_NODE_DIR (set by .ci/run), else the default locations, else skips
// (or, under CI=true, fails) the test. It also needs node on PATH.
func ORTDir(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		need(t, "needs node (apt-get install nodejs) with onnxruntime-node: "+err.Error())
	}
	home, _ := os.UserHomeDir()
	dirs := []string{os.Getenv("ORT_NODE_DIR"), filepath.Join(home, ".cache", "nettrain", "ortnode"), "/tmp/ortcheck"}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		for _, p := range []string{filepath.Join(d, "node_modules", "onnxruntime-node"), filepath.Join(d, "onnxruntime-node")} {
			if _, err := os.Stat(p); err == nil {
				return d
			}
		}
	}
	need(t, fmt.Sprintf("needs onnxruntime-node (npm install --ignore-scripts --prefix DIR onnxruntime-node@1.30.0, then ORT_NODE_DIR=DIR); looked in %q", dirs))
	return ""
}

// result is one case's answer from a script.
type result struct {
	Logits   []float64         `json:"logits"`
	OK       bool              `json:"ok"`
	Error    string            `json:"error"`
	Metadata map[string]string `json:"metadata"`
}

// runScript writes the manifest of cases, runs cmd with it as its last
// argument and returns the parsed results by case name.
func runScript(t *testing.T, cases []Case, env []string, name string, args ...string) map[string]result {
	t.Helper()
	manifest := filepath.Join(t.TempDir(), "manifest.json")
	b, err := json.Marshal(map[string]any{"cases": cases})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, append(args, manifest)...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	res := map[string]result{}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%s %v: output is not JSON: %v\n%.2000s\n%s", name, args, err, out, stderr.String())
	}
	return res
}

// compare runs a subtest per case checking the logits of res against
// c.Want within Tolerance, and returns the largest difference seen.
func compare(t *testing.T, what string, cases []Case, res map[string]result) float64 {
	t.Helper()
	worst := 0.0
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			r, ok := res[c.Name]
			switch {
			case !ok:
				t.Fatalf("no result")
			case r.Error != "":
				t.Fatalf("%s", r.Error)
			case len(r.Logits) != len(c.Want):
				t.Fatalf("%d logits, want %d", len(r.Logits), len(c.Want))
			}
			d := MaxAbsDiff(r.Logits, c.Want)
			worst = max(worst, d)
			if !(d <= Tolerance) {
				t.Errorf("max |%s − nettrain| = %.3g over %d logits, want ≤ %g", what, d, len(c.Want), Tolerance)
			}
			t.Logf("max abs diff %.3g", d)
		})
	}
	return worst
}

// MaxAbsDiff returns max |a[i] − b[i]| (NaN if any value is NaN).
func MaxAbsDiff(a []float64, b []float32) float64 {
	d := 0.0
	for i, v := range a {
		e := math.Abs(v - float64(b[i]))
		if e != e {
			return e
		}
		d = max(d, e)
	}
	return d
}

// Torch runs every case's generated module (load_state_dict(strict=True))
// in Python and compares its logits with nettrain's, one subtest per case;
// it returns the metadata the loader read, by case.
func Torch(t *testing.T, cases []Case) map[string]map[string]string {
	t.Helper()
	NeedPython(t, "torch")
	res := runScript(t, cases, nil, Python, filepath.Join(scriptDir(), "interop.py"), "torch")
	compare(t, "torch", cases, res)
	md := map[string]map[string]string{}
	for k, r := range res {
		md[k] = r.Metadata
	}
	return md
}

// ONNXRuntime runs every case's ONNX model in ONNX Runtime and compares
// its logits with nettrain's, one subtest per case.
func ONNXRuntime(t *testing.T, cases []Case) {
	t.Helper()
	dir := ORTDir(t)
	res := runScript(t, cases, []string{"ORT_NODE_DIR=" + dir}, "node", filepath.Join(scriptDir(), "ort.js"))
	compare(t, "onnxruntime", cases, res)
}

// ONNXChecker runs onnx.checker.check_model(full_check=True) on every
// case's ONNX model, one subtest per case.
func ONNXChecker(t *testing.T, cases []Case) {
	t.Helper()
	NeedPython(t, "onnx")
	res := runScript(t, cases, nil, Python, filepath.Join(scriptDir(), "interop.py"), "onnx")
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if r := res[c.Name]; !r.OK {
				t.Fatalf("check_model: %s", r.Error)
			}
		})
	}
}
