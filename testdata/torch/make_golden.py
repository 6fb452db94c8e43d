#!/usr/bin/python3
"""Generate golden values for nettrain's layers with PyTorch.

Run once from the repository root with Debian's PyTorch (python3-torch):

    /usr/bin/python3 testdata/torch/make_golden.py

It writes testdata/torch/golden.json, read by pkg/nn/torch_golden_test.go.
Everything is computed in float32 on the CPU, deterministically (fixed seed,
deterministic algorithms). For each case it stores the input x, the layer's
parameters, an upstream gradient g, the output y = layer(x), dx = d(sum(y*g))/dx
and every parameter gradient (named "<param>.grad"); cases with batch norm
(batchnorm, basic_block) also store the running statistics before and after
the step ("<buffer>" and "<buffer>.after"). Cross-entropy cases store the
logits x, the integer labels or the soft targets ("targets"), the loss, the
correct count and dx = d(loss)/d(logits); label_smoothing is a setting.
"""

import json
import os
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "golden.json")
SCRIPT = "testdata/torch/make_golden.py"

torch.manual_seed(20240601)
torch.set_default_dtype(torch.float32)
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)


def arr(t):
    """A tensor as {"shape": [...], "data": [...]} with float32 values
    printed to 9 significant digits (exact round trip)."""
    t = t.detach().to(torch.float32).contiguous()
    return {
        "shape": list(t.shape),
        "data": [float("%.9g" % v) for v in t.reshape(-1).tolist()],
    }


def randn(*shape, scale=1.0):
    return torch.randn(*shape) * scale


cases = []


def run(name, layer_type, settings, module, x, train=True, extra_before=None):
    """Runs module on x in the given mode with a random upstream gradient and
    records everything."""
    module.train(train)
    params = dict(module.named_parameters())
    arrays = {"x": arr(x)}
    for pname, p in params.items():
        arrays[pname] = arr(p)
    if extra_before:
        arrays.update(extra_before)
    x = x.clone().requires_grad_(True)
    y = module(x)
    g = randn(*y.shape)
    (y * g).sum().backward()
    arrays["g"] = arr(g)
    arrays["y"] = arr(y)
    arrays["dx"] = arr(x.grad)
    for pname, p in params.items():
        arrays[pname + ".grad"] = arr(p.grad)
    cases.append({"name": name, "type": layer_type, "settings": settings,
                  "train": train, "arrays": arrays})
    return module


# ---- linear ----
for bias in (True, False):
    m = nn.Linear(5, 4, bias=bias)
    run("linear" if bias else "linear_no_bias", "linear",
        {"in": 5, "out": 4, "bias": bias}, m, randn(3, 5))

# ---- activations ----
act_cases = [
    ("relu", "relu", {}, nn.ReLU()),
    ("leaky_relu_0.2", "leaky_relu", {"slope": 0.2}, nn.LeakyReLU(0.2)),
    ("elu_alpha1", "elu", {"alpha": 1.0}, nn.ELU(alpha=1.0)),
    ("elu_alpha0.5", "elu", {"alpha": 0.5}, nn.ELU(alpha=0.5)),
    ("selu", "selu", {}, nn.SELU()),
    ("gelu_none", "gelu", {"approximate": "none"}, nn.GELU(approximate="none")),
    ("gelu_tanh", "gelu", {"approximate": "tanh"}, nn.GELU(approximate="tanh")),
    ("tanh", "tanh", {}, nn.Tanh()),
    ("sigmoid", "sigmoid", {}, nn.Sigmoid()),
]
for name, act, opts, m in act_cases:
    s = {"activation": act}
    s.update(opts)
    run(name, "activation", s, m, randn(2, 3, 4, scale=2.0))

m = nn.PReLU(num_parameters=1)
with torch.no_grad():
    m.weight.copy_(torch.tensor([0.3]))
run("prelu_shared", "activation", {"activation": "prelu", "channels": 0}, m, randn(3, 7, scale=2.0))
m = nn.PReLU(num_parameters=3)
with torch.no_grad():
    m.weight.copy_(torch.tensor([0.1, -0.2, 0.5]))
