#!/usr/bin/python3
"""PyTorch peer of bench/workloads/mlp-vae-step.ts: the MLP VAE train step (784-400-20 ReLU,
Bernoulli decoder with logits, analytic KL, Adam 1e-3, batch 128) on the very batches the
TypeScript workload wrote to --data (x_f32.bin: binarized digits, eps_f32.bin: the noise ε).

Speaks one JSON line per request on stdin/stdout so that start-up and imports are not timed and
repetitions alternate with latentlab's: {"steps": N} -> {"ms", "loss", "peakRssMB"}, where ms is
the wall time of N steps, each reading the loss back (loss.item(), as trainVae reads it).
Run with Debian's /usr/bin/python3 (python3-torch); --threads sets torch.set_num_threads.
"""
import blas_threads  # noqa: F401  (first: pins OpenBLAS's threads to --threads before numpy/torch load it)
import argparse, json, os, resource, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
ap.add_argument("--threads", type=int, default=1)
args = ap.parse_args()
meta = json.load(open(os.path.join(args.data, "meta.json")))
torch.set_num_threads(args.threads)
torch.manual_seed(0)
B, D, H, Z, nb = meta["batch"], meta["D"], meta["H"], meta["Z"], meta["batches"]
X = torch.from_numpy(np.fromfile(os.path.join(args.data, "x_f32.bin"), dtype=np.float32).reshape(nb, B, D))
E = torch.from_numpy(np.fromfile(os.path.join(args.data, "eps_f32.bin"), dtype=np.float32).reshape(nb, B, Z))


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.h = nn.Linear(D, H); self.mu = nn.Linear(H, Z); self.lv = nn.Linear(H, Z)
        self.dh = nn.Linear(Z, H); self.out = nn.Linear(H, D)

    def loss(self, x, eps):
        h = F.relu(self.h(x))
        mu, lv = self.mu(h), self.lv(h)
        z = mu + torch.exp(0.5 * lv) * eps
        logits = self.out(F.relu(self.dh(z)))
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
        kl = 0.5 * (lv.exp() + mu ** 2 - 1 - lv).sum(-1)
        return (rec + kl).mean()


model = VAE()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)


def step(i):
    opt.zero_grad()
    loss = model.loss(X[i % nb], E[i % nb])
    loss.backward()
    opt.step()
    return loss.item()


for i in range(3):  # warm-up: allocator, Adam state
    step(i)
print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    n = int(req["steps"])
    t0 = time.perf_counter()
    for i in range(n):
        loss = step(i)
    ms = (time.perf_counter() - t0) * 1000
    print(json.dumps({"ms": ms, "loss": loss, "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
