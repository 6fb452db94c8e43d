#!/usr/bin/python3
"""Generate golden values for nettrain's optimizers with PyTorch.

Run once from the repository root with Debian's PyTorch (python3-torch,
torch 1.13):

    /usr/bin/python3 testdata/torch/make_optim_golden.py

It writes testdata/torch/optim_golden.json, read by
pkg/optim/torch_golden_test.go (TestTorchOptimGolden), which needs only Go.
The script is deterministic (fixed seed, one thread, float32 throughout):
running it again gives a byte-identical file.

Contents: one JSON object with
- "params": the initial parameters, each {"name", "decay", "shape", "data"}
  ("decay" is nettrain's nn.Param.Decay: true for weights, false for the
  bias);
- "grads": STEPS gradient sets, each {param name: [values]}, drawn once from
  a seeded generator and used by every case (Go copies them into the
  gradients before each Step);
- "cases": each {"name", "config", "lrs", "steps", "state"}: "config" is
  nettrain's optim.Config with its Go field names (json.Unmarshal fills it
  directly), "lrs" the base learning rate of every step, "steps" the
  parameters after every step ({param name: [values]}), and "state" the
  optimizer's final state as "<param>.<key>" -> {"shape", "data"} (PyTorch's
  state dict keys, "step" as a scalar; SGD has no "step" in PyTorch).

PyTorch's weight_decay applies to every parameter of a group, nettrain's
default only to parameters with Decay, so the script puts the parameters
without decay in a group of their own with weight_decay 0. Group cases
mirror nettrain's optim.Group with one PyTorch parameter group per nettrain
group, lr = base lr * LRScale set before every step.
"""

import fnmatch
import json
import math
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "optim_golden.json")
SCRIPT = "testdata/torch/make_optim_golden.py"
STEPS = 10

torch.manual_seed(20240611)
torch.set_default_dtype(torch.float32)
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)


def vals(t):
    """A tensor's values, row-major, float32 printed to 9 significant
    digits (exact round trip)."""
    return [float("%.9g" % v) for v in t.detach().to(torch.float32).reshape(-1).tolist()]


