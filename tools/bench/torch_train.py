"""PyTorch counterpart of `ser bench train`: same ResNet (tools/bench/resnet.py), same input size, AdamW
with fastai's settings, CPU threads fixed. Prints training and inference samples/s and peak RSS.

    .venv-torch/bin/python tools/bench/torch_train.py --depth 18 --mels 128 --frames 256 --batch 32
"""
import argparse
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(__file__))
from resnet import ResNet  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--depth", type=int, default=18)
ap.add_argument("--mels", type=int, default=128)
ap.add_argument("--frames", type=int, default=256)
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--width", type=int, default=64)
ap.add_argument("--classes", type=int, default=8)
ap.add_argument("--stem", default="imagenet")
ap.add_argument("--steps", type=int, default=5)
ap.add_argument("--threads", type=int, default=os.cpu_count())
args = ap.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(1)
model = ResNet(args.classes, args.depth, 1, args.width, args.stem)
x = torch.randn(args.batch, 1, args.mels, args.frames)
y = torch.arange(args.batch) % args.classes
decay = [p for n, p in model.named_parameters() if n.endswith("weight") and p.dim() > 1]
rest = [p for n, p in model.named_parameters() if not (n.endswith("weight") and p.dim() > 1)]
opt = torch.optim.AdamW([{"params": decay}, {"params": rest, "weight_decay": 0}], lr=1e-3, betas=(0.9, 0.99),
                        eps=1e-5, weight_decay=0.01)
loss_fn = torch.nn.CrossEntropyLoss()


def step():
    opt.zero_grad(set_to_none=True)
    loss_fn(model(x), y).backward()
    opt.step()


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


model.train()
step()
t, c = time.perf_counter(), cpu()
for _ in range(args.steps):
    step()
train = args.batch * args.steps / (time.perf_counter() - t)
train_cpu = (cpu() - c) / args.steps
model.eval()
with torch.no_grad():
    model(x)
    t, c = time.perf_counter(), cpu()
    for _ in range(args.steps):
        model(x)
    infer = args.batch * args.steps / (time.perf_counter() - t)
    infer_cpu = (cpu() - c) / args.steps
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"model      ResNet-{args.depth} ({args.stem} stem, width {args.width}, {args.classes} classes), PyTorch {torch.__version__}")
print(f"input      {args.batch}×1×{args.mels}×{args.frames}")
print(f"threads    {torch.get_num_threads()}")
print(f"training   {train:.2f} samples/s (forward + backward + AdamW)")
print(f"inference  {infer:.2f} samples/s")
print(f"peak RSS   {rss:.0f} MiB")
print(f"CPU time   {train_cpu:.2f} s per training step, {infer_cpu:.2f} s per inference batch (all threads)")
