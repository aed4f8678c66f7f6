#!/usr/bin/python3
"""joblib side of bench/dump.bench.mjs: dump/load durations and file sizes of one
float64 array (read from the raw file the benchmark writes) with joblib's
compressors, as JSON. Codecs joblib cannot load on this machine are skipped.

    /usr/bin/python3 bench/reference/joblib_compressors.py /tmp/array.f64 /tmp/dir
"""
import json
import os
import sys
import time

import joblib
import numpy as np

data = np.fromfile(sys.argv[1], dtype=np.float64)
out_dir = sys.argv[2]
results = {}
for name, compress in [("raw", 0), ("zlib", ("zlib", 3)), ("lzma", ("lzma", 3)), ("lz4", ("lz4", 3))]:
    path = os.path.join(out_dir, f"joblib-{name}.pkl")
    try:
        start = time.perf_counter()
        joblib.dump(data, path, compress=compress)
        dumped = time.perf_counter() - start
        start = time.perf_counter()
        back = joblib.load(path)
        loaded = time.perf_counter() - start
        assert np.array_equal(back, data)
        results[name] = {"dump": dumped, "load": loaded, "bytes": os.path.getsize(path)}
    except Exception as error:  # e.g. the lz4 module missing
        results[name] = {"skipped": str(error).splitlines()[0]}
    finally:
        if os.path.exists(path):
            os.remove(path)
print(json.dumps(results))
