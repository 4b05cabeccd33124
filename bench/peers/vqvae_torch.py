#!/usr/bin/python3
"""PyTorch peer of bench/workloads/vqvae.ts: keras-io's vq_vae.py configuration (encoder 3x3
stride-2 convolutions 1->32->64, 1x1 to 16-d latents, K = 128 codes, beta = 0.25, Adam 1e-3,
batch 128, pixels centred to [-0.5, 0.5], loss MSE/Var + codebook + beta * commitment, codebook
drawn from U(-1/K, 1/K) and learnt by the loss, no restarts), on the split the TypeScript
workload wrote to --data.

  --mode quality: train --epochs epochs, print one JSON line with held-out MSE, MSE/Var, codes
                  used, codebook perplexity and training images/s;
  --mode step:    time --steps training steps on the first --steps batches (same rows, same
                  order as ours; --batches n cycles through the first n), print images/s;
                  --threads sets torch.set_num_threads.
Run with Debian's /usr/bin/python3 (python3-torch). Transposed convolutions use padding=1,
output_padding=1 (the same output size as TensorFlow's "same"; the kernel alignment differs by one pixel).
"""
import blas_threads  # noqa: F401  (first: pins OpenBLAS's threads to --threads before numpy/torch load it)
import argparse, json, math, os, resource, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
ap.add_argument("--mode", choices=["quality", "step"], default="quality")
ap.add_argument("--epochs", type=int, default=8)
ap.add_argument("--steps", type=int, default=10)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--batches", type=int, default=0, help="step mode: cycle through the first this many batches (default: --steps)")
args = ap.parse_args()

meta = json.load(open(os.path.join(args.data, "meta.json")))
torch.set_num_threads(args.threads)
torch.manual_seed(meta["seed"])
K, I, B, beta = meta["numCodes"], meta["latentDim"], meta["batchSize"], meta["beta"]
c1, c2 = meta["channels"]
train = torch.from_numpy(np.fromfile(os.path.join(args.data, "train_f32.bin"), dtype=np.float32).reshape(-1, 1, 28, 28))
test = torch.from_numpy(np.fromfile(os.path.join(args.data, "test_f32.bin"), dtype=np.float32).reshape(-1, 1, 28, 28))
var = float(meta["dataVariance"])


class VQVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.e1 = nn.Conv2d(1, c1, 3, stride=2, padding=1)
        self.e2 = nn.Conv2d(c1, c2, 3, stride=2, padding=1)
        self.e3 = nn.Conv2d(c2, I, 1)
        self.d1 = nn.ConvTranspose2d(I, c2, 3, stride=2, padding=1, output_padding=1)
        self.d2 = nn.ConvTranspose2d(c2, c1, 3, stride=2, padding=1, output_padding=1)
        self.d3 = nn.ConvTranspose2d(c1, 1, 3, stride=1, padding=1)
        self.codebook = nn.Parameter(torch.empty(K, I).uniform_(-1.0 / K, 1.0 / K))

    def encode(self, x):
        return self.e3(F.relu(self.e2(F.relu(self.e1(x - 0.5)))))

    def quantize(self, L):
        flat = L.permute(0, 2, 3, 1).reshape(-1, I)
        d2 = (flat * flat).sum(1, keepdim=True) - 2 * flat @ self.codebook.t() + (self.codebook * self.codebook).sum(1)[None]
        codes = d2.argmin(1)
        q = self.codebook[codes].reshape(L.shape[0], L.shape[2], L.shape[3], I).permute(0, 3, 1, 2)
        return codes, q

    def decode(self, q):
        return self.d3(F.relu(self.d2(F.relu(self.d1(q))))) + 0.5

    def loss(self, x):
        L = self.encode(x)
        codes, q = self.quantize(L)
        st = L + (q - L).detach()
        rec = F.mse_loss(self.decode(st), x) / var
        return rec + F.mse_loss(q, L.detach()) + beta * F.mse_loss(L, q.detach())


model = VQVAE()
opt = torch.optim.Adam(model.parameters(), lr=meta["learningRate"])
n = train.shape[0]


def step(x):
    opt.zero_grad()
    l = model.loss(x)
    l.backward()
    opt.step()
    return float(l)


if args.mode == "step":
    nb = args.batches or args.steps
    batches = [train[s * B:(s + 1) * B] for s in range(nb + 1)]
    step(batches[-1])  # warm-up
    t0 = time.perf_counter()
    for s in range(args.steps):
        step(batches[s % nb])
    t = time.perf_counter() - t0
    print(json.dumps({"peer": f"torch {torch.__version__}", "threads": args.threads, "steps": args.steps, "seconds": t,
                      "imagesPerSec": args.steps * B / t, "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
else:
    t_train = 0.0
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        for s in range(0, n, B):
            step(train[perm[s:s + B]])
        t_train += time.perf_counter() - t0
    with torch.no_grad():
        L = model.encode(test)
        codes, q = model.quantize(L)
        mse = float(F.mse_loss(model.decode(q), test))
        counts = torch.bincount(codes, minlength=K).double()
        p = counts[counts > 0] / counts.sum()
        perplexity = float(torch.exp(-(p * p.log()).sum()))
    print(json.dumps({"peer": f"torch {torch.__version__}", "threads": args.threads, "epochs": args.epochs, "testMse": mse, "testMseOverVariance": mse / var,
                      "testCodesUsed": int((counts > 0).sum()), "testPerplexity": perplexity, "trainSeconds": t_train,
                      "trainImagesPerSec": n * args.epochs / t_train, "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
