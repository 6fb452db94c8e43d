package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/nettrain/nettrain/pkg/data"
	"github.com/nettrain/nettrain/pkg/nn"
)

// PyTorch returns the source of a Python module that rebuilds s's network
// as a torch.nn.Module whose state_dict keys are those of Safetensors(s),
// with a loader that reads the safetensors file called weights (beside the
// module) with the standard library and torch alone, and the fitted
// preprocessing as a module of its own. An unsupported layer is an input
// error.
func PyTorch(s Source, weights string) ([]byte, error) {
	root, err := plan(s.Model)
	if err != nil {
		return nil, err
	}
	st := s.prep().State()
	var net bytes.Buffer
	for _, c := range root.children {
		fmt.Fprintf(&net, "            (%s, %s),\n", pyString(c.name), pyModule(c, "            "))
	}
	names := "None"
	if s.ClassNames != nil {
		b, _ := json.Marshal(s.ClassNames)
		names = string(b)
	}
	header, _ := json.Marshal(st.Header)
	r := strings.NewReplacer(
		"{{ARCH}}", s.Model.Arch,
		"{{WEIGHTS}}", pyString(weights),
		"{{INPUT}}", pyTuple(s.Model.InShape),
		"{{RAW}}", pyTuple(s.rawShape()),
		"{{CLASSES}}", strconv.Itoa(s.Model.Classes),
		"{{NAMES}}", names,
		"{{METHOD}}", st.Header.Method,
		"{{HEADER}}", pyString(string(header)),
		"{{NET}}", net.String(),
		"{{PREPROCESS}}", preprocessForward(st.Header),
	)
	return []byte(r.Replace(pyTemplate)), nil
}

