"""Per-call time of brainalign.score from Python.

Scores a 13-layer x 768-feature model against the real NH2015 components (read from
$BRAINALIGN_DATA/natsound165) and against an NH2015-size synthetic voxel set (165 sounds x
7,694 voxels x 3 repetitions, 8 subjects). The datasets and features are built once; each
timed call is brainalign.score alone. Targets: components under 0.2 s, voxels under 10 s.
The component model's layers carry the components at strengths growing with depth, plus
noise (pure-noise layers push the penalty grid to its 1e50 edge and are timed separately).
With --cli, `brainalign score` on the same inputs is timed too (its own wall time and the
library's `seconds`), to separate the bindings' cost from the library's.
Usage (with the built package on PYTHONPATH, e.g. build/python):
  python3 bench/python_score_bench.py [--repeats 5] [--voxel-repeats 2] [--threads N]
                                      [--cli build/brainalign]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

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


def time_cli(cli, repeats, layers, stimuli, dataset, *args):
    with tempfile.TemporaryDirectory() as tmp:
        brainalign.save_features(Path(tmp) / "f.npz", layers, stimuli)
        times, seconds = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run([cli, "score", "--features", Path(tmp) / "f.npz", "--dataset", dataset,
                            *args, "--quiet", "--out", Path(tmp) / "out"], check=True,
                           capture_output=True)
            times.append(time.perf_counter() - start)
            seconds.append(json.loads((Path(tmp) / "out" / "summary.json").read_text())["seconds"])
    print(f"  CLI on the same inputs: median {statistics.median(times):.3f} s "
          f"(library {statistics.median(seconds):.3f} s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--voxel-repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--voxels", type=int, default=7694)
    parser.add_argument("--cli", default=None, help="also time this brainalign binary")
    args = parser.parse_args()
    print(f"{platform.node()}: {os.cpu_count()} cores, brainalign {brainalign.__version__}")

    threads = [] if args.threads is None else ["--threads", str(args.threads)]
    rng = np.random.default_rng(0)
    components = brainalign.load_dataset("nh2015comp")
    R = components.mean_response()
    R = (R - R.mean(axis=0)) / R.std(axis=0)
    model = {f"layer{l:02d}": (l + 1) / 13 * R @ rng.standard_normal((6, 768))
             + rng.standard_normal((components.n_stimuli, 768)) for l in range(13)}
    noise = {f"layer{l:02d}": rng.standard_normal((components.n_stimuli, 768)) for l in range(13)}
    for label, layers in (("model", model), ("pure noise", noise)):
        times, result = timed(args.repeats, lambda: brainalign.score(
            layers, components, "components", threads=args.threads))
        report(f"components, pepino2025 (13 x 768 {label} -> 6 components)", times, result)
        if args.cli:
            time_cli(args.cli, args.repeats, layers, components.stimuli, "nh2015comp",
                     "--analysis", "components", *threads)

    dataset, layers, truth = brainalign.synthesize(stimuli=165, voxels=args.voxels, subjects=8,
                                                   repetitions=3, layers=13, features=768)
    times, result = timed(args.voxel_repeats, lambda: brainalign.score(
        layers, dataset, "voxelwise", folds=truth["folds"], threads=args.threads))
    report(f"voxelwise, pepino2025 (13 x 768 -> {args.voxels} voxels x 3 reps, 8 subjects)",
           times, result)
    if args.cli:
        with tempfile.TemporaryDirectory() as tmp:
            dataset.save(Path(tmp) / "dataset")
            with open(Path(tmp) / "folds.csv", "w") as f:
                f.write("stimulus,fold\n")
                f.writelines(f"{s},{k}\n" for s, k in zip(dataset.stimuli, truth["folds"]))
            time_cli(args.cli, args.voxel_repeats, layers, dataset.stimuli, Path(tmp) / "dataset",
                     "--analysis", "voxelwise", "--folds", Path(tmp) / "folds.csv", *threads)


if __name__ == "__main__":
    main()