def arr(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": vals(t)}


# name, shape, decay
PARAMS = [
    ("fc.weight", (3, 4), True),
    ("fc.bias", (3,), False),
    ("conv.weight", (2, 1, 2, 2), True),
]
init = {name: torch.randn(*shape) for name, shape, _ in PARAMS}
# Gradients of varied scale (some elements tiny, some large) so that the
# adaptive methods' normalization is exercised.
grads = []
for _ in range(STEPS):
    step = {}
    for name, shape, _ in PARAMS:
        g = torch.randn(*shape) * torch.exp(torch.randn(*shape))
        step[name] = g
    grads.append(step)

CONST = lambda base: [base] * STEPS  # noqa: E731


def cosine(base):
    """A per-step schedule: warmup over 2 steps, then cosine decay."""
    out = []
    for t in range(STEPS):
        if t < 2:
            out.append(base * (t + 1) / 2)
        else:
            out.append(base * 0.5 * (1 + math.cos(math.pi * (t - 2) / (STEPS - 2))))
    return out


def make_torch(cfg, groups_params):
    """Builds the torch optimizer for nettrain config cfg over the given
    param groups [(params, wd)] (lr set per step)."""
    t = cfg["Type"]
    groups = [{"params": ps, "weight_decay": wd} for ps, wd in groups_params]
    if t == "sgd":
        return torch.optim.SGD(groups, lr=0.1, momentum=cfg.get("Momentum", 0),
                               dampening=cfg.get("Dampening", 0), nesterov=cfg.get("Nesterov", False))
    if t in ("adam", "adamw"):
        cls = torch.optim.Adam if t == "adam" else torch.optim.AdamW
        return cls(groups, lr=0.1, betas=(cfg.get("Beta1") or 0.9, cfg.get("Beta2") or 0.999),
                   eps=cfg.get("Eps") or 1e-8, amsgrad=cfg.get("AMSGrad", False))
    if t == "rmsprop":
        return torch.optim.RMSprop(groups, lr=0.1, alpha=cfg.get("Alpha") or 0.99, eps=cfg.get("Eps") or 1e-8,
                                   momentum=cfg.get("Momentum", 0), centered=cfg.get("Centered", False))
    if t == "adagrad":
        return torch.optim.Adagrad(groups, lr=0.1, lr_decay=cfg.get("LRDecay", 0),
                                   initial_accumulator_value=cfg.get("InitialAccumulator", 0),
                                   eps=cfg.get("Eps") or 1e-10)
    raise ValueError(t)


def assign(cfg, params):
    """nettrain's group resolution: the first matching group wins; the
    default group has weight decay cfg.WeightDecay for parameters with
    Decay and 0 for the others. Returns torch groups [(params, wd)] and
    their lr scales."""
    keyed = {}
    order = []
    for name, p, decay in params:
        key = None
        scale, wd = 1.0, (cfg.get("WeightDecay", 0) if decay else 0.0)
        for gi, g in enumerate(cfg.get("Groups", [])):
            if fnmatch.fnmatchcase(name, g["Pattern"]):
                scale = g.get("LRScale") or 1.0
                if g.get("WeightDecay") is not None:
                    wd = g["WeightDecay"]
                key = ("group", gi, scale, wd)
                break
        if key is None:
            key = ("default", scale, wd)
        if key not in keyed:
            keyed[key] = ([], wd, scale)
            order.append(key)
        keyed[key][0].append(p)
    return [(keyed[k][0], keyed[k][1]) for k in order], [keyed[k][2] for k in order]


def run(name, cfg, lrs):
    params = [(n, torch.nn.Parameter(init[n].clone()), decay) for n, _, decay in PARAMS]
    groups, scales = assign(cfg, params)
    opt = make_torch(cfg, groups)
    steps = []
    for t in range(STEPS):
        for n, p, _ in params:
            p.grad = grads[t][n].clone()
        for g, s in zip(opt.param_groups, scales):
            g["lr"] = lrs[t] * s
        opt.step()
        steps.append({n: vals(p) for n, p, _ in params})
    state = {}
    for n, p, _ in params:
        for k, v in opt.state[p].items():
            if v is None:  # SGD without momentum: momentum_buffer None
                continue
            state[n + "." + k] = arr(v if torch.is_tensor(v) else torch.tensor(float(v)))
    cases.append({"name": name, "config": cfg, "lrs": lrs, "steps": steps, "state": state})


cases = []
# SGD
run("sgd_plain", {"Type": "sgd"}, CONST(0.1))
run("sgd_momentum", {"Type": "sgd", "Momentum": 0.9}, cosine(0.1))
run("sgd_nesterov", {"Type": "sgd", "Momentum": 0.9, "Nesterov": True}, CONST(0.05))
run("sgd_dampening", {"Type": "sgd", "Momentum": 0.8, "Dampening": 0.3}, CONST(0.1))
run("sgd_weight_decay", {"Type": "sgd", "Momentum": 0.9, "WeightDecay": 0.05}, CONST(0.1))
# Adam, AdamW
run("adam_default", {"Type": "adam"}, CONST(0.01))
run("adam_cosine_lr", {"Type": "adam"}, cosine(0.02))
run("adam_amsgrad", {"Type": "adam", "AMSGrad": True, "Beta1": 0.8, "Beta2": 0.99}, CONST(0.01))
run("adam_weight_decay", {"Type": "adam", "WeightDecay": 0.1}, CONST(0.01))
run("adamw_wd0.01", {"Type": "adamw", "WeightDecay": 0.01}, CONST(0.01))
run("adamw_amsgrad_cosine_lr", {"Type": "adamw", "WeightDecay": 0.1, "AMSGrad": True, "Eps": 1e-6}, cosine(0.05))
# RMSprop
run("rmsprop_plain", {"Type": "rmsprop"}, CONST(0.01))
run("rmsprop_momentum", {"Type": "rmsprop", "Momentum": 0.9, "Alpha": 0.9}, CONST(0.005))
run("rmsprop_centered", {"Type": "rmsprop", "Centered": True}, cosine(0.01))
run("rmsprop_centered_momentum_wd", {"Type": "rmsprop", "Centered": True, "Momentum": 0.5, "WeightDecay": 0.02},
    CONST(0.01))
# Adagrad
run("adagrad_default", {"Type": "adagrad"}, CONST(0.1))
run("adagrad_lr_decay", {"Type": "adagrad", "LRDecay": 0.1}, cosine(0.1))
run("adagrad_initial_accumulator", {"Type": "adagrad", "InitialAccumulator": 0.5, "WeightDecay": 0.01}, CONST(0.1))
# Parameter groups: per-group lr scale and weight decay (the bias decayed
# explicitly; conv.weight at a tenth of the lr with no decay).
run("sgd_groups", {"Type": "sgd", "Momentum": 0.9, "WeightDecay": 0.01,
                   "Groups": [{"Pattern": "conv.*", "LRScale": 0.1, "WeightDecay": 0.0},
                              {"Pattern": "*.bias", "LRScale": 2.0, "WeightDecay": 0.05}]}, cosine(0.1))
run("adamw_groups", {"Type": "adamw", "WeightDecay": 0.05,
                     "Groups": [{"Pattern": "*.bias", "WeightDecay": 0.2},
                                {"Pattern": "conv.weight", "LRScale": 0.5}]}, cosine(0.02))

doc = {
    "generated_by": "%s with torch %s" % (SCRIPT, torch.__version__),
    "note": "float32; every case starts from params and applies grads[t] with base lr lrs[t]; "
            "steps[t] holds the parameters after step t+1; state is the final optimizer state",
    "params": [{"name": n, "decay": d, "shape": list(s), "data": vals(init[n])} for n, s, d in PARAMS],
    "grads": [{n: vals(g[n]) for n, _, _ in PARAMS} for g in grads],
    "cases": cases,
}
with open(OUT, "w") as f:
    json.dump(doc, f, separators=(",", ":"))
    f.write("\n")
print("wrote %s: %d cases, %d bytes" % (OUT, len(cases), os.path.getsize(OUT)))
