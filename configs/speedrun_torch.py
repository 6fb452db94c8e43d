#!/usr/bin/python3
"""The recipe of configs/speedrun.yaml in PyTorch, for the side-by-side time-to-accuracy comparison.

Run with Debian's Python and PyTorch 1.13 (python3-torch, with libopenblas0-pthread):

    /usr/bin/python3 configs/speedrun_torch.py [--epochs 11] [--seed 1] [--threads 2] [--data DIR]

The same network, data handling and optimization as the YAML, written as a PyTorch user would, with
every batch-level operation vectorized in the main process (no DataLoader workers: on 2 cores they
would take CPU from the compute):

- Fashion-MNIST from the IDX .gz files; 5,000 training images held out for validation (a seeded random
  split, not nettrain's images), standardized with the mean and std of the remaining 55,000.
- RandomCrop(28, padding=2) and RandomHorizontalFlip on the raw [0, 1] images, per example.
- conv(1→32) + BN + ReLU + maxpool, conv(32→64) + BN + ReLU + maxpool, conv(64→128) + BN + ReLU + maxpool
  (3x3, pad 1, no bias), flatten 128·3·3, linear to 10; Kaiming-normal (fan_in) weights, zero biases,
  the last layer's weights ×0.1.
- SGD lr 0.1, momentum 0.9, Nesterov, weight decay 5e-4 on the conv and linear weights only;
  a linear warmup over the first epoch (factor (s+1)/W), then cosine to 0 over the remaining steps,
  stepped per batch; label smoothing 0.1; batch 128, the last smaller batch kept.
- Validation accuracy after every epoch; the weights of the best validation epoch are scored on the
  10,000 test images at the end (as nettrain does with its best.ckpt).

It prints one line per epoch and a final JSON line:
{"test_accuracy": ..., "best_epoch": ..., "wall_seconds": ..., "train_seconds": ...}; wall_seconds is
from the start of the script (imports included) to the end of the test evaluation.
"""

import argparse
import copy
import json
import math
import os
import sys
import time

# The IDX reader of the benchmark script beside this one (configs/bench/torch_bench.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench"))
from torch_bench import find_idx, read_idx  # noqa: E402

START = time.perf_counter()


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=11)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--omp-wait", choices=("passive", "default"), default="passive",
                   help="OMP_WAIT_POLICY=PASSIVE (default; the faster on 2 cores, see torch_bench.py) or the OpenMP default")
    a = p.parse_args(argv)
    if a.epochs < 2 or a.threads < 1:
        p.error("--epochs must be >= 2 (one is the warmup) and --threads >= 1")
    return a


def load(folder, split):
    """One split of the Fashion-MNIST IDX files as (N,1,28,28) raw [0, 1] images and int64 labels."""
    names = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}[split]
    x, y = (read_idx(find_idx(folder, name)) for name in names)
    return x.astype("float32")[:, None] / 255.0, y.astype("int64")


def main(argv):
    a = parse_args(argv)
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[k] = str(a.threads)
    if a.omp_wait == "passive":
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    x, y = load(a.data, "train")
    xtest, ytest = load(a.data, "test")
    perm = rng.permutation(len(x))
    val, tr = perm[:5000], perm[5000:]
    xtr, ytr, xval, yval = x[tr], y[tr], x[val], y[val]
    mean, std = float(xtr.mean()), float(xtr.std())
    xtr, xval, xtest = (torch.from_numpy(v) for v in (xtr, xval, xtest))
    ytr, yval, ytest = (torch.from_numpy(v) for v in (ytr, yval, ytest))
    padded = F.pad(xtr, (2, 2, 2, 2))  # (N,1,32,32), zeros around the raw images

    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True), nn.MaxPool2d(2)]

    model = nn.Sequential(*block(1, 32), *block(32, 64), *block(64, 128), nn.Flatten(), nn.Linear(128 * 3 * 3, 10))
    decay, no_decay = [], []
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            decay.append(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
                no_decay.append(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            no_decay += [m.weight, m.bias]
    with torch.no_grad():
        model[-1].weight.mul_(0.1)
    opt = torch.optim.SGD([{"params": decay, "weight_decay": 5e-4}, {"params": no_decay, "weight_decay": 0}],
                          lr=0.1, momentum=0.9, nesterov=True)
    bs, n = 128, len(xtr)
    spe = math.ceil(n / bs)
    total, warm = a.epochs * spe, spe

    def factor(s):  # the rate of step s over the base rate (see pkg/lrsched/doc.go)
        if s < warm:
            return (s + 1) / warm
        return 0.5 * (1 + math.cos(math.pi * (s - warm) / max(total - warm, 1)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)

    def evaluate(xs, ys):
        model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(xs), 1000):
                correct += (model((xs[i:i + 1000] - mean) / std).argmax(1) == ys[i:i + 1000]).sum().item()
        model.train()
        return correct / len(xs)

    best, best_epoch, best_state = -1.0, 0, None
    train_start = time.perf_counter()
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        order = torch.from_numpy(rng.permutation(n))
        for i in range(0, n, bs):
            idx = order[i:i + bs]
            k = len(idx)
            dx, dy = rng.integers(0, 5, k), rng.integers(0, 5, k)
            flip = rng.random(k) < 0.5
            xb = torch.empty(k, 1, 28, 28)
            for j in range(k):
                img = padded[idx[j], :, dy[j]:dy[j] + 28, dx[j]:dx[j] + 28]
                xb[j] = img.flip(-1) if flip[j] else img
            loss = loss_fn(model((xb - mean) / std), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        acc = evaluate(xval, yval)
        secs = time.perf_counter() - t0
        mark = ""
        if acc > best:
            best, best_epoch, best_state, mark = acc, epoch, copy.deepcopy(model.state_dict()), "  *best"
        print("epoch %2d/%d  loss %.4f  val acc %.4f  %.1fs  %.0f img/s%s" % (epoch, a.epochs, loss.item(), acc, secs, n / secs, mark), flush=True)
    train_secs = time.perf_counter() - train_start
    model.load_state_dict(best_state)
    test = evaluate(xtest, ytest)
    print(json.dumps({"test_accuracy": test, "best_epoch": best_epoch, "best_val_accuracy": best, "epochs": a.epochs,
                      "seed": a.seed, "threads": a.threads, "train_seconds": train_secs,
                      "wall_seconds": time.perf_counter() - START, "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
