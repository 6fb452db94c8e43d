#!/usr/bin/python3
"""Generate golden learning rates for nettrain's schedules with PyTorch.

Run once from the repository root with Debian's PyTorch (python3-torch):

    /usr/bin/python3 testdata/torch/make_sched_golden.py

It writes testdata/torch/sched_golden.json, read by
pkg/lrsched/torch_golden_test.go (which needs only Go).

Each case runs one torch.optim.lr_scheduler (1.13) on a dummy SGD optimizer
for EPOCHS epochs of STEPS_PER_EPOCH optimizer steps and records, for every
global step s, the learning rate that optimizer step s uses (the optimizer's
lr just before its step). How the scheduler is stepped is nettrain's
definition of the schedule:

- "epoch": scheduler.step() after the last batch of every epoch;
- "step":  scheduler.step() after every batch;
- "fractional" (CosineAnnealingWarmRestarts): scheduler.step(epoch + i/iters)
  *before* batch i, so step s uses torch's rate at fractional epoch
  s/steps_per_epoch (torch's docstring calls it after the optimizer step,
  which lags one batch behind).

"config" is the lrsched.Config (Go field names) that nettrain builds the same
schedule from. The ReduceLROnPlateau cases feed a scripted metric list (null
stands for NaN) and record after every step(metric): lr, best (null while
infinite), num_bad_epochs and cooldown_counter.

Everything is float64 Python arithmetic; the output is deterministic.
"""

import json
import math
import os
import warnings

import torch
from torch.optim import SGD
from torch.optim import lr_scheduler as S

warnings.simplefilter("ignore")

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "sched_golden.json")
SCRIPT = "testdata/torch/make_sched_golden.py"

EPOCHS = 5
STEPS_PER_EPOCH = 7
TOTAL = EPOCHS * STEPS_PER_EPOCH


def optimizer(lr):
    p = torch.nn.Parameter(torch.zeros(1))
    return SGD([p], lr=lr)


cases = []


def case(name, torch_desc, config, lr, factory, per):
    """Runs factory(opt) stepped per `per` and records the rate of every
    optimizer step."""
    opt = optimizer(lr)
    sched = factory(opt)
    lrs = []
    for e in range(EPOCHS):
        for i in range(STEPS_PER_EPOCH):
            if per == "fractional":
                sched.step(e + i / STEPS_PER_EPOCH)
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            if per == "step":
                sched.step()
        if per == "epoch":
            sched.step()
    cfg = {"BaseLR": lr, "StepsPerEpoch": STEPS_PER_EPOCH, "TotalSteps": TOTAL}
    cfg.update(config)
    cases.append({"name": name, "torch": torch_desc, "stepped": per,
                  "config": cfg, "lr": lrs})


def warmup_start(a, w):
    """torch LinearLR start_factor equal to nettrain's warmup factor at step
    0: a + (1-a)/w (then LinearLR(total_iters=w-1) reaches 1 at step w-1)."""
    return a + (1 - a) / w


# ---- step decay, multi-step, exponential ----
case("step", "StepLR(step_size=2, gamma=0.5)", {"Type": "step", "StepSize": 2, "Gamma": 0.5}, 0.1,
     lambda o: S.StepLR(o, step_size=2, gamma=0.5), "epoch")
case("multistep", "MultiStepLR(milestones=[1, 3], gamma=0.1)",
     {"Type": "multistep", "Milestones": [1, 3], "Gamma": 0.1}, 0.1,
     lambda o: S.MultiStepLR(o, milestones=[1, 3], gamma=0.1), "epoch")
case("exponential_epoch", "ExponentialLR(gamma=0.8)", {"Type": "exponential", "Gamma": 0.8}, 0.1,
     lambda o: S.ExponentialLR(o, gamma=0.8), "epoch")
case("exponential_step", "ExponentialLR(gamma=0.8**(1/7))",
     {"Type": "exponential", "Gamma": 0.8, "Interval": "step"}, 0.1,
     lambda o: S.ExponentialLR(o, gamma=0.8 ** (1 / STEPS_PER_EPOCH)), "step")

# ---- cosine ----
case("cosine_step", "CosineAnnealingLR(T_max=35, eta_min=0.01)", {"Type": "cosine", "MinLR": 0.01}, 0.1,
     lambda o: S.CosineAnnealingLR(o, T_max=TOTAL, eta_min=0.01), "step")
case("cosine_epoch", "CosineAnnealingLR(T_max=5, eta_min=0.01)",
     {"Type": "cosine", "MinLR": 0.01, "Interval": "epoch"}, 0.1,
     lambda o: S.CosineAnnealingLR(o, T_max=EPOCHS, eta_min=0.01), "epoch")
W = STEPS_PER_EPOCH
case("cosine_warmup_1epoch",
     "SequentialLR([LinearLR(start_factor=1/7, total_iters=6), CosineAnnealingLR(T_max=28)], milestones=[7])",
     {"Type": "cosine", "WarmupEpochs": 1}, 0.1,
     lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=warmup_start(0, W), total_iters=W - 1),
                                  S.CosineAnnealingLR(o, T_max=TOTAL - W)], milestones=[W]), "step")
