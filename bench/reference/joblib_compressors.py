#!/usr/bin/python3
"""joblib side of bench/dump.bench.mjs: dump/load durations and file sizes of one
float64 array (read from the raw file the benchmark writes) with joblib's
compressors, as JSON: medians of REPEATS dumps and loads, as wyvern's rows are. Codecs
joblib cannot load on this machine are skipped. LZ4 at level 1, the fast mode (LZ4F uses
its high-compression parser from level 3 up), as wyvern's dump() uses by default.

    /usr/bin/python3 bench/reference/joblib_compressors.py /tmp/array.f64 /tmp/dir [REPEATS]
"""
import json
import os
import statistics
import sys
import time

import joblib
import numpy as np

data = np.fromfile(sys.argv[1], dtype=np.float64)
out_dir = sys.argv[2]
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 1
results = {}
for name, compress in [("raw", 0), ("zlib", ("zlib", 3)), ("lzma", ("lzma", 3)), ("lz4", ("lz4", 1))]:
    path = os.path.join(out_dir, f"joblib-{name}.pkl")
    try:
        dumps, loads = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            joblib.dump(data, path, compress=compress)
            dumps.append(time.perf_counter() - start)
            start = time.perf_counter()
            back = joblib.load(path)
            loads.append(time.perf_counter() - start)
            assert np.array_equal(back, data)
        results[name] = {"dump": statistics.median(dumps), "load": statistics.median(loads), "bytes": os.path.getsize(path)}
    except Exception as error:  # e.g. the lz4 module missing
        results[name] = {"skipped": str(error).splitlines()[0]}
    finally:
        if os.path.exists(path):
            os.remove(path)
print(json.dumps(results))
