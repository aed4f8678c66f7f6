#!/usr/bin/python3
"""NumPy (OpenBLAS) side of bench/matmul.bench.mjs: median GFLOP/s of a @ b for
each size (n, or m x k x n written mxkxn) and dtype, with the thread count set
by OPENBLAS_NUM_THREADS, as JSON. With --transB, b is n x k and the product a @ b.T.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/reference/numpy_matmul.py 256,512,1024,2048 5 [--transB]
"""
import json
import sys
import time

import numpy as np

sizes = sys.argv[1].split(",")
repeats = int(sys.argv[2])
trans_b = "--transB" in sys.argv[3:]
rng = np.random.default_rng(3)
out = {}
for dtype in ("float32", "float64"):
    for size in sizes:
        dims = [int(d) for d in size.split("x")]
        if len(dims) not in (1, 3):
            sys.exit(f"each size is n or mxkxn; got {size!r}")
        m, k, n = dims if len(dims) == 3 else dims * 3
        a = rng.normal(size=(m, k)).astype(dtype)
        b = rng.normal(size=(n, k)).astype(dtype).T if trans_b else rng.normal(size=(k, n)).astype(dtype)
        a @ b
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            a @ b
            times.append(time.perf_counter() - start)
        out[f"{dtype}/{size}"] = 2 * m * k * n / float(np.median(times)) / 1e9
print(json.dumps(out))
