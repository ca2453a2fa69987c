"""Writes Tests/NeuralNetTests/Fixtures/resnet_reference.safetensors: a tiny torchvision-style ResNet's
weights, an input batch, and PyTorch's loss, logits and gradients for one training-mode step (cross-entropy
with label smoothing 0.1), for both stems. Python is only needed to regenerate it:
    .venv-torch/bin/python tools/bench/make_reference_fixture.py
"""
import os
import sys

import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(__file__))
from resnet import ResNet  # noqa: E402

torch.manual_seed(0)
out = {}
for stem, shape, depth in [("small", (4, 1, 16, 16), 10), ("imagenet", (4, 2, 48, 64), 18)]:
    model = ResNet(3, depth, shape[1], 4, stem)
    # Non-trivial BN affine parameters so their gradients matter.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    x = torch.randn(*shape)
    y = torch.arange(shape[0]) % 3
    for name, t in model.state_dict().items():
        out[f"{stem}.model.{name}"] = t.clone().float() if t.dtype != torch.int64 else t.clone().float()
    model.train()
    logits = model(x)
    loss = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(logits, y)
    loss.backward()
    out[f"{stem}.input"] = x
    out[f"{stem}.labels"] = y.float()
    out[f"{stem}.logits"] = logits.detach()
    out[f"{stem}.loss"] = loss.detach().reshape(1)
    for name, p in model.named_parameters():
        out[f"{stem}.grad.{name}"] = p.grad.clone()
    for name, t in model.state_dict().items():
        if "running" in name:
            out[f"{stem}.after.{name}"] = t.clone()
path = os.path.join(os.path.dirname(__file__), "../../Tests/NeuralNetTests/Fixtures/resnet_reference.safetensors")
save_file({k: v.contiguous() for k, v in out.items()}, path, metadata={"generator": "tools/bench/make_reference_fixture.py", "torch": torch.__version__})
print(path, os.path.getsize(path), "bytes")
