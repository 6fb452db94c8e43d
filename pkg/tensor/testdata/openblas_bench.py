"""OpenBLAS (through numpy) GFLOP/s on the shapes of BenchmarkGemm.

Run: OPENBLAS_NUM_THREADS=2 /usr/bin/python3 pkg/tensor/testdata/openblas_bench.py
"""
import time
import numpy as np

SHAPES = [  # name, transA, transB, M, N, K
    ("512x512x512", False, False, 512, 512, 512),
    ("mlp_fwd_AB_128x512x784", False, False, 128, 512, 784),
    ("mlp_fwd_ABt_128x512x784", False, True, 128, 512, 784),
    ("mlp_dW_AtB_512x784x128", True, False, 512, 784, 128),
    ("mlp_dx_ABt_128x784x512", False, True, 128, 784, 512),
    ("im2col_25088x64x288", False, False, 25088, 64, 288),
    ("conv_fwd_AB_32x784x288", False, False, 32, 784, 288),
    ("conv_dW_ABt_32x288x784", False, True, 32, 288, 784),
    ("conv_dcol_AtB_288x784x32", True, False, 288, 784, 32),
]

rng = np.random.default_rng(1)
for name, ta, tb, m, n, k in SHAPES:
    a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
    c = np.empty((m, n), dtype=np.float32)
    oa, ob = (a.T if ta else a), (b.T if tb else b)
    np.matmul(oa, ob, out=c)
    best = 0.0
    for _ in range(5):
        reps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < 0.2:
            np.matmul(oa, ob, out=c)
            reps += 1
        dt = (time.perf_counter() - t0) / reps
        best = max(best, 2 * m * n * k / dt / 1e9)
    print(f"{name:28s} {best:7.1f} GFLOP/s")
