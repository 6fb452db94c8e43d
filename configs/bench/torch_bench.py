#!/usr/bin/python3
"""PyTorch and numpy baselines for nettrain's speed benchmark (cmd/nettrain-bench, `make bench`).

Run with Debian's Python, PyTorch 1.13 and numpy (python3-torch, python3-numpy):

    /usr/bin/python3 configs/bench/torch_bench.py [--images N] [--rgb-images N] [--batch-size B] [--threads T] [--models mlp,cnn,...] [--no-infer]
    /usr/bin/python3 configs/bench/torch_bench.py --mode gemm [--threads T] [--shapes 512x512x512:AB,...]
    /usr/bin/python3 configs/bench/torch_bench.py --mode info

--mode train (the default) trains the bench models of configs/bench/*.yaml in PyTorch: mlp, cnn and
resnet8 on the first N Fashion-MNIST training images (read from the IDX .gz files with gzip + numpy,
standardized with their mean and std, as nettrain's `preprocess.method: global`), resnet20-rgb and
vgg-rgb on --rgb-images synthetic RGB 32x32 images (standard normal values and random labels: the speed
does not depend on them); batch --batch-size with the last smaller batch kept, SGD lr 0.05 momentum 0.9
Nesterov, no weight decay, torch.set_num_threads(T). A few warm-up batches run first and are not timed.
Then, unless --no-infer, it times inference over the same images at the same batch size: model.eval()
under torch.no_grad(), after one untimed warm-up batch. It prints one JSON line per model:

    {"model": "mlp", "images_per_second": ..., "infer_images_per_second": ..., "images": N, ...}

--mode gemm times numpy's float32 matrix multiply (the BLAS numpy is linked to, OpenBLAS on a usual
Debian machine with libopenblas0) with OPENBLAS_NUM_THREADS=T, the best of several repeats, and prints
one JSON line per shape: {"shape": "MxNxK", "variant": "AB"|"AtB"|"ABt", "gflops": ...}. Shapes are
M×N×K of C(M,N) = op(A)(M,K)·op(B)(K,N); variant AtB stores A as (K,M), ABt stores B as (N,K).

--mode info prints one JSON line with the versions of Python, PyTorch and numpy (null when a module
does not import, with the error) and the BLAS library numpy runs on.
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time

MODELS = ("mlp", "cnn", "resnet8", "resnet20-rgb", "vgg-rgb")
VARIANTS = ("AB", "AtB", "ABt")
DEFAULT_SHAPES = (
    "512x512x512:AB,128x512x784:AB,512x784x128:AtB,128x784x512:ABt,"
    "25088x64x288:AB,32x784x288:AB,32x288x784:ABt,288x784x32:AtB"
)
DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mode", choices=("train", "gemm", "info"), default="train")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads / OPENBLAS_NUM_THREADS (default 2)")
    p.add_argument("--images", type=int, default=60000, help="training images to time per model (default 60000, one epoch)")
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated: " + ", ".join(MODELS))
    p.add_argument("--rgb-images", type=int, default=10000, help="synthetic RGB 32x32 images for the -rgb models (default 10000)")
    p.add_argument("--no-infer", action="store_true", help="train mode: skip the inference timing")
    p.add_argument("--data", default=DEFAULT_DATA, help="folder with the Fashion-MNIST IDX files")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--omp-wait", choices=("passive", "default", "env"), default="passive",
                   help="train mode: OMP_WAIT_POLICY=PASSIVE (default), the OpenMP default (spin, then sleep), "
                        "or whatever the environment says")
    p.add_argument("--warmup", type=int, default=3, help="untimed warm-up batches per model (default 3)")
    p.add_argument("--shapes", default=DEFAULT_SHAPES, help="gemm mode: comma-separated MxNxK:VARIANT")
    p.add_argument("--repeats", type=int, default=5, help="gemm mode: timed repeats, the best is kept")
    p.add_argument("--min-time", type=float, default=0.1, help="gemm mode: seconds per repeat, at least")
    a = p.parse_args(argv)
    if a.threads < 1:
        p.error("--threads must be >= 1")
    if a.images < 1 or a.rgb_images < 1:
        p.error("--images and --rgb-images must be >= 1")
    a.models = [m.strip() for m in a.models.split(",") if m.strip()]
    for m in a.models:
        if m not in MODELS:
            p.error("--models: unknown model %r; allowed: %s" % (m, ", ".join(MODELS)))
    return a


def set_thread_env(threads):
    """Thread counts of every BLAS / OpenMP runtime; must run before numpy or torch is imported."""
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        os.environ[k] = str(threads)


def blas_info():
    """The BLAS library loaded in this process (after importing numpy), from threadpoolctl when it is
    installed, else from /proc/self/maps (and OpenBLAS's own openblas_get_corename)."""
    info = {"library": None, "kind": "unknown"}
    try:
        import threadpoolctl

        for lib in threadpoolctl.threadpool_info():
            if lib.get("user_api") == "blas":
                info.update(library=lib.get("filepath"), kind=lib.get("internal_api", "unknown"),
                            version=lib.get("version"), architecture=lib.get("architecture"),
                            threads=lib.get("num_threads"))
                return info
    except Exception:  # threadpoolctl missing or failing: fall back to the memory map
        pass
    paths = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6:
                    base = os.path.basename(parts[5]).lower()
                    if ("blas" in base or "mkl_rt" in base or "blis" in base) and parts[5] not in paths:
                        paths.append(parts[5])
    except OSError:
        return info
    for path in paths:
        low = path.lower()
        kind = None
        if "openblas" in low:
            kind = "openblas"
        elif "mkl" in low:
            kind = "mkl"
        elif "blis" in low:
            kind = "blis"
        elif "atlas" in low:
            kind = "atlas"
        elif "/blas/libblas" in low:
            kind = "reference"  # Debian's libblas3: the unoptimized Netlib reference BLAS
        if kind is None:
            continue
        info.update(library=path, kind=kind)
        if kind == "openblas":
            try:
                import ctypes

                lib = ctypes.CDLL(path)
                lib.openblas_get_corename.restype = ctypes.c_char_p
                lib.openblas_get_config.restype = ctypes.c_char_p
                info["architecture"] = lib.openblas_get_corename().decode()
                info["config"] = lib.openblas_get_config().decode()
                info["threads"] = lib.openblas_get_num_threads()
            except Exception:
                pass
        break
    return info


# ---------------------------------------------------------------- data


def find_idx(folder, name):
    for cand in (name + ".gz", name):
        p = os.path.join(folder, cand)
        if os.path.exists(p):
            return p
    raise SystemExit("torch_bench: %s: no %s[.gz]" % (folder, name))


def read_idx(path):
    """An IDX file (gzipped or not) of unsigned bytes as a numpy array of its shape."""
    import numpy as np

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4:
        raise SystemExit("torch_bench: %s: truncated header" % path)
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise SystemExit("torch_bench: %s: not an IDX file of unsigned bytes" % path)
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_train(folder, n):
    """The first n training images (N,1,28,28) standardized with their own mean and std, and labels."""
    import numpy as np

    x = read_idx(find_idx(folder, "train-images-idx3-ubyte"))[:n]
    y = read_idx(find_idx(folder, "train-labels-idx1-ubyte"))[:n]
    x = x.astype(np.float32) / 255.0
    mean, std = float(x.mean()), float(x.std())
    x = (x - mean) / std
    return x.reshape(len(x), 1, x.shape[-2], x.shape[-1]), y.astype(np.int64)


def synthetic_rgb(n, seed=1):
    """n synthetic RGB 32x32 images (standard normal values, as standardized pixels) and labels 0-9."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 3, 32, 32), dtype=np.float32), rng.integers(0, 10, n).astype(np.int64)


# ---------------------------------------------------------------- models


def build_model(name):
    import torch.nn as nn

    class BasicBlock(nn.Module):
        """The CIFAR ResNet basic block (He et al. 2016): two 3x3 convs without bias + BN, a 1x1 conv +
        BN projection shortcut where the shape changes; as nettrain's nn.BasicBlock."""

        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.act1 = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = None
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))
            self.act2 = nn.ReLU(inplace=True)

        def forward(self, x):
            out = self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x)))))
            return self.act2(out + (x if self.shortcut is None else self.shortcut(x)))

    def conv_bn_relu(cin, cout):
        return [nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    if name == "mlp":  # configs/bench/mlp.yaml
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(inplace=True),
                             nn.Linear(512, 256), nn.ReLU(inplace=True), nn.Linear(256, 10))
    if name == "cnn":  # configs/bench/cnn.yaml
        return nn.Sequential(*conv_bn_relu(1, 32), *conv_bn_relu(32, 32), nn.MaxPool2d(2),
                             *conv_bn_relu(32, 64), *conv_bn_relu(64, 64), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 10))
    def resnet(cin, blocks):
        layers = [nn.Conv2d(cin, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True)]
        c = 16
        for stage, width in enumerate((16, 32, 64)):
            for b in range(blocks):
                layers.append(BasicBlock(c, width, 2 if stage > 0 and b == 0 else 1))
                c = width
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))

    if name == "resnet8":  # configs/bench/resnet8.yaml
        return resnet(1, 1)
    if name == "resnet20-rgb":  # configs/bench/resnet20-rgb.yaml
        return resnet(3, 3)
    if name == "vgg-rgb":  # configs/bench/vgg-rgb.yaml
        return nn.Sequential(*conv_bn_relu(3, 32), *conv_bn_relu(32, 32), nn.MaxPool2d(2),
                             *conv_bn_relu(32, 64), *conv_bn_relu(64, 64), nn.MaxPool2d(2),
                             *conv_bn_relu(64, 128), *conv_bn_relu(128, 128), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(128 * 4 * 4, 10))
    raise ValueError(name)


