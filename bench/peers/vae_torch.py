#!/usr/bin/python3
"""PyTorch peer of bench/workloads/vae.ts: the same VAE (784-400-20 ReLU, Bernoulli decoder,
analytic KL), the same split, the same dynamic-binarization scheme, Adam 1e-3, batch 128.

Reads the data the TypeScript workload wrote (train grey images, fixed binarized test images,
split indices and seed) from --data, trains, and prints one JSON line with the test ELBO, the
IWAE (k) log-likelihood and training images/s. Run with Debian's /usr/bin/python3 (python3-torch).
"""
import blas_threads  # noqa: F401  (first: pins OpenBLAS's threads to --threads before numpy/torch load it)
import argparse, json, math, os, resource, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
ap.add_argument("--epochs", type=int, default=30)
ap.add_argument("--k", type=int, default=1000)
ap.add_argument("--threads", type=int, default=1)
args = ap.parse_args()

meta = json.load(open(os.path.join(args.data, "split.json")))
torch.set_num_threads(args.threads)
torch.manual_seed(meta["seed"])
D, H, Z = meta["dataDim"], meta["hidden"], meta["latentDim"]
train = torch.from_numpy(np.fromfile(os.path.join(args.data, "train_f32.bin"), dtype=np.float32).reshape(-1, D))
test = torch.from_numpy(np.fromfile(os.path.join(args.data, "test_bin_u8.bin"), dtype=np.uint8).astype(np.float32).reshape(-1, D))
assert train.shape[0] == len(meta["trainIndices"]) and test.shape[0] == len(meta["testIndices"])


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.h = nn.Linear(D, H); self.mu = nn.Linear(H, Z); self.lv = nn.Linear(H, Z)
        self.dh = nn.Linear(Z, H); self.out = nn.Linear(H, D)

    def encode(self, x):
        h = F.relu(self.h(x)); return self.mu(h), self.lv(h)

    def decode(self, z):
        return self.out(F.relu(self.dh(z)))  # Bernoulli logits


def log_px(logits, x):  # sum_j x l - softplus(l) = -BCE
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)


model = VAE()
opt = torch.optim.Adam(model.parameters(), lr=meta["learningRate"])
B = meta["batchSize"]
n = train.shape[0]
t_train = 0.0
for epoch in range(args.epochs):
    t0 = time.perf_counter()
    perm = torch.randperm(n)
    tot = 0.0
    for s in range(0, n, B):
        x = torch.bernoulli(train[perm[s:s + B]])  # dynamic binarization, fresh each batch
        mu, lv = model.encode(x)
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
        rec = log_px(model.decode(z), x)
        kl = 0.5 * (lv.exp() + mu ** 2 - 1 - lv).sum(-1)
        loss = (kl - rec).mean()
        opt.zero_grad(); loss.backward(); opt.step()
        tot += loss.item() * x.shape[0]
    t_train += time.perf_counter() - t0

model.eval()
with torch.no_grad():
    mu, lv = model.encode(test)
    z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
    rec = log_px(model.decode(z), test)
    kl = 0.5 * (lv.exp() + mu ** 2 - 1 - lv).sum(-1)
    elbo = (rec - kl).mean().item()
    # IWAE: log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x), in chunks
    k = args.k
    ll = []
    for i in range(test.shape[0]):
        x = test[i:i + 1]
        m, v = mu[i:i + 1], lv[i:i + 1]
        eps = torch.randn(k, Z)
        zz = m + torch.exp(0.5 * v) * eps
        lw = log_px(model.decode(zz), x.expand(k, D)) \
            - 0.5 * (zz ** 2 + math.log(2 * math.pi)).sum(-1) \
            + 0.5 * (v + eps ** 2 + math.log(2 * math.pi)).sum(-1)
        ll.append((torch.logsumexp(lw, 0) - math.log(k)).item())
    ll = np.array(ll)

print(json.dumps({
    "peer": f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s)",
    "epochs": args.epochs, "trainLossLastEpoch": tot / n,
    "testElbo": elbo, "testReconstruction": -rec.mean().item(), "testKl": kl.mean().item(),
    "iwae": float(ll.mean()), "iwaeSE": float(ll.std(ddof=1) / math.sqrt(len(ll))), "k": k,
    "trainImagesPerSec": n * args.epochs / t_train, "trainSeconds": t_train,
    "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
