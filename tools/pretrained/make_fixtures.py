#!/usr/bin/env python3
"""Reference fixtures for ser's pretrained starting points (model.init with a torchvision ResNet checkpoint).

    python3 tools/pretrained/make_fixtures.py                  # rewrites Tests/NeuralNetTests/Fixtures/pretrained*
    python3 tools/pretrained/make_fixtures.py --checkpoints DIR  # also writes full ResNet-18/34 safetensors to DIR

Needs numpy only. Weights are not random draws but a formula of the tensor's name and the element's index
(FNV-1a of the name, splitmix64 of the index; `weight()` below), which Tests/NeuralNetTests/PretrainedTests.swift
computes bit-for-bit in Swift, so the committed fixtures hold outputs only, never the 21 M weights of a ResNet-34:

* pretrained_outputs.json: for torchvision's ResNet-18 and ResNet-34 (3-channel 7x7 stem, width 64, 1000-class
  fc, BatchNorm in eval mode), the 512 pooled features (the input of fc) of two inputs whose three RGB channels
  are the same 1-channel image. ser sums conv1 over RGB (fastai's rule) and feeds the 1-channel image, so its
  features must be these. The forward pass is a float64 numpy transcription of torchvision's ResNet
  (torchvision/models/resnet.py: conv1 7x7/2 pad 3, bn1, relu, maxpool 3/2 pad 1, BasicBlocks with the stride on
  conv1 and a 1x1 downsample, adaptive average pool).
* tools/fuzz/safetensors/corpus/torch-state-dict.pth: three tensors in the same format, a fuzzing seed.
* pretrained_tiny.pth: a ResNet-10 of width 4 (3 input channels, 5 classes) in PyTorch's zip .pth format, written
  as torch.save writes a state dict (protocol-2 pickle of an OrderedDict with _metadata, tensors rebuilt by
  torch._utils._rebuild_tensor_v2 from persistent storages in archive/data/<key>), for ser's .pth reader.

PyTorch and torchvision are not needed: PyPI's Linux torch wheel pulls the CUDA libraries (gigabytes), which is
impractical on the project's machines and in CI. With torch installed, `--check-torch` compares the numpy forward
with torchvision's own models loaded from the same weights.
"""
import argparse
import collections
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile

import numpy as np

MASK = (1 << 64) - 1
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "../../Tests/NeuralNetTests/Fixtures")


def fnv1a(name):
    h = 0xCBF29CE484222325
    for b in name.encode():
        h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def uniform(name, count):
    """count doubles in [0, 1): splitmix64 of fnv1a(name) + (i + 1) * golden gamma."""
    with np.errstate(over="ignore"):
        i = np.arange(1, count + 1, dtype=np.uint64)
        z = np.uint64(fnv1a(name)) + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def bounds(name, shape):
    """The interval a tensor's values are drawn from (by its torchvision name)."""
    if name.endswith("running_var") or (name.endswith(".weight") and len(shape) == 1):
        return 0.5, 1.5  # BatchNorm scale and variance
    if name.endswith("running_mean") or (name.endswith(".bias") and not name.startswith("fc.")):
        return -0.2, 0.2
    fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 512
    a = (6.0 / fan_in) ** 0.5 if len(shape) == 4 else 1.0 / fan_in**0.5
    return -a, a


def weight(name, shape):
    if name.endswith("num_batches_tracked"):
        return np.zeros(shape, dtype=np.int64)
    lo, hi = bounds(name, shape)
    count = int(np.prod(shape)) if shape else 1
    return (lo + (hi - lo) * uniform(name, count)).astype(np.float32).reshape(shape)


