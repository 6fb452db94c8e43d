#!/usr/bin/env python3
"""Writes the handmade run folders of testdata/runs (see README.md).

Each folder is a synthetic nettrain run with the curve shape its name says:
metrics.csv (one row per epoch) and, for most, steps.csv (30 steps per epoch,
update ratios every 20 steps). Deterministic: python3 gen.py rewrites the same
files.
"""
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
METRICS = "epoch,step,lr,train_loss,train_acc,val_loss,val_acc,ema_val_loss,ema_val_acc,epoch_seconds,images_per_second"
STEPS = "step,epoch,batch,lr,loss,acc,grad_norm,update_ratio:fc1.weight,update_ratio:classifier.weight"
SPE = 30  # steps per epoch


def g(x):
    """Formats like Go's strconv.FormatFloat(x, 'g', -1, 64), near enough."""
    if isinstance(x, str):
        return x
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return repr(round(x, 6))


def write(name, epochs, step_loss=None, val=True, header=METRICS, steps_header=STEPS, extra=None, nsteps=None):
    """epochs: list of (train_loss, train_acc, val_loss, val_acc);
    step_loss(i) gives the loss of step i (1-based) or None for no steps.csv;
    nsteps is the number of steps (default: SPE per epoch)."""
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    rows = [header + ("," + extra[0] if extra else "")]
    for e, (tl, ta, vl, va) in enumerate(epochs, 1):
        r = [e, e * SPE, 0.05, g(tl), g(ta), g(vl) if val else "", g(va) if val else "", "", "", "0.050", "36000.0"]
        if extra:
            r.append(g(extra[1](e)))
        rows.append(",".join(str(x) for x in r))
    with open(os.path.join(d, "metrics.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    if step_loss is None:
        return
    cols = steps_header.count(",") + 1
    rows = [steps_header]
    for i in range(1, (nsteps or len(epochs) * SPE) + 1):
        e, b = (i - 1) // SPE + 1, (i - 1) % SPE + 1
        loss = step_loss(i)
        r = [i, e, b, 0.05, g(loss)]
        if cols > 5:
            r.append(0.5)
            if i % 20 == 0:
                r += [1.5, 3e-3 * math.exp(-i / 300), 1e-2 * math.exp(-i / 300)]
            else:
                r += ["", "", ""]
        rows.append(",".join(str(x) for x in r))
        if not math.isfinite(loss):
            break
    with open(os.path.join(d, "steps.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")


def decay(start, end, rate):
    return lambda t: end + (start - end) * math.exp(-rate * t)


def noisy(f, rel, seed):
    rng = random.Random(seed)
    return lambda i: f(i) * (1 + rel * rng.uniform(-1, 1))


def main():
    n = 12
    # healthy: converged, small gap.
    tl = decay(2.3, 0.45, 0.6)
    write("healthy", [(tl(e), 0.84 + 0.001 * e, tl(e) + 0.05, 0.82 + 0.001 * e) for e in range(1, n + 1)],
          noisy(lambda i: tl(i / SPE), 0.05, 1))
    # still-improving: both losses fall steadily to the end; an extra column.
    tl2 = lambda t: 2.3 - 0.12 * t
    write("still-improving", [(tl2(e), 0.3 + 0.04 * e, tl2(e) + 0.02, 0.3 + 0.039 * e) for e in range(1, n + 1)],
          noisy(lambda i: tl2(i / SPE), 0.05, 2), extra=("custom_metric", lambda e: 10 * e))
    # overfitting-valloss: val_loss has its minimum at epoch 5, then rises 40%.
    vl = lambda e: 0.8 + 0.08 * (e - 5) ** 2 / 4 if e <= 5 else 0.8 * (1 + 0.4 * (e - 5) / (n - 5))
    write("overfitting-valloss", [(decay(2.3, 0.02, 0.5)(e), min(0.999, 0.7 + 0.03 * e), vl(e), 0.8) for e in range(1, n + 1)],
          noisy(lambda i: decay(2.3, 0.02, 0.5)(i / SPE), 0.05, 3))
    # overfitting-gap: train_acc rises to 0.99, val_acc stays at 0.80; val_loss flat; no steps.csv.
    write("overfitting-gap", [(decay(2.3, 0.1, 0.5)(e), 0.75 + 0.02 * e, 0.6, 0.8) for e in range(1, n + 1)])
    # underfitting: both accuracies low, the loss plateaued high.
    tl3 = decay(2.3, 1.6, 1.5)
    write("underfitting", [(tl3(e), 0.45, tl3(e) + 0.01, 0.44) for e in range(1, n + 1)],
          noisy(lambda i: tl3(i / SPE), 0.03, 4))
    # flat-start: the step loss stays at 2.30 for two epochs, then falls.
    flat = lambda t: 2.3 if t < 2 else 0.5 + 1.8 * math.exp(-(t - 2))
    write("flat-start", [(flat(e - 0.5), 0.5 + 0.03 * e, flat(e - 0.5) + 0.05, 0.48 + 0.03 * e) for e in range(1, n + 1)],
          noisy(lambda i: flat(i / SPE), 0.01, 5))
    # spikes: one step loss 10x its neighbours at step 150.
    base = noisy(lambda i: tl(i / SPE), 0.05, 6)
    write("spikes", [(tl(e), 0.84, tl(e) + 0.05, 0.82) for e in range(1, n + 1)],
          lambda i: 10 * tl(i / SPE) if i == 150 else base(i))
    # noisy: the step losses scatter ±70% around their trend.
    write("noisy", [(tl(e), 0.84, tl(e) + 0.05, 0.82) for e in range(1, n + 1)],
          noisy(lambda i: tl(i / SPE), 0.7, 7))
    # diverged-nan: the loss becomes NaN at step 37 (epoch 2), after one epoch.
    write("diverged-nan", [(1.9, 0.4, 1.8, 0.42)],
          lambda i: float("nan") if i == 37 else 2.3 - 0.01 * i, nsteps=37)
    # diverged-rising: metrics.csv only, train_loss climbs from 2.3 to 6.
    write("diverged-rising", [(2.3 + 0.35 * (e - 1), 0.1, 2.4 + 0.35 * (e - 1), 0.1) for e in range(1, n + 1)])
    # legacy: steps.csv with the five columns of nettrain before the monitor; no validation split.
    write("legacy", [(tl(e), 0.84, 0, 0) for e in range(1, n + 1)], noisy(lambda i: tl(i / SPE), 0.05, 8),
          val=False, steps_header="step,epoch,batch,lr,loss")
    # healthy/config.yaml: a resolved config's monitor band (the rest is defaults).
    with open(os.path.join(HERE, "healthy", "config.yaml"), "w") as f:
        f.write("# the keys pkg/curves reads; config.Load fills in the rest\ndata:\n  dir: .\nmonitor:\n  ratio_low: 1.0e-4\n  ratio_high: 0.05\n")
    search()


def search():
    """search/: a search folder as nettrain search writes it (search.csv, trials/NNN/),
    three trials of a grid over optimizer.lr: 001 still improving, 002 overfitting,
    003 diverged before its first epoch ended (a metrics.csv with the header only)."""
    d = os.path.join(HERE, "search")
    os.makedirs(os.path.join(d, "trials"), exist_ok=True)
    with open(os.path.join(d, "search.csv"), "w") as f:
        f.write("trial,stage,status,optimizer.lr,val_acc,epochs,seconds,run_dir\n"
                "1,1,done,0.01,0.77,12,0.4,trials/001\n"
                "2,1,done,0.1,0.8,12,0.4,trials/002\n"
                "3,1,diverged,3.0,,0,0.1,trials/003\n")
    for trial, src in (("001", "still-improving"), ("002", "overfitting-valloss")):
        os.makedirs(os.path.join(d, "trials", trial), exist_ok=True)
        for name in ("metrics.csv", "steps.csv"):
            with open(os.path.join(HERE, src, name)) as f, open(os.path.join(d, "trials", trial, name), "w") as g:
                g.write(f.read())
    os.makedirs(os.path.join(d, "trials", "003"), exist_ok=True)
    with open(os.path.join(d, "trials", "003", "metrics.csv"), "w") as f:
        f.write(METRICS + "\n")
    with open(os.path.join(d, "trials", "003", "steps.csv"), "w") as f:
        f.write(STEPS + "\n")


if __name__ == "__main__":
    main()
