"""Regenerates the librosa 0.11 reference fixtures for AudioTests.

Run from the repository root with librosa 0.11.0 and soxr installed (e.g. in .venv-audio/):
    .venv-audio/bin/python Tests/AudioTests/Fixtures/make_fixtures.py
Writes raw little-endian float32 files (*.f32) and trim.json beside this script.
"""

import json
import math
import os

import librosa
import numpy as np
import soundfile as sf
import soxr

HERE = os.path.dirname(os.path.abspath(__file__))


def save_f32(name, x):
    np.asarray(x, dtype="<f4").tofile(os.path.join(HERE, name))


# --- Resampler parity: one deterministic 4000-sample signal, read at several native rates. ---
rng = np.random.default_rng(20261128)
n = 4000
i = np.arange(n)
signal = (
    0.4 * np.sin(2 * np.pi * 0.01 * i)
    + 0.2 * np.sin(2 * np.pi * 0.23 * i)  # above the 22.05k/48k Nyquist ratio: must be filtered out
    + 0.1 * np.sin(2 * np.pi * 0.0003 * i * i / 2)  # chirp
    + 0.05 * rng.standard_normal(n)
).astype(np.float32)
save_f32("resample-input.f32", signal)
resample_cases = [(48000, 22050), (44100, 16000), (8000, 22050)]
for a, b in resample_cases:
    y = soxr.resample(signal, a, b, "soxr_hq")
    save_f32(f"resample-{a}-{b}.f32", y)

# --- Loader parity: a stereo float WAV at 48 kHz (the test writes it from these samples). ---
stereo = np.stack([signal, np.roll(signal, 7) * 0.5], axis=1)  # (frames, channels)
save_f32("load-stereo-input.f32", stereo.reshape(-1))
wav = os.path.join(HERE, "_tmp_stereo.wav")
sf.write(wav, stereo, 48000, subtype="FLOAT")
full, _ = librosa.load(wav, sr=22050)
part, _ = librosa.load(wav, sr=22050, offset=0.0123, duration=0.0457)
native, _ = librosa.load(wav, sr=None, offset=0.0123, duration=0.0457)
os.remove(wav)
save_f32("load-48000-22050.f32", full)
save_f32("load-48000-22050-offset.f32", part)
save_f32("load-48000-native-offset.f32", native)


# --- Trimming: signals the Swift test regenerates from the same description. ---
def synthesize(case):
    sr, n = case["sampleRate"], case["length"]
    t = np.arange(n, dtype=np.float64)
    x = np.zeros(n)
    for seg in case["tones"]:
        a, b = seg["start"], seg["end"]
        env = np.zeros(n)
        env[a:b] = 1.0
        fade = seg["fade"]
        if fade > 0:
            ramp = (np.arange(fade) + 1) / fade
            env[a : a + fade] = ramp
            env[b - fade : b] = ramp[::-1]
        x += seg["amplitude"] * env * np.sin(2 * np.pi * seg["frequency"] * t / sr)
    return x.astype(np.float32)


def tone(start, end, amplitude=0.5, frequency=440.0, fade=0):
    return dict(start=start, end=end, amplitude=amplitude, frequency=frequency, fade=fade)


floor = tone(0, 33075, amplitude=2e-4, frequency=50.0)
trim_cases = [
    dict(name="silence-tone-silence", sampleRate=22050, length=33075, tones=[tone(11025, 22050)]),
    dict(name="faded tone", sampleRate=22050, length=33075, tones=[tone(8000, 25000, fade=4000)]),
    dict(name="faded tone top 30", sampleRate=22050, length=33075, tones=[tone(8000, 25000, fade=4000)], topDB=30),
    dict(name="noise floor", sampleRate=22050, length=33075, tones=[floor, tone(10000, 20000)]),
    dict(name="noise floor top 80", sampleRate=22050, length=33075, tones=[floor, tone(10000, 20000)], topDB=80),
    dict(name="short frames", sampleRate=16000, length=20000, tones=[tone(7001, 12345, frequency=300.0)],
         frameLength=1024, hopLength=256),
    dict(name="tone to the end", sampleRate=22050, length=30001, tones=[tone(0, 30001)]),
    dict(name="two bursts", sampleRate=22050, length=44100,
         tones=[tone(5000, 9000, amplitude=0.3), tone(30000, 36000, amplitude=0.8, frequency=880.0)]),
    dict(name="all zeros", sampleRate=22050, length=10000, tones=[]),
]
for case in trim_cases:
    x = synthesize(case)
    top, fl, hop = case.get("topDB", 60), case.get("frameLength", 2048), case.get("hopLength", 512)
    _, (start, end) = librosa.effects.trim(x, top_db=top, frame_length=fl, hop_length=hop)
    rms = librosa.feature.rms(y=x, frame_length=fl, hop_length=hop)[0]
    db = librosa.amplitude_to_db(rms, ref=np.max) if rms.max() > 0 else np.full_like(rms, -999)
    margin = float(np.min(np.abs(db + top)))  # distance of the closest frame from the threshold, in dB
    assert margin > 0.05, (case["name"], margin)
    case.update(topDB=top, frameLength=fl, hopLength=hop, expectedStart=int(start), expectedEnd=int(end),
                marginDB=round(margin, 3))
with open(os.path.join(HERE, "trim.json"), "w") as f:
    json.dump(dict(librosa=librosa.__version__, cases=trim_cases), f, indent=1)
print("versions: librosa", librosa.__version__, "soxr", soxr.__version__, "libsoxr", soxr.__libsoxr_version__)

# --- RAVDESS: a slice of librosa.load of one stereo recording (only when the data is present). ---
RAVDESS = "/work/shared/data/ravdess"
name = "Actor_01/03-01-02-01-01-02-01.flac"
if os.path.exists(os.path.join(RAVDESS, name)):
    y, _ = librosa.load(os.path.join(RAVDESS, name), sr=22050)
    frames = sf.info(os.path.join(RAVDESS, name)).frames
    save_f32("ravdess-03-01-02-01-01-02-01-22050-slice.f32", y[20000:22000])
    with open(os.path.join(HERE, "ravdess.json"), "w") as f:
        json.dump(dict(file=name, frames=frames, length=len(y), sliceStart=20000, sliceEnd=22000), f, indent=1)