def train_mode(a):
    set_thread_env(a.threads)
    # Debian's PyTorch runs on GNU OpenMP and its linear layers on the system BLAS (OpenBLAS's own
    # pthreads): OpenMP threads spinning after each parallel region starve the BLAS threads. On a
    # busy 2-core machine that made the MLP ~35x slower on 2 threads than on 1, and the convolutions
    # 2-5x slower. Passive waiting removes that for most models; nettrain-bench runs both and
    # compares against the faster (--omp-wait).
    if a.omp_wait == "passive":
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    elif a.omp_wait == "default":
        os.environ.pop("OMP_WAIT_POLICY", None)
    import torch
    import torch.nn as nn

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    blas = blas_info()
    gen = torch.Generator().manual_seed(1)
    bs = a.batch_size
    data = {}
    for name in a.models:
        kind = "rgb" if name.endswith("-rgb") else "fashion"
        if kind not in data:
            x, y = synthetic_rgb(a.rgb_images) if kind == "rgb" else load_train(a.data, a.images)
            data[kind] = (torch.from_numpy(x), torch.from_numpy(y))
        xt, yt = data[kind]
        n = len(xt)
        model = build_model(name)
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
        loss_fn = nn.CrossEntropyLoss()

        def step(idx):
            xb, yb = xt[idx], yt[idx]
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss.item()

        warm = torch.randperm(n, generator=gen)
        for i in range(a.warmup):
            step(warm[(i * bs) % n:(i * bs) % n + bs])
        perm = torch.randperm(n, generator=gen)
        start = time.perf_counter()
        loss = 0.0
        for i in range(0, n, bs):
            loss = step(perm[i:i + bs])
        secs = time.perf_counter() - start
        out = {
            "model": name, "images_per_second": n / secs, "images": n, "seconds": secs,
            "threads": a.threads, "batch_size": bs, "warmup_batches": a.warmup, "last_loss": loss,
            "torch": torch.__version__, "blas": blas.get("kind"), "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
        }
        if not a.no_infer:
            model.eval()
            with torch.no_grad():
                model(xt[:bs])
                start = time.perf_counter()
                for i in range(0, n, bs):
                    model(xt[i:i + bs])
                out["infer_images_per_second"] = n / (time.perf_counter() - start)
        print(json.dumps(out), flush=True)