// pyString returns s as a Python string literal (JSON's escapes are
// Python's for the characters JSON escapes).
func pyString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// pyTuple returns v as a Python tuple literal.
func pyTuple(v []int) string {
	parts := make([]string, len(v))
	for i, d := range v {
		parts[i] = strconv.Itoa(d)
	}
	if len(v) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// pyFloat formats a float32 setting as the shortest Python literal that
// rounds to it.
func pyFloat32(v float64) string { return strconv.FormatFloat(v, 'g', -1, 32) }

// pyFloat formats a float64 setting.
func pyFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// pyModule returns the Python expression that constructs n's module;
// indent is the indentation of the line it starts on.
func pyModule(n *node, indent string) string {
	switch l := n.layer.(type) {
	case *nn.Linear:
		return fmt.Sprintf("nn.Linear(%d, %d, bias=%s)", l.In, l.Out, pyBool(l.Bias != nil))
	case *nn.Conv2d:
		return fmt.Sprintf("nn.Conv2d(%d, %d, kernel_size=(%d, %d), stride=(%d, %d), padding=(%d, %d), bias=%s)",
			l.InC, l.OutC, l.KH, l.KW, l.StrideH, l.StrideW, l.PadH, l.PadW, pyBool(l.Bias != nil))
	case *nn.BatchNorm:
		dim := "2d"
		if len(n.in) == 1 {
			dim = "1d"
		}
		return fmt.Sprintf("nn.BatchNorm%s(%d, eps=%s, momentum=%s)", dim, l.Channels, pyFloat(l.Eps), pyFloat(l.Momentum))
	case *nn.Activation:
		return pyActivation(l)
	case *nn.MaxPool2d:
		return fmt.Sprintf("nn.MaxPool2d(kernel_size=%d, stride=%d, padding=%d, ceil_mode=False)", l.Kernel, l.Stride, l.Padding)
	case *nn.AvgPool2d:
		return fmt.Sprintf("nn.AvgPool2d(kernel_size=%d, stride=%d, padding=%d, ceil_mode=False, count_include_pad=True)", l.Kernel, l.Stride, l.Padding)
	case *nn.GlobalAvgPool:
		return "GlobalAvgPool()"
	case *nn.Flatten:
		return "nn.Flatten()"
	case *nn.Dropout:
		return fmt.Sprintf("nn.Dropout(p=%s)", pyFloat(l.P))
	case *nn.Sequential:
		var b strings.Builder
		b.WriteString("nn.Sequential(OrderedDict([\n")
		for _, c := range n.children {
			fmt.Fprintf(&b, "%s    (%s, %s),\n", indent, pyString(c.name), pyModule(c, indent+"    "))
		}
		b.WriteString(indent + "]))")
		return b.String()
	case *nn.BasicBlock:
		var b strings.Builder
		b.WriteString("BasicBlock(\n")
		for _, name := range []string{"conv1", "bn1", "act1", "conv2", "bn2", "shortcut", "act2"} {
			mod := "None"
			if c := n.child(name); c != nil {
				mod = pyModule(c, indent+"    ")
			}
			fmt.Fprintf(&b, "%s    %s=%s,\n", indent, name, mod)
		}
		b.WriteString(indent + ")")
		return b.String()
	}
	panic(fmt.Sprintf("export: no Python module for %T", n.layer)) // plan rejected it
}

func pyBool(v bool) string {
	if v {
		return "True"
	}
	return "False"
}

// pyActivation returns the torch.nn module of a nettrain activation.
func pyActivation(a *nn.Activation) string {
	o := a.Settings()
	switch a.Name() {
	case "relu":
		return "nn.ReLU()"
	case "leaky_relu":
		return fmt.Sprintf("nn.LeakyReLU(negative_slope=%s)", pyFloat32(o.Slope))
	case "prelu":
		return fmt.Sprintf("nn.PReLU(num_parameters=%d)", max(o.Channels, 1))
	case "elu":
		return fmt.Sprintf("nn.ELU(alpha=%s)", pyFloat32(o.Alpha))
	case "selu":
		return "nn.SELU()"
	case "gelu":
		return fmt.Sprintf("nn.GELU(approximate=%q)", o.Approximate)
	case "tanh":
		return "nn.Tanh()"
	case "sigmoid":
		return "nn.Sigmoid()"
	}
	panic("export: no Python module for activation " + a.Name()) // plan rejected it
}

// preprocessForward returns the body of Preprocess.forward for the
// fitted method h.Method: the same arithmetic as data.Preprocessor's
// ApplyExample, on a batch.
func preprocessForward(h data.PreprocessHeader) string {
	c, hh, w := h.InShape[0], h.InShape[1], h.InShape[2]
	switch h.Method {
	case data.MethodNone:
		return "        return x"
	case data.MethodGlobal:
		return "        return (x - self.mean) / self.std"
	case data.MethodChannel:
		v := fmt.Sprintf("view(1, %d, 1, 1)", c)
		return fmt.Sprintf("        return (x - self.mean.%s) / self.std.%s", v, v)
	case data.MethodFeature:
		v := fmt.Sprintf("view(1, %d, %d, %d)", c, hh, w)
		return fmt.Sprintf("        return (x - self.mean.%s) / self.std.%s", v, v)
	}
	// pca, pca_whiten, zca: y = P (x − mean) per example.
	oc, oh, ow := h.OutShape[0], h.OutShape[1], h.OutShape[2]
	return fmt.Sprintf("        y = (x.reshape(x.shape[0], -1) - self.mean) @ self.projection.t()\n        return y.reshape(x.shape[0], %d, %d, %d)", oc, oh, ow)
}

// pyTemplate is the generated module; {{...}} are filled in by PyTorch.
const pyTemplate = `# Generated by nettrain export --format pytorch. Do not edit: export again instead.
"""The nettrain {{ARCH}} network as a torch.nn.Module, with its weights in {{WEIGHTS}}.

    import importlib.util, torch
    spec = importlib.util.spec_from_file_location("net", "path/to/this_file.py")
    net = importlib.util.module_from_spec(spec); spec.loader.exec_module(net)
    model, preprocess, metadata = net.load()  # reads {{WEIGHTS}} beside this file
    with torch.no_grad():
        logits = model(preprocess(x))         # x: (N,) + RAW_INPUT_SHAPE float32, pixels in [0, 1]

Net takes preprocessed inputs, (N,) + INPUT_SHAPE; Preprocess applies the
preprocessing fitted in training ({{METHOD}}). Needs torch alone (no
safetensors package): read_safetensors parses the file with the standard
library and torch.frombuffer. The state_dict keys are nettrain's tensor
names; load() calls load_state_dict(strict=True).
"""
import json
import os
import struct
import sys
from collections import OrderedDict

import torch
from torch import nn

WEIGHTS = {{WEIGHTS}}
INPUT_SHAPE = {{INPUT}}  # per-example input of Net (C, H, W)
RAW_INPUT_SHAPE = {{RAW}}  # per-example input of Preprocess (C, H, W)
CLASSES = {{CLASSES}}
CLASS_NAMES = {{NAMES}}
PREPROCESS = json.loads({{HEADER}})


class GlobalAvgPool(nn.Module):
    """The mean over all positions of each channel: (N, C, H, W) -> (N, C)."""

    def forward(self, x):
        return x.mean(dim=(2, 3))


class BasicBlock(nn.Module):
    """A ResNet basic block: act2(bn2(conv2(act1(bn1(conv1(x))))) + shortcut(x)).

    shortcut is None for the identity, else a 1x1 convolution and batch norm.
    Stochastic depth, if it was trained with, is the identity at evaluation.
    """

    def __init__(self, conv1, bn1, act1, conv2, bn2, shortcut, act2):
        super().__init__()
        self.conv1, self.bn1, self.act1 = conv1, bn1, act1
        self.conv2, self.bn2 = conv2, bn2
        self.shortcut = shortcut
        self.act2 = act2

    def forward(self, x):
        h = self.act1(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        s = x if self.shortcut is None else self.shortcut(x)
        return self.act2(h + s)


class Net(nn.Sequential):
    """The network: (N,) + INPUT_SHAPE preprocessed inputs -> (N, CLASSES) logits."""

    def __init__(self):
        super().__init__(OrderedDict([
{{NET}}        ]))


class Preprocess(nn.Module):
    """The preprocessing fitted in training: raw (N,) + RAW_INPUT_SHAPE -> Net's input."""

    def __init__(self, tensors):
        super().__init__()
        for name, t in tensors.items():
            self.register_buffer(name, t.clone())

    def forward(self, x):
{{PREPROCESS}}


_DTYPES = {"F32": torch.float32, "I64": torch.int64}


def read_safetensors(path):
    """Returns (OrderedDict of name -> tensor, metadata dict) of a safetensors file."""
    if sys.byteorder != "little":
        raise RuntimeError("read_safetensors: needs a little-endian machine")
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    tensors = OrderedDict()
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, end = info["data_offsets"]
        buf = bytearray(data[base + begin:base + end])
        dtype = _DTYPES[info["dtype"]]
        t = torch.frombuffer(buf, dtype=dtype) if buf else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(info["shape"])
    return tensors, metadata


def load(path=None):
    """Returns (model, preprocess, metadata), both modules in eval mode.

    path is the safetensors file; default: WEIGHTS beside this module.
    """
    if path is None:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), WEIGHTS)
    tensors, metadata = read_safetensors(path)
    prefix = "preprocess."
    state = OrderedDict((k, v) for k, v in tensors.items() if not k.startswith(prefix))
    prep = OrderedDict((k[len(prefix):], v) for k, v in tensors.items() if k.startswith(prefix))
    model = Net()
    model.load_state_dict(state, strict=True)
    preprocess = Preprocess(prep)
    return model.eval(), preprocess.eval(), metadata
`
