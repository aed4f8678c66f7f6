#!/usr/bin/python3
"""The seed's SciPy image-convolution benchmark (seed 002), as Python users run it:
a multiprocessing Pool (spawn) maps convolve2d(image, 4x4 filter)[::5, ::5] over
the images. Prints mean and standard deviation per map, and each timed map, in seconds, as JSON.

    /usr/bin/python3 bench/reference/scipy_seed.py --num_workers 2 --iterations 10 --burns 2
"""
import argparse
import json
import multiprocessing
import time

import numpy as np
import scipy.signal


def f(args):
    image, random_filter = args
    return scipy.signal.convolve2d(image, random_filter)[::5, ::5]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--num_workers", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--burns", type=int, default=2)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--mem", type=int, default=32 * 1024 * 1024)
    args = parser.parse_args()
    multiprocessing.set_start_method("spawn")
    pool = multiprocessing.Pool(args.num_workers)
    nimages = int(float(args.mem) / float(args.size * args.size))
    images = [np.zeros((args.size, args.size)) for _ in range(nimages)]
    filters = [np.random.normal(size=(4, 4)) for _ in range(nimages)]
    times = []
    for i in range(args.iterations + args.burns):
        start = time.perf_counter()
        res = pool.map(f, zip(images, filters))
        del res
        times.append(time.perf_counter() - start)
    pool.close()
    pool.join()
    kept = np.array(times[args.burns:])
    print(json.dumps({"workers": args.num_workers, "images": nimages, "mean": float(kept.mean()), "std": float(kept.std()), "times": [float(t) for t in kept]}))
