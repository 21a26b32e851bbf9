"""Speed of the native protocols against the per-voxel reference transcription.

Writes an NH2015-size synthetic study (165 sounds x 7,694 voxels x 3 repetitions, 8
subjects, 13 layers x 768 features), times `brainalign score` for each protocol, times the
per-voxel Python reference (tests/reference) on a few voxels in the same run, extrapolates
it to all voxels, and checks that those voxels' scores agree. Usage:
  python3 bench/protocols_bench.py [--cli build/brainalign] [--voxels 7694] [--reference-voxels 2]
"""
import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

root = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(root / "tests" / "reference"))
import protocols_reference as ref  # noqa: E402


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cli", default=str(root / "build" / "brainalign"))
    p.add_argument("--voxels", type=int, default=7694)
    p.add_argument("--subjects", type=int, default=8)
    p.add_argument("--reference-voxels", type=int, default=2)
    p.add_argument("--protocols", default="pepino2025,tuckute2023")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="brainalign-bench-"))
    syn = tmp / "syn"
    subprocess.run([args.cli, "synth", "--out", syn, "--voxels", str(args.voxels), "--subjects",
                    str(args.subjects), "--layers", "13", "--features", "768"], check=True, capture_output=True)
    data = np.load(syn / "features.npz")
    layers = [data[k] for k in data.files if k != "__stimuli__"]
    responses = np.load(syn / "dataset" / "responses.npy")
    folds = np.array([int(r["fold"]) for r in csv.DictReader(open(syn / "folds.csv"))])
    results = {"voxels": args.voxels, "layers": 13, "features": 768, "stimuli": 165}
    for protocol in args.protocols.split(","):
        out = tmp / protocol
        native = timed([args.cli, "score", "--features", syn / "features.npz", "--dataset", syn / "dataset",
                        "--analysis", "voxelwise", "--protocol", protocol, "--folds", syn / "folds.csv",
                        "--quiet", "--out", out])
        scores = {r["voxel_id"]: float(r["score"]) for r in csv.DictReader(open(out / "voxels.csv"))}
        start = time.perf_counter()
        agree = True
        for v in range(args.reference_voxels):
            if protocol == "pepino2025":
                expected, _ = ref.pepino2025_voxel(layers, responses[:, v, :].mean(axis=1), folds)
                agree &= abs(expected - scores[str(v)]) <= 1e-8 * max(1.0, expected)
            else:
                # One layer x split of the reference; the full protocol is 13 x 10 of these.
                train = np.sort(np.random.default_rng(0).permutation(165)[:83])
                test = np.setdiff1d(np.arange(165), train)
                ref.tuckute2023_voxel_split(layers[0], responses[:, v, :], train, test)
        per_voxel = (time.perf_counter() - start) / args.reference_voxels
        if protocol == "tuckute2023":
            per_voxel *= 13 * 10
        reference = per_voxel * args.voxels
        results[protocol] = {"native_seconds": round(native, 2), "reference_seconds_extrapolated": round(reference, 1),
                             "speedup": round(reference / native, 1),
                             "reference_voxels_checked": args.reference_voxels if protocol == "pepino2025" else 0,
                             "scores_agree": bool(agree)}
        print(protocol, json.dumps(results[protocol]), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