# ---------------------------------------------------------------- gemm


def parse_shapes(spec):
    shapes = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        dims, _, variant = item.partition(":")
        variant = variant or "AB"
        try:
            m, n, k = (int(d) for d in dims.lower().split("x"))
        except ValueError:
            raise SystemExit("torch_bench: --shapes: %r is not MxNxK[:VARIANT]" % item)
        if variant not in VARIANTS or min(m, n, k) < 1:
            raise SystemExit("torch_bench: --shapes: %r: variant must be one of %s, sizes >= 1" % (item, ", ".join(VARIANTS)))
        shapes.append((m, n, k, variant))
    return shapes


def gemm_mode(a):
    set_thread_env(a.threads)
    import numpy as np

    blas = blas_info()
    rng = np.random.default_rng(1)
    for m, n, k, variant in parse_shapes(a.shapes):
        # Stored layouts: AtB keeps A as (K,M) and multiplies its transposed view, ABt keeps B as
        # (N,K); numpy hands BLAS the transpose flag, no copy.
        A = rng.standard_normal((k, m) if variant == "AtB" else (m, k), dtype=np.float32)
        B = rng.standard_normal((n, k) if variant == "ABt" else (k, n), dtype=np.float32)
        opA = A.T if variant == "AtB" else A
        opB = B.T if variant == "ABt" else B
        C = np.empty((m, n), dtype=np.float32)
        np.matmul(opA, opB, out=C)  # warm-up
        best = float("inf")
        for _ in range(a.repeats):
            calls, start = 0, time.perf_counter()
            while True:
                np.matmul(opA, opB, out=C)
                calls += 1
                el = time.perf_counter() - start
                if el >= a.min_time:
                    break
            best = min(best, el / calls)
        print(json.dumps({
            "shape": "%dx%dx%d" % (m, n, k), "m": m, "n": n, "k": k, "variant": variant,
            "gflops": 2.0 * m * n * k / best / 1e9, "seconds_per_call": best, "threads": a.threads,
            "blas": blas.get("kind"), "blas_architecture": blas.get("architecture"),
        }), flush=True)


def info_mode(a):
    set_thread_env(a.threads)
    out = {"python": sys.version.split()[0], "executable": sys.executable}
    try:
        import numpy

        out["numpy"] = numpy.__version__
        out["blas"] = blas_info()
    except Exception as e:  # report, do not crash: the caller turns it into one line
        out["numpy"], out["numpy_error"] = None, "%s: %s" % (type(e).__name__, e)
    try:
        import torch

        out["torch"] = torch.__version__
    except Exception as e:
        out["torch"], out["torch_error"] = None, "%s: %s" % (type(e).__name__, e)
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if k in os.environ:
            out.setdefault("env", {})[k] = os.environ[k]
    print(json.dumps(out), flush=True)


def main(argv):
    a = parse_args(argv)
    {"train": train_mode, "gemm": gemm_mode, "info": info_mode}[a.mode](a)


if __name__ == "__main__":
    main(sys.argv[1:])
