"""Per-call time of brainalign.score from Python.

Scores a 13-layer x 768-feature model against the real NH2015 components (read from
$BRAINALIGN_DATA/natsound165) and against an NH2015-size synthetic voxel set (165 sounds x
7,694 voxels x 3 repetitions, 8 subjects). The datasets and features are built once; each
timed call is brainalign.score alone. Targets: components under 0.2 s, voxels under 10 s.
Usage (with the built package on PYTHONPATH, e.g. build/python):
  python3 bench/python_score_bench.py [--repeats 5] [--voxel-repeats 2] [--threads N]
"""
import argparse
import os
import platform
import statistics
import time

import numpy as np

import brainalign


def timed(repeats, call):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return times, result


def report(label, times, result):
    print(f"{label}: median {statistics.median(times):.3f} s, min {min(times):.3f} s over "
          f"{len(times)} calls; value {result['value']:.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--voxel-repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--voxels", type=int, default=7694)
    args = parser.parse_args()
    print(f"{platform.node()}: {os.cpu_count()} cores, brainalign {brainalign.__version__}")

    rng = np.random.default_rng(0)
    components = brainalign.load_dataset("nh2015comp")
    layers = {f"layer{l:02d}": rng.standard_normal((components.n_stimuli, 768))
              for l in range(13)}
    times, result = timed(args.repeats, lambda: brainalign.score(
        layers, components, "components", threads=args.threads))
    report("components, pepino2025 (13 x 768 -> 6 components)", times, result)

    dataset, layers, truth = brainalign.synthesize(stimuli=165, voxels=args.voxels, subjects=8,
                                                   repetitions=3, layers=13, features=768)
    times, result = timed(args.voxel_repeats, lambda: brainalign.score(
        layers, dataset, "voxelwise", folds=truth["folds"], threads=args.threads))
    report(f"voxelwise, pepino2025 (13 x 768 -> {args.voxels} voxels x 3 reps, 8 subjects)",
           times, result)


if __name__ == "__main__":
    main()