case("cosine_warmup_start0.2",
     "SequentialLR([LinearLR(start_factor=0.36, total_iters=4), CosineAnnealingLR(T_max=30, eta_min=0.001)], milestones=[5])",
     {"Type": "cosine", "MinLR": 0.001, "WarmupSteps": 5, "WarmupStartFactor": 0.2}, 0.1,
     lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=warmup_start(0.2, 5), total_iters=4),
                                  S.CosineAnnealingLR(o, T_max=TOTAL - 5, eta_min=0.001)], milestones=[5]), "step")

# ---- cosine with warm restarts ----
case("cosine_restarts_step", "CosineAnnealingWarmRestarts(T_0=1, T_mult=2, eta_min=0.001)",
     {"Type": "cosine_restarts", "T0": 1, "TMult": 2, "MinLR": 0.001}, 0.1,
     lambda o: S.CosineAnnealingWarmRestarts(o, T_0=1, T_mult=2, eta_min=0.001), "fractional")
case("cosine_restarts_step_mult1", "CosineAnnealingWarmRestarts(T_0=2)",
     {"Type": "cosine_restarts", "T0": 2}, 0.1,
     lambda o: S.CosineAnnealingWarmRestarts(o, T_0=2), "fractional")
case("cosine_restarts_epoch", "CosineAnnealingWarmRestarts(T_0=1, T_mult=2, eta_min=0.001)",
     {"Type": "cosine_restarts", "T0": 1, "TMult": 2, "MinLR": 0.001, "Interval": "epoch"}, 0.1,
     lambda o: S.CosineAnnealingWarmRestarts(o, T_0=1, T_mult=2, eta_min=0.001), "epoch")

# ---- linear ----
case("linear_to_zero", "LinearLR(start_factor=1, end_factor=0, total_iters=35)", {"Type": "linear"}, 0.1,
     lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=TOTAL), "step")
case("linear_factors", "LinearLR(start_factor=0.5, end_factor=0.1, total_iters=20)",
     {"Type": "linear", "StartFactor": 0.5, "EndFactor": 0.1, "TotalIters": 20}, 0.1,
     lambda o: S.LinearLR(o, start_factor=0.5, end_factor=0.1, total_iters=20), "step")
case("linear_epoch", "LinearLR(start_factor=1, end_factor=0.2, total_iters=3)",
     {"Type": "linear", "EndFactor": 0.2, "TotalIters": 3, "Interval": "epoch"}, 0.1,
     lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.2, total_iters=3), "epoch")

# ---- polynomial ----
case("poly_step", "PolynomialLR(total_iters=35, power=2)", {"Type": "poly", "Power": 2}, 0.1,
     lambda o: S.PolynomialLR(o, total_iters=TOTAL, power=2.0), "step")
case("poly_epoch", "PolynomialLR(total_iters=4, power=0.5)",
     {"Type": "poly", "Power": 0.5, "TotalIters": 4, "Interval": "epoch"}, 0.1,
     lambda o: S.PolynomialLR(o, total_iters=4, power=0.5), "epoch")

# ---- one-cycle ----
case("onecycle_cos", "OneCycleLR(max_lr=0.1, total_steps=35)", {"Type": "onecycle"}, 0.1,
     lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=TOTAL, cycle_momentum=False), "step")
case("onecycle_linear_three_phase",
     "OneCycleLR(max_lr=0.5, total_steps=35, pct_start=0.25, anneal_strategy='linear', div_factor=10, final_div_factor=100, three_phase=True)",
     {"Type": "onecycle", "MaxLR": 0.5, "PctStart": 0.25, "AnnealStrategy": "linear", "DivFactor": 10,
      "FinalDivFactor": 100, "ThreePhase": True}, 0.1,
     lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=TOTAL, pct_start=0.25, anneal_strategy="linear",
                            div_factor=10.0, final_div_factor=100.0, three_phase=True, cycle_momentum=False),
     "step")
case("onecycle_cos_three_phase",
     "OneCycleLR(max_lr=0.2, total_steps=35, pct_start=0.4, three_phase=True)",
     {"Type": "onecycle", "MaxLR": 0.2, "PctStart": 0.4, "ThreePhase": True}, 0.1,
     lambda o: S.OneCycleLR(o, max_lr=0.2, total_steps=TOTAL, pct_start=0.4, three_phase=True,
                            cycle_momentum=False), "step")

# ---- warmup composed with an absolute-clock schedule (product form) ----
case("exponential_step_warmup",
     "ChainedScheduler([LinearLR(start_factor=0.19, total_iters=9), ExponentialLR(gamma=0.8**(1/7))])",
     {"Type": "exponential", "Gamma": 0.8, "Interval": "step", "WarmupSteps": 10, "WarmupStartFactor": 0.1}, 0.1,
     lambda o: S.ChainedScheduler([S.LinearLR(o, start_factor=warmup_start(0.1, 10), total_iters=9),
                                   S.ExponentialLR(o, gamma=0.8 ** (1 / STEPS_PER_EPOCH))]), "step")