def resnet_shapes(blocks, width=64, in_channels=3, classes=1000):
    """torchvision's state_dict names and shapes (BasicBlock ResNets), in its order."""
    shapes = collections.OrderedDict()

    def bn(prefix, c):
        for suffix in ("weight", "bias", "running_mean", "running_var"):
            shapes[f"{prefix}.{suffix}"] = (c,)
        shapes[f"{prefix}.num_batches_tracked"] = ()

    shapes["conv1.weight"] = (width, in_channels, 7, 7)
    bn("bn1", width)
    channels = width
    for stage, count in enumerate(blocks):
        planes = width << stage
        for b in range(count):
            stride = 2 if stage > 0 and b == 0 else 1
            p = f"layer{stage + 1}.{b}"
            shapes[f"{p}.conv1.weight"] = (planes, channels, 3, 3)
            bn(f"{p}.bn1", planes)
            shapes[f"{p}.conv2.weight"] = (planes, planes, 3, 3)
            bn(f"{p}.bn2", planes)
            if stride != 1 or channels != planes:
                shapes[f"{p}.downsample.0.weight"] = (planes, channels, 1, 1)
                bn(f"{p}.downsample.1", planes)
            channels = planes
    shapes["fc.weight"] = (classes, channels)
    shapes["fc.bias"] = (classes,)
    return shapes


def state(blocks, **kwargs):
    return collections.OrderedDict((n, weight(n, s)) for n, s in resnet_shapes(blocks, **kwargs).items())


# --- torchvision's forward pass in float64 numpy ---------------------------------------------------------


def conv(x, w, stride, pad):
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - k) // stride + 1, (wd + 2 * pad - k) // stride + 1
    cols = np.empty((n, c, k, k, oh, ow))
    for i in range(k):
        for j in range(k):
            cols[:, :, i, j] = xp[:, :, i : i + stride * oh : stride, j : j + stride * ow : stride]
    return np.einsum("ncijhw,ocij->nohw", cols, w.astype(np.float64), optimize=True)


def bn(x, s, p, eps=1e-5):
    g, b = s[p + ".weight"].astype(np.float64), s[p + ".bias"].astype(np.float64)
    m, v = s[p + ".running_mean"].astype(np.float64), s[p + ".running_var"].astype(np.float64)
    return (x - m[None, :, None, None]) / np.sqrt(v[None, :, None, None] + eps) * g[None, :, None, None] + b[
        None, :, None, None
    ]


def maxpool(x):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    oh, ow = (h + 2 - 3) // 2 + 1, (w + 2 - 3) // 2 + 1
    out = np.full((n, c, oh, ow), -np.inf)
    for i in range(3):
        for j in range(3):
            out = np.maximum(out, xp[:, :, i : i + 2 * oh : 2, j : j + 2 * ow : 2])
    return out


def features(s, blocks, x):
    relu = lambda t: np.maximum(t, 0)  # noqa: E731
    y = maxpool(relu(bn(conv(x, s["conv1.weight"], 2, 3), s, "bn1")))
    for stage, count in enumerate(blocks):
        for b in range(count):
            p = f"layer{stage + 1}.{b}"
            stride = 2 if stage > 0 and b == 0 else 1
            out = relu(bn(conv(y, s[p + ".conv1.weight"], stride, 1), s, p + ".bn1"))
            out = bn(conv(out, s[p + ".conv2.weight"], 1, 1), s, p + ".bn2")
            if p + ".downsample.0.weight" in s:
                y = bn(conv(y, s[p + ".downsample.0.weight"], stride, 0), s, p + ".downsample.1")
            y = relu(out + y)
    return y.mean(axis=(2, 3))


# --- writers ------------------------------------------------------------------------------------------------


