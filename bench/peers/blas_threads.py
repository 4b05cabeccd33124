"""Pin the BLAS thread pool to the peer's --threads before NumPy or PyTorch load it.

torch.set_num_threads sets PyTorch's own (OpenMP) threads, but Debian's PyTorch calls the system
BLAS for its matrix products, and OpenBLAS starts one thread per core unless told otherwise: a
"1 thread" peer then multiplies on 2 cores (a 512² float32 product: 161 GFLOPS at 2 CPU-s per
second, against 99 GFLOPS on one thread), and a "2 threads" peer runs 2 OpenMP + 2 BLAS threads on
2 cores. Import this module first: `import blas_threads  # noqa: F401`.
"""
import os
import sys


def _threads(default: int) -> int:
    argv = sys.argv
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
        if a.startswith("--threads="):
            return int(a.split("=", 1)[1])
    return default


# Each torch peer's --threads defaults to 1 except pixelcnn_torch.py's (2), which passes it itself.
THREADS = _threads(2 if os.path.basename(sys.argv[0]) == "pixelcnn_torch.py" else 1)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = str(THREADS)