run("prelu_per_channel", "activation", {"activation": "prelu", "channels": 3}, m, randn(2, 3, 4, 4, scale=2.0))

# ---- conv2d ----
conv_cases = [
    # name, in, out, (kh, kw), (sh, sw), (ph, pw), bias, input HxW
    ("conv3x3_s1_p1", 2, 3, (3, 3), (1, 1), (1, 1), True, (5, 5)),
    ("conv3x3_s2_p0", 2, 3, (3, 3), (2, 2), (0, 0), True, (6, 6)),
    ("conv1x1", 3, 2, (1, 1), (1, 1), (0, 0), True, (5, 5)),
    ("conv5x5_p2_no_bias", 2, 2, (5, 5), (1, 1), (2, 2), False, (5, 5)),
    ("conv3x2_s2x1_p1x0", 2, 3, (3, 2), (2, 1), (1, 0), True, (6, 5)),
]
for name, cin, cout, k, s, p, bias, hw in conv_cases:
    m = nn.Conv2d(cin, cout, k, stride=s, padding=p, bias=bias)
    run(name, "conv2d", {"in": cin, "out": cout, "kernel": list(k), "stride": list(s),
                         "padding": list(p), "bias": bias},
        m, randn(2, cin, *hw))

# ---- pooling ----
run("maxpool2x2", "maxpool2d", {"kernel": 2, "stride": 2, "padding": 0},
    nn.MaxPool2d(2), randn(2, 3, 6, 6))
run("maxpool3x3_s2_p1", "maxpool2d", {"kernel": 3, "stride": 2, "padding": 1},
    nn.MaxPool2d(3, stride=2, padding=1), randn(2, 2, 5, 5))
run("avgpool2x2", "avgpool2d", {"kernel": 2, "stride": 2, "padding": 0},
    nn.AvgPool2d(2), randn(2, 3, 6, 6))
run("avgpool3x3_s2_p1", "avgpool2d", {"kernel": 3, "stride": 2, "padding": 1,
                                      "count_include_pad": True},
    nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=True), randn(2, 2, 5, 5))
# nettrain's GlobalAvgPool returns (N, C): AdaptiveAvgPool2d(1) then flatten.
run("global_avgpool", "global_avgpool", {"output_size": 1, "flatten": True},
    nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1)), randn(2, 3, 5, 4))

# ---- batch norm ----
def bn_case(name, cls, c, shape, train):
    m = cls(c, eps=1e-5, momentum=0.1)
    with torch.no_grad():
        m.weight.copy_(1 + 0.5 * torch.randn(c))
        m.bias.copy_(0.5 * torch.randn(c))
        m.running_mean.copy_(0.3 * torch.randn(c))
        m.running_var.copy_(0.5 + torch.rand(c))
    before = {"running_mean": arr(m.running_mean), "running_var": arr(m.running_var)}
    x = randn(*shape, scale=1.5) + 0.7
    run(name, "batchnorm", {"channels": c, "momentum": 0.1, "eps": 1e-5, "dims": len(shape)},
        m, x, train=train, extra_before=before)
    cases[-1]["arrays"]["running_mean.after"] = arr(m.running_mean)
    cases[-1]["arrays"]["running_var.after"] = arr(m.running_var)


bn_case("batchnorm1d_train", nn.BatchNorm1d, 3, (4, 3), True)
bn_case("batchnorm2d_train", nn.BatchNorm2d, 3, (2, 3, 4, 4), True)
bn_case("batchnorm1d_eval", nn.BatchNorm1d, 3, (4, 3), False)
bn_case("batchnorm2d_eval", nn.BatchNorm2d, 3, (2, 3, 4, 4), False)

# ---- cross-entropy (mean reduction) ----
logits = randn(4, 5, scale=2.0).requires_grad_(True)
labels = torch.tensor([1, 0, 4, 2])
loss = F.cross_entropy(logits, labels, reduction="mean")
loss.backward()
cases.append({
    "name": "cross_entropy_mean", "type": "cross_entropy", "settings": {"reduction": "mean"},
    "train": True,
    "labels": labels.tolist(),
    "loss": float("%.9g" % loss.item()),
    "correct": int((logits.argmax(1) == labels).sum().item()),
    "arrays": {"x": arr(logits), "dx": arr(logits.grad)},
})