def write_safetensors(tensors, path):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        data = np.ascontiguousarray(t).astype("<i8" if t.dtype == np.int64 else "<f4").tobytes()
        header[name] = {
            "dtype": "I64" if t.dtype == np.int64 else "F32",
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def write_pth(tensors, path, archive="pretrained_tiny"):
    """The zip .pth torch.save writes, made with stand-ins for torch's globals (nothing of torch is run)."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):  # pragma: no cover - only pickled by reference
        raise RuntimeError("stand-in")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    storages = {}
    for kind in ("FloatStorage", "LongStorage"):
        cls = type(kind, (), {"__module__": "torch", "__qualname__": kind})
        setattr(torch, kind, cls)
        storages[kind] = cls
    torch._utils = utils
    saved = {k: sys.modules.get(k) for k in ("torch", "torch._utils")}
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils

    class Storage:
        def __init__(self, key, kind, count):
            self.key, self.kind, self.count = key, kind, count

    class Tensor:
        def __init__(self, storage, shape):
            self.storage, self.shape = storage, shape

        def __reduce__(self):
            stride = tuple(int(np.prod(self.shape[i + 1 :])) for i in range(len(self.shape)))
            return (_rebuild_tensor_v2, (self.storage, 0, tuple(self.shape), stride, False, collections.OrderedDict()))

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ("storage", storages[obj.kind], obj.key, "cpu", obj.count)
            return None

    dictionary = collections.OrderedDict()
    dictionary._metadata = collections.OrderedDict([("", {"version": 1})])
    blobs = {}
    for key, (name, t) in enumerate(tensors.items()):
        kind = "LongStorage" if t.dtype == np.int64 else "FloatStorage"
        blobs[str(key)] = np.ascontiguousarray(t).astype("<i8" if kind == "LongStorage" else "<f4").tobytes()
        dictionary[name] = Tensor(Storage(str(key), kind, t.size), list(t.shape))
    buffer = io.BytesIO()
    try:
        Pickler(buffer, protocol=2).dump(dictionary)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:

        def add(name, data):  # a fixed date, so the same tensors give the same bytes
            z.writestr(zipfile.ZipInfo(f"{archive}/{name}", date_time=(1980, 1, 1, 0, 0, 0)), data)

        add("data.pkl", buffer.getvalue())
        add("byteorder", "little")
        for key, data in blobs.items():
            add(f"data/{key}", data)
        add("version", "3\n")


DEPTHS = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3]}
INPUT_SHAPE = (2, 1, 64, 48)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoints", help="also write resnet18/34 safetensors checkpoints to this folder")
    parser.add_argument("--check-torch", action="store_true", help="compare with torchvision (needs torch)")
    args = parser.parse_args()
    image = (uniform("input", int(np.prod(INPUT_SHAPE))) * 2 - 1).astype(np.float32).astype(np.float64)
    image = image.reshape(INPUT_SHAPE)  # values in [-1, 1), the same in Swift
    rgb = np.repeat(image, 3, axis=1)
    outputs = {"input_name": "input", "input_shape": list(INPUT_SHAPE), "models": {}}
    for depth, blocks in DEPTHS.items():
        s = state(blocks)
        f = features(s, blocks, rgb)
        outputs["models"][f"resnet{depth}"] = {"features": [[float(np.float32(v)) for v in row] for row in f]}
        if args.checkpoints:
            os.makedirs(args.checkpoints, exist_ok=True)
            write_safetensors(s, os.path.join(args.checkpoints, f"resnet{depth}.safetensors"))
        if args.check_torch:
            import torch
            import torchvision

            model = getattr(torchvision.models, f"resnet{depth}")()
            model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in s.items()})
            model.fc = torch.nn.Identity()
            model.eval()
            with torch.no_grad():
                t = model(torch.from_numpy(rgb.astype(np.float32))).numpy()
            print(f"resnet{depth}: largest |torchvision - numpy| = {np.abs(t - f).max():.3g}")
        print(f"resnet{depth}: features {f.shape}, mean {f.mean():.4f}")
    with open(os.path.join(FIXTURES, "pretrained_outputs.json"), "w") as out:
        json.dump(outputs, out, indent=None, separators=(",", ":"))
        out.write("\n")
    write_pth(state([1, 1, 1, 1], width=4, classes=5), os.path.join(FIXTURES, "pretrained_tiny.pth"))
    # A small seed for the fuzzer of model.init files (tools/fuzz/safetensors reads .pth too).
    seed = collections.OrderedDict(
        (n, weight(n, s)) for n, s in [("conv1.weight", (2, 3, 1, 1)), ("bn1.num_batches_tracked", ()), ("fc.bias", (2,))]
    )
    write_pth(seed, os.path.join(HERE, "../fuzz/safetensors/corpus/torch-state-dict.pth"), archive="archive")
    print("wrote", os.path.normpath(FIXTURES))


if __name__ == "__main__":
    main()
