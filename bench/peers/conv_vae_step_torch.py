#!/usr/bin/python3
"""PyTorch peer of the conv VAE train step (bench/workloads/conv-step.ts and train-step.ts):
the network src/models builds with architecture "conv" —

  encoder  conv 4x4/2 pad 1, 1->16, relu; conv 4x4/2 pad 1, 16->32, relu; flatten (H, W, C order,
           as TensorFlow.js's NHWC reshape); dense 1568->20 (mu) and 1568->20 (log sigma^2)
  decoder  dense 20->1568, relu; reshape to 7x7x32 (NHWC); transposed conv 4x4/2 32->16, relu;
           transposed conv 4x4/2 16->1 (Bernoulli logits)
  loss     mean over the batch of  sum_pixels BCE-with-logits + analytic KL

with Adam 1e-3, on the very batches (x_f32.bin) and noise (eps_f32.bin) the TypeScript workload
wrote to --data, starting from the very initial weights it wrote (params_f32.bin, TensorFlow.js
layouts, converted here: conv [kh, kw, in, out] -> [out, in, kh, kw]; conv2dTranspose
[kh, kw, out, in] -> ConvTranspose2d [in, out, kh, kw]; dense [in, out] -> Linear [out, in]).
TensorFlow's "same" padding for these stride-2 4x4 layers is one pixel on every side, PyTorch's
padding=1, so the two compute the same function: the ready line reports the loss of batch 0 at
the initial weights, and the loss of batch 1 after one Adam step on batch 0 (which depends on every
gradient), which the workload compares with its own before timing anything.

Speaks one JSON line per request on stdin/stdout so that start-up and imports are not timed:
{"steps": N} -> {"ms", "loss", "peakRssMB"}, ms the wall time of N steps, each reading the loss
back (loss.item(), as fit reads it). Run with Debian's /usr/bin/python3 (python3-torch);
--threads sets torch.set_num_threads.
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
B, Z, nb = meta["batch"], meta["Z"], meta["batches"]
X = torch.from_numpy(np.fromfile(os.path.join(args.data, "x_f32.bin"), dtype=np.float32).reshape(nb, B, 784))
E = torch.from_numpy(np.fromfile(os.path.join(args.data, "eps_f32.bin"), dtype=np.float32).reshape(nb, B, Z))
flat = np.fromfile(os.path.join(args.data, "params_f32.bin"), dtype=np.float32)
init, off = {}, 0
for p in meta["params"]:  # {"name", "shape"} in file order, TensorFlow.js layouts
    n = int(np.prod(p["shape"]))
    init[p["name"]] = torch.from_numpy(flat[off:off + n].reshape(p["shape"]).copy())
    off += n
if off != flat.size:
    sys.exit(f"params_f32.bin holds {flat.size} numbers, meta.json's shapes {off}")


class ConvVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 4, stride=2, padding=1)
        self.c2 = nn.Conv2d(16, 32, 4, stride=2, padding=1)
        self.mu = nn.Linear(1568, Z)
        self.lv = nn.Linear(1568, Z)
        self.d = nn.Linear(Z, 1568)
        self.t1 = nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1)
        self.t2 = nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1)
        with torch.no_grad():
            for conv in ("c1", "c2", "t1", "t2"):  # both layouts map with permute(3, 2, 0, 1)
                getattr(self, conv).weight.copy_(init[conv].permute(3, 2, 0, 1))
                getattr(self, conv).bias.copy_(init[conv + "b"])
            for lin in ("mu", "lv", "d"):
                getattr(self, lin).weight.copy_(init[lin].t())
                getattr(self, lin).bias.copy_(init[lin + "b"])

    def loss(self, x, eps):
        n = x.shape[0]
        a = F.relu(self.c1(x.view(n, 1, 28, 28)))
        b = F.relu(self.c2(a))
        h = b.permute(0, 2, 3, 1).reshape(n, 1568)  # NHWC flatten, as TensorFlow.js
        mu, lv = self.mu(h), self.lv(h)
        z = mu + torch.exp(0.5 * lv) * eps
        d = F.relu(self.d(z)).view(n, 7, 7, 32).permute(0, 3, 1, 2)
        logits = self.t2(F.relu(self.t1(d))).reshape(n, 784)
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
        kl = 0.5 * (lv.exp() + mu ** 2 - 1 - lv).sum(-1)
        return (rec + kl).mean()


model = ConvVAE()
with torch.no_grad():
    initial_loss = float(model.loss(X[0], E[0]))
# TensorFlow.js's tf.train.adam(1e-3): beta1 0.9, beta2 0.999, epsilon = the backend's 1e-7
opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)


def step(i):
    opt.zero_grad()
    loss = model.loss(X[i % nb], E[i % nb])
    loss.backward()
    opt.step()
    return loss.item()


step(0)  # one Adam step on batch 0, then batch 1's loss: checks the gradients of every layer too
with torch.no_grad():
    loss_after_step = float(model.loss(X[1 % nb], E[1 % nb]))
for i in range(1, 3):  # warm-up: allocator, Adam state
    step(i)
print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(), "initialLoss": initial_loss, "lossAfterStep": loss_after_step}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    n = int(req["steps"])
    t0 = time.perf_counter()
    for i in range(n):
        loss = step(i)
    ms = (time.perf_counter() - t0) * 1000
    print(json.dumps({"ms": ms, "loss": loss, "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
