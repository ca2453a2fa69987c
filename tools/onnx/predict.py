#!/usr/bin/env python3
"""Reproduce `ser predict` with librosa and ONNX Runtime, from an ONNX file written by
`ser export --format onnx` (docs/models.md).

    pip install onnxruntime librosa numpy
    python tools/onnx/predict.py model.onnx clip.wav [more.wav ...]

Everything it needs is in the model's metadata_props: `features` (the log-mel parameters), `audio` (rate,
silence trimming, frames) and `labels`. The graph itself normalises its input and averages an ensemble's
members, so this script only computes the log-mel matrix and centre-crops or pads it to `frames`.
"""
import json
import sys

import numpy as np


def load_model(path):
    import onnxruntime as ort

    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    if meta.get("format") != "ser-onnx":
        sys.exit(f"{path}: not an ONNX model written by `ser export --format onnx` (no format 'ser-onnx')")
    return session, json.loads(meta["features"]), json.loads(meta["audio"]), json.loads(meta["labels"])


def features_of(path, f, audio):
    """The log-mel (or MFCC, with deltas) matrix of ser's FeatureParameters `f`: rows x frames."""
    import librosa

    y, sr = librosa.load(path, sr=audio["sample_rate"], mono=True)
    if audio.get("trim_db") is not None and y.size:
        trimmed, _ = librosa.effects.trim(y, top_db=audio["trim_db"])
        if trimmed.size:
            y = trimmed
    s = librosa.feature.melspectrogram(
        y=y, sr=sr, n_fft=f["nFFT"], hop_length=f["hopLength"], win_length=f.get("winLength"),
        center=f["center"], pad_mode="constant", power=f["power"], n_mels=f["nMels"], fmin=f["fmin"],
        fmax=f.get("fmax"), htk=f["htk"], norm="slaney" if f["norm"] == "slaney" else None)
    m = s
    if f["toDB"]:
        ref = np.max if f["ref"] == "max" else f["ref"]
        to_db = librosa.power_to_db if f["power"] == 2 else librosa.amplitude_to_db
        m = to_db(s, ref=ref, amin=f["amin"], top_db=f.get("topDB"))
    if f.get("nMFCC"):
        m = librosa.feature.mfcc(S=m, n_mfcc=f["nMFCC"])
    parts = [m]
    for order in range(1, f.get("deltas", 0) + 1):
        parts.append(librosa.feature.delta(m, width=f["deltaWidth"], order=order))
    return np.concatenate(parts, axis=0).astype(np.float32)


def fitted(m, frames):
    """ser's centre crop, or centre pad with each row's minimum (the dB floor)."""
    n = m.shape[1]
    if n == frames:
        return m
    start = abs(n - frames) // 2
    if n > frames:
        return m[:, start:start + frames]
    out = np.repeat(m.min(axis=1, keepdims=True), frames, axis=1)
    out[:, start:start + n] = m
    return out


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    session, f, audio, labels = load_model(argv[1])
    for path in argv[2:]:
        x = fitted(features_of(path, f, audio), audio["frames"])[None, None]
        p = session.run(["probabilities"], {"logmel": x})[0][0]
        order = np.argsort(-p, kind="stable")[:3]
        print(path, labels[order[0]], ", ".join(f"{labels[i]} {p[i]:.3f}" for i in order), sep="\t")


if __name__ == "__main__":
    main(sys.argv)
