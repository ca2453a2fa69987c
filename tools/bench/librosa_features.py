#!/usr/bin/env python3
"""librosa's side of `ser bench features`: load + resample + log-mel with the notebook's parameters.

    .venv-features/bin/python tools/bench/librosa_features.py ../shared/data/ravdess [--limit N] [--jobs 2]

Each file: librosa.load(path, sr=22050) (mono, soxr_hq), melspectrogram(n_fft=1024, hop_length=100,
n_mels=128), power_to_db(ref=np.max). Files are spread over --jobs worker processes (default: all
cores), as a researcher would with multiprocessing. Prints files/s and peak RSS: the parent's and
the largest worker's (ru_maxrss), and their sum as an upper bound of the footprint.
"""
import argparse
import multiprocessing
import os
import resource
import sys
import time

AUDIO = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif")


def files_under(root):
    found = []
    for directory, _, names in os.walk(root):
        found += [os.path.join(directory, n) for n in names if n.lower().endswith(AUDIO)]
    return sorted(found)


def features(path):
    import librosa
    import numpy as np
    y, sr = librosa.load(path, sr=22050)
    S = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=1024, hop_length=100, n_mels=128)
    db = librosa.power_to_db(S, ref=np.max)
    return db.shape[1]


def warm_up():
    import librosa  # noqa: F401  (import cost is not part of the per-file figure)
    import numpy as np
    librosa.feature.melspectrogram(y=np.zeros(22050, dtype=np.float32), sr=22050, n_fft=1024, hop_length=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
    paths = files_under(args.directory)[: args.limit]
    if not paths:
        sys.exit(f"no audio files under {args.directory}")
    import librosa

    def cpu():
        return sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
                   for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))

    if args.jobs > 1:
        with multiprocessing.Pool(args.jobs, initializer=warm_up) as pool:
            pool.map(abs, range(args.jobs))  # start the workers before timing
            start = time.perf_counter()
            frames = sum(pool.imap_unordered(features, paths, chunksize=8))
            seconds = time.perf_counter() - start
        # Worker CPU time reaches RUSAGE_CHILDREN only once the pool's processes have exited.
        cpu_seconds = cpu()
    else:
        warm_up()
        cpu_start = cpu()
        start = time.perf_counter()
        frames = sum(map(features, paths))
        seconds = time.perf_counter() - start
        cpu_seconds = cpu() - cpu_start
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"librosa {librosa.__version__}: {len(paths)} files, {frames} frames in {seconds:.2f} s "
          f"with {args.jobs} process(es)")
    print(f"files/s     {len(paths) / seconds:.1f}")
    print(f"CPU         {cpu_seconds / len(paths) * 1000:.1f} ms per file (user + system, all processes"
          f"{', including worker start-up' if args.jobs > 1 else ''})")
    if args.jobs > 1:
        print(f"peak RSS    parent {parent:.0f} MB, largest worker {child:.0f} MB "
              f"(total <= {parent + child * args.jobs:.0f} MB)")
    else:
        print(f"peak RSS    {parent:.0f} MB")


if __name__ == "__main__":
    main()
