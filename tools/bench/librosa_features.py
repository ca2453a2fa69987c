#!/usr/bin/env python3
"""librosa's side of `ser bench features`: load + resample + log-mel with the notebook's parameters.

    .venv-features/bin/python tools/bench/librosa_features.py ../shared/data/ravdess [--limit N] [--jobs 2]

Each file: librosa.load(path, sr=22050) (mono, soxr_hq), melspectrogram(n_fft=1024, hop_length=100,
n_mels=128), power_to_db(ref=np.max). Files are spread over --jobs worker processes (default: all
cores), as a researcher would with multiprocessing. Prints files/s and peak RSS: the parent's and
the largest worker's (ru_maxrss), and their sum as an upper bound of the footprint.

--blas-threads (default 1) caps numpy's OpenBLAS threads in every process (OPENBLAS_NUM_THREADS and
OMP_NUM_THREADS, set before numpy loads). Left alone (--blas-threads 0), each worker starts one BLAS
thread per core for the mel projection; two workers then run four spinning threads on two cores and
librosa is 2-3x slower. The default gives librosa its best configuration.
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
    """The frame count and the CPU time (all of this process's threads) the file took."""
    import librosa
    import numpy as np
    cpu_start = time.process_time()
    y, sr = librosa.load(path, sr=22050)
    S = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=1024, hop_length=100, n_mels=128)
    db = librosa.power_to_db(S, ref=np.max)
    return db.shape[1], time.process_time() - cpu_start


def warm_up():
    import librosa  # noqa: F401  (import cost is not part of the per-file figure)
    import numpy as np
    librosa.feature.melspectrogram(y=np.zeros(22050, dtype=np.float32), sr=22050, n_fft=1024, hop_length=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="OpenBLAS threads per process (0: numpy's default, one per core)")
    args = parser.parse_args()
    if args.blas_threads > 0:
        # Before numpy is imported here; forked workers inherit the library in this configuration.
        os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(args.blas_threads)
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
            results = list(pool.imap_unordered(features, paths, chunksize=8))
            seconds = time.perf_counter() - start
        # Worker CPU time reaches RUSAGE_CHILDREN only once the pool's processes have exited.
        cpu_seconds = cpu()
    else:
        warm_up()
        cpu_start = cpu()
        start = time.perf_counter()
        results = list(map(features, paths))
        seconds = time.perf_counter() - start
        cpu_seconds = cpu() - cpu_start
    frames = sum(f for f, _ in results)
    work_cpu = sum(c for _, c in results)
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    blas = f"{args.blas_threads} BLAS thread(s) each" if args.blas_threads > 0 else "numpy's default BLAS threads"
    print(f"librosa {librosa.__version__}: {len(paths)} files, {frames} frames in {seconds:.2f} s "
          f"with {args.jobs} process(es), {blas}")
    print(f"files/s     {len(paths) / seconds:.1f}")
    print(f"CPU         {cpu_seconds / len(paths) * 1000:.1f} ms per file (user + system, all processes"
          f"{', including worker start-up' if args.jobs > 1 else ''}); "
          f"{work_cpu / len(paths) * 1000:.1f} ms inside the per-file work")
    if args.jobs > 1:
        print(f"peak RSS    parent {parent:.0f} MB, largest worker {child:.0f} MB "
              f"(total <= {parent + child * args.jobs:.0f} MB)")
    else:
        print(f"peak RSS    {parent:.0f} MB")


if __name__ == "__main__":
    main()
