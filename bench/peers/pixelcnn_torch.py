#!/usr/bin/python3
"""PyTorch peer of bench/workloads/pixelcnn.ts: the same PixelCNN as latentlab's recipe
"pixelcnn-mnist" (7x7 mask-A convolution, residual blocks [ReLU, 1x1 C->C/2, ReLU, 3x3 mask B,
ReLU, 1x1 C/2->C] + skip, ReLU, 1x1 C->C, ReLU, 1x1 C->1; Bernoulli logits), PyTorch's default
initialization (the same U(-1/sqrt(fan_in), 1/sqrt(fan_in)) as latentlab's), Adam, dynamic
binarization (a fresh Bernoulli draw per batch), evaluated on the fixed binarized test digits the
TypeScript workload wrote.

  --mode quality   train --epochs on the training digits, print the test NLL (nats per image)
  --mode step      time --steps training steps of batch --batch, print images/s
  --mode sample    time drawing --n samples pixel by pixel (one full network pass per pixel)

Prints one JSON line. Run with Debian's /usr/bin/python3 (python3-torch).
"""
import blas_threads  # noqa: F401  (first: pins OpenBLAS's threads to --threads before numpy/torch load it)
import argparse, json, math, os, resource, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
ap.add_argument("--mode", choices=["quality", "step", "sample"], default="quality")
ap.add_argument("--epochs", type=int, default=4)
ap.add_argument("--batch", type=int, default=64)
ap.add_argument("--lr", type=float, default=2e-3)
ap.add_argument("--channels", type=int, default=32)
ap.add_argument("--blocks", type=int, default=4)
ap.add_argument("--steps", type=int, default=20)
ap.add_argument("--n", type=int, default=16)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
D = 784


class MaskedConv(nn.Conv2d):
    def __init__(self, cin, cout, k, mask_type):
        super().__init__(cin, cout, k, padding=k // 2)
        m = torch.ones_like(self.weight)
        c = k // 2
        m[:, :, c, c + (1 if mask_type == "B" else 0):] = 0
        m[:, :, c + 1:, :] = 0
        self.register_buffer("mask", m)

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class PixelCNN(nn.Module):
    def __init__(self, C, L):
        super().__init__()
        self.conv0 = MaskedConv(1, C, 7, "A")
        self.blocks = nn.ModuleList([nn.ModuleList([nn.Conv2d(C, C // 2, 1), MaskedConv(C // 2, C // 2, 3, "B"), nn.Conv2d(C // 2, C, 1)]) for _ in range(L)])
        self.head0 = nn.Conv2d(C, C, 1)
        self.head1 = nn.Conv2d(C, 1, 1)

    def forward(self, x):
        h = self.conv0(x)
        for a, b, c in self.blocks:
            h = h + c(F.relu(b(F.relu(a(F.relu(h))))))
        return self.head1(F.relu(self.head0(F.relu(h))))


def nll(model, x):
    return F.binary_cross_entropy_with_logits(model(x), x, reduction="none").sum((1, 2, 3))


model = PixelCNN(args.channels, args.blocks)
params = sum(p.numel() for p in model.parameters())
train = torch.from_numpy(np.fromfile(os.path.join(args.data, "train_f32.bin"), dtype=np.float32).reshape(-1, 1, 28, 28))
test = torch.from_numpy(np.fromfile(os.path.join(args.data, "test_bin_u8.bin"), dtype=np.uint8).astype(np.float32).reshape(-1, 1, 28, 28))
opt = torch.optim.Adam(model.parameters(), lr=args.lr)
gen = torch.Generator().manual_seed(args.seed + 1)
out = {"peer": f"PyTorch {torch.__version__}, {args.threads} threads", "parameters": params}

def step(xb):
    xb = torch.bernoulli(xb, generator=gen)
    loss = nll(model, xb).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    return loss.item()

if args.mode == "quality":
    n = train.shape[0]
    t0 = time.time()
    hist = []
    for ep in range(args.epochs):
        perm = torch.randperm(n, generator=gen)
        tot = 0.0
        for s in range(0, n, args.batch):
            idx = perm[s:s + args.batch]
            tot += step(train[idx]) * len(idx)
        hist.append(tot / n)
    secs = time.time() - t0
    model.eval()
    with torch.no_grad():
        v = torch.cat([nll(model, test[s:s + 250]) for s in range(0, test.shape[0], 250)])
    out.update({"epochs": args.epochs, "trainNll": hist, "testNll": v.mean().item(), "testNllSe": (v.std() / math.sqrt(len(v))).item(),
                "trainSeconds": secs, "trainImagesPerSec": n * args.epochs / secs})
elif args.mode == "step":
    xb = train[: args.batch]
    for _ in range(3): step(xb)
    t0 = time.time()
    for _ in range(args.steps): step(xb)
    secs = time.time() - t0
    out.update({"steps": args.steps, "seconds": secs, "imagesPerSec": args.batch * args.steps / secs})
else:
    model.eval()
    x = torch.zeros(args.n, 1, 28, 28)
    t0 = time.time()
    with torch.no_grad():
        for i in range(D):
            r, c = divmod(i, 28)
            p = torch.sigmoid(model(x)[:, 0, r, c])
            x[:, 0, r, c] = torch.bernoulli(p, generator=gen)
    out.update({"n": args.n, "seconds": time.time() - t0, "passes": D})
out["peakRssMB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
