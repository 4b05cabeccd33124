#!/usr/bin/python3
"""scikit-learn peer of bench/workloads/kmeans.ts (Debian python3-sklearn, /usr/bin/python3).

Reads X (n x d float32, raw little-endian) and the initial centres C0 (k x d float64) that the
TypeScript workload wrote to --data, converts X to float64 (latentlab computes in double), and
then answers one JSON line per request on stdin: {"algorithm": "lloyd"|"elkan", "maxIter": N}
-> time to convergence (KMeans(init=C0, n_init=1, tol=1e-4), threads as scikit-learn defaults),
iterations, final inertia and the process's peak RSS. Start-up and imports are not timed.
"""
import argparse, json, os, resource, sys, time
import numpy as np
from sklearn.cluster import KMeans
import sklearn

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
args = ap.parse_args()
meta = json.load(open(os.path.join(args.data, "meta.json")))
n, d, k = meta["n"], meta["d"], meta["k"]
X = np.fromfile(os.path.join(args.data, "x_f32.bin"), dtype=np.float32).reshape(n, d).astype(np.float64)
C0 = np.fromfile(os.path.join(args.data, "c0_f64.bin"), dtype=np.float64).reshape(k, d)
print(json.dumps({"ready": True, "sklearn": sklearn.__version__, "numpy": np.__version__}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    km = KMeans(n_clusters=k, init=C0, n_init=1, algorithm=req["algorithm"], tol=meta["tol"], max_iter=req.get("maxIter", 300))
    t0 = time.perf_counter()
    km.fit(X)
    ms = (time.perf_counter() - t0) * 1000
    print(json.dumps({
        "ms": ms, "iterations": int(km.n_iter_), "inertia": float(km.inertia_),
        "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "labelsHash": int(np.sum(km.labels_.astype(np.int64) * np.arange(1, n + 1)) % 2147483647),
    }), flush=True)