case("constant_warmup", "LinearLR(start_factor=0.25, total_iters=3)",
     {"Type": "constant", "WarmupSteps": 4}, 0.1,
     lambda o: S.LinearLR(o, start_factor=warmup_start(0, 4), total_iters=3), "step")

# ---- ReduceLROnPlateau ----
plateaus = []

LOSS = [1.0, 0.9, 0.95, 0.95, 0.96, 0.8, 0.80001, 0.85, 0.9, 0.7, 0.7, 0.7, 0.7, 0.7,
        0.69995, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.59, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
ACC = [0.1, 0.3, 0.5, 0.55, 0.555, 0.56, 0.6, 0.6, 0.6, 0.605, 0.62, 0.62, 0.62, 0.63,
       0.625, 0.64, 0.64, 0.64, 0.64, 0.7, 0.7, 0.7]
NEG = [-5.0, -4.0, -4.1, -3.97, -3.9, -3.9, -3.95, -4.0, -3.9, -3.95, -3.96, -3.0, -3.5, -3.1]
NANS = [2.0, None, 1.5, None, None, None, 1.0, 1.0, None, 0.5]


def plateau(name, kwargs, metrics, lr=1.0):
    opt = optimizer(lr)
    sched = S.ReduceLROnPlateau(opt, **kwargs)
    rec = {"lr": [], "best": [], "num_bad_epochs": [], "cooldown_counter": []}
    for m in metrics:
        sched.step(math.nan if m is None else m)
        rec["lr"].append(opt.param_groups[0]["lr"])
        rec["best"].append(sched.best if math.isfinite(sched.best) else None)
        rec["num_bad_epochs"].append(sched.num_bad_epochs)
        rec["cooldown_counter"].append(sched.cooldown_counter)
    full = {"mode": "min", "factor": 0.1, "patience": 10, "threshold": 1e-4,
            "threshold_mode": "rel", "cooldown": 0, "min_lr": 0.0, "eps": 1e-8}
    full.update(kwargs)
    cfg = {"BaseLR": lr, "Mode": full["mode"], "Factor": full["factor"], "Patience": full["patience"],
           "Threshold": full["threshold"], "ThresholdMode": full["threshold_mode"],
           "Cooldown": full["cooldown"], "MinLR": full["min_lr"], "Eps": full["eps"]}
    plateaus.append({"name": name, "torch": "ReduceLROnPlateau(%s)" % ", ".join(
        "%s=%r" % kv for kv in sorted(kwargs.items())), "config": cfg, "metrics": metrics, **rec})


plateau("min_rel_p2", {"mode": "min", "factor": 0.5, "patience": 2}, LOSS)
plateau("min_rel_p1_cooldown2_floor", {"factor": 0.5, "patience": 1, "cooldown": 2, "min_lr": 0.2}, LOSS)
plateau("min_rel_threshold", {"factor": 0.5, "patience": 1, "threshold": 0.1}, LOSS)
plateau("min_abs_p0", {"factor": 0.3, "patience": 0, "threshold": 0.05, "threshold_mode": "abs"}, LOSS)
plateau("max_abs_cooldown1", {"mode": "max", "factor": 0.5, "patience": 1, "threshold": 0.01,
                              "threshold_mode": "abs", "cooldown": 1}, ACC, lr=0.1)
plateau("max_rel_p1", {"mode": "max", "factor": 0.5, "patience": 1, "threshold": 0.01}, ACC, lr=0.1)
plateau("max_rel_negative", {"mode": "max", "factor": 0.5, "patience": 0, "threshold": 0.01}, NEG)
plateau("min_rel_eps", {"factor": 0.5, "patience": 0, "eps": 0.3}, LOSS)
plateau("torch_defaults", {}, LOSS + [0.6] * 8)
plateau("min_nan", {"factor": 0.5, "patience": 1}, NANS)

doc = {
    "generated_by": "%s with torch %s" % (SCRIPT, torch.__version__),
    "note": "lr[s] is the rate optimizer step s uses; stepped: epoch = scheduler.step() after each epoch, "
            "step = after each batch, fractional = scheduler.step(epoch + i/iters) before batch i; "
            "plateau metrics: null is NaN; best: null while infinite",
    "epochs": EPOCHS,
    "steps_per_epoch": STEPS_PER_EPOCH,
    "cases": cases,
    "plateau": plateaus,
}
with open(OUT, "w") as f:
    json.dump(doc, f, indent=1, allow_nan=False)
    f.write("\n")
print("wrote %s: %d schedule cases, %d plateau cases, %d bytes" % (OUT, len(cases), len(plateaus), os.path.getsize(OUT)))