# ---- residual basic block ----
class BasicBlock(nn.Module):
    """ResNet's basic block (He et al. 2016), written out as nettrain's
    nn.BasicBlock is (torchvision-free): children conv1, bn1, act1, conv2,
    bn2, shortcut (1x1 conv + batch norm, only when the shape changes) and
    act2, so parameter and buffer names match nettrain's."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.act1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(OrderedDict([
                ("conv", nn.Conv2d(cin, cout, 1, stride=stride, bias=False)),
                ("bn", nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)),
            ]))
        self.act2 = nn.ReLU()

    def forward(self, x):
        h = self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x)))))
        s = x if self.shortcut is None else self.shortcut(x)
        return self.act2(h + s)


def block_case(name, cin, cout, stride, shape):
    m = BasicBlock(cin, cout, stride)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):
                c = mod.num_features
                mod.weight.copy_(1 + 0.5 * torch.randn(c))
                mod.bias.copy_(0.5 * torch.randn(c))
                mod.running_mean.copy_(0.3 * torch.randn(c))
                mod.running_var.copy_(0.5 + torch.rand(c))
    buffers = [(n, b) for n, b in m.named_buffers() if not n.endswith("num_batches_tracked")]
    before = {n: arr(b) for n, b in buffers}
    run(name, "basic_block", {"in": cin, "out": cout, "stride": stride, "activation": "relu"},
        m, randn(*shape), train=True, extra_before=before)
    for n, b in buffers:
        cases[-1]["arrays"][n + ".after"] = arr(b)


block_case("basic_block_identity", 4, 4, 1, (3, 4, 5, 5))
block_case("basic_block_projection", 4, 8, 2, (3, 4, 6, 5))

# ---- cross-entropy with label smoothing and soft targets (mean reduction) ----
# Appended after every other case so that the earlier cases' random draws,
# and with them their values, do not change.
def ce_case(name, logits, target, smoothing):
    """Integer labels (a 1-D long tensor) or soft targets (an (N, C)
    probability tensor, stored as the array "targets"), with PyTorch's
    label_smoothing."""
    logits = logits.clone().requires_grad_(True)
    loss = F.cross_entropy(logits, target, reduction="mean", label_smoothing=smoothing)
    loss.backward()
    case = {
        "name": name, "type": "cross_entropy",
        "settings": {"reduction": "mean", "label_smoothing": smoothing},
        "train": True,
        "loss": float("%.9g" % loss.item()),
        "arrays": {"x": arr(logits), "dx": arr(logits.grad)},
    }
    if target.dtype == torch.long:
        case["labels"] = target.tolist()
        case["correct"] = int((logits.argmax(1) == target).sum().item())
    else:
        case["arrays"]["targets"] = arr(target)
        case["correct"] = int((logits.argmax(1) == target.argmax(1)).sum().item())
    cases.append(case)


ce_case("cross_entropy_label_smoothing", randn(4, 5, scale=2.0), torch.tensor([3, 1, 0, 4]), 0.1)
ce_case("cross_entropy_label_smoothing_0.3", randn(3, 7, scale=3.0), torch.tensor([6, 0, 2]), 0.3)
ce_case("cross_entropy_soft_targets", randn(4, 5, scale=2.0), F.softmax(randn(4, 5, scale=2.0), dim=1), 0.0)
ce_case("cross_entropy_soft_targets_smoothing", randn(4, 5, scale=2.0), F.softmax(randn(4, 5, scale=2.0), dim=1), 0.2)

doc = {
    "generated_by": "%s with torch %s" % (SCRIPT, torch.__version__),
    "note": "float32; dx = d(sum(y*g))/dx; '<param>.grad' likewise; "
            "batch norm: running_* before the step, running_*.after after it",
    "cases": cases,
}
with open(OUT, "w") as f:
    json.dump(doc, f, separators=(",", ":"))
    f.write("\n")
print("wrote %s: %d cases, %d bytes" % (OUT, len(cases), os.path.getsize(OUT)))
