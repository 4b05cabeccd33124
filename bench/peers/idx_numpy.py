#!/usr/bin/python3
"""NumPy peer of bench/workloads/data-loaders.ts: load the Fashion-MNIST IDX files the plain way
(gzip.open + np.frombuffer(offset) / 255 as float32, no checks). One JSON line per request on
stdin: {"split": "train"|"test"} -> {"ms", "count", "peakRssMB"}; imports are not timed.
"""
import gzip, json, resource, sys, time
import numpy as np

DIR = sys.argv[1]


def load(split):
    p = DIR + "/" + ("train" if split == "train" else "t10k")
    with gzip.open(p + "-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16)
    with gzip.open(p + "-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return (x.astype(np.float32) / 255).reshape(-1, 784), y


print(json.dumps({"ready": True, "numpy": np.__version__}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    t0 = time.perf_counter()
    x, y = load(req["split"])
    ms = (time.perf_counter() - t0) * 1000
    print(json.dumps({"ms": ms, "count": int(len(y)), "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
