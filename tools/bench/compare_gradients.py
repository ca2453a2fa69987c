"""Cross-checks ser's NeuralNet against PyTorch on one training step.

Usage: SER_NN_REFERENCE_DIR=/tmp/nnref swift test --disable-swift-testing --filter ReferenceDumpTests
       .venv-torch/bin/python tools/bench/compare_gradients.py /tmp/nnref
The Swift test writes model.safetensors (weights before the step), batch.safetensors (input, labels),
grads.safetensors (gradients and loss) and after.safetensors (weights + running stats after one AdamW step);
this script loads the same weights into the PyTorch model, repeats the step and prints the largest differences.
"""
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from resnet import ResNet  # noqa: E402

d = sys.argv[1]
batch = load_file(f"{d}/batch.safetensors")
grads = load_file(f"{d}/grads.safetensors")
after = load_file(f"{d}/after.safetensors")
state = load_file(f"{d}/model.safetensors")
meta = {k: v for k, v in [line.split("=") for line in open(f"{d}/config.txt").read().split()]}
model = ResNet(int(meta["classes"]), int(meta["depth"]), int(meta["in_channels"]), int(meta["width"]), meta["stem"])
model.load_state_dict(state, strict=True)
model.train()
x, y = batch["input"], batch["labels"].long()
loss = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(model(x), y)
loss.backward()
print(f"loss: torch {loss.item():.6f}  ser {grads['loss'].item():.6f}")
worst = 0.0
for name, p in model.named_parameters():
    g = grads["grad." + name]
    err = ((p.grad - g).norm() / (p.grad.norm() + g.norm() + 1e-12)).item()
    worst = max(worst, err)
    if err > 1e-3:
        print(f"  {name}: relative gradient difference {err:.2e}")
print(f"largest relative gradient difference: {worst:.2e}")
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99), eps=1e-5, weight_decay=0.01)
# fastai: no weight decay on BatchNorm and bias parameters.
decay = [p for n, p in model.named_parameters() if n.endswith("weight") and p.dim() > 1]
no_decay = [p for n, p in model.named_parameters() if not (n.endswith("weight") and p.dim() > 1)]
opt = torch.optim.AdamW([{"params": decay}, {"params": no_decay, "weight_decay": 0}], lr=1e-3, betas=(0.9, 0.99),
                        eps=1e-5, weight_decay=0.01)
opt.step()
worst = 0.0
for name, t in model.state_dict().items():
    diff = (t.float() - after[name].float()).abs().max().item()
    worst = max(worst, diff)
    if diff > 1e-4:
        print(f"  {name}: max abs difference after step {diff:.2e}")
print(f"largest absolute state difference after one AdamW step: {worst:.2e}")
