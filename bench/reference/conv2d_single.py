#!/usr/bin/python3
"""SciPy side of bench/conv2d.bench.mjs: median ms of convolve2d(image, filter) (full mode)
for each size and dtype given on the command line, as JSON on stdout.

    /usr/bin/python3 bench/reference/conv2d_single.py 1000 4,16 float64,float32 7
"""
import json
import sys
import time

import numpy as np
import scipy.signal

size = int(sys.argv[1])
filters = [int(k) for k in sys.argv[2].split(",")]
dtypes = sys.argv[3].split(",")
repeats = int(sys.argv[4])
rng = np.random.default_rng(1)
results = {}
for dtype in dtypes:
    image = rng.normal(size=(size, size)).astype(dtype)
    for k in filters:
        kernel = rng.normal(size=(k, k)).astype(dtype)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            scipy.signal.convolve2d(image, kernel)
            times.append((time.perf_counter() - start) * 1000)
        results[f"{dtype}/{k}x{k}"] = float(np.median(times))
print(json.dumps(results))
