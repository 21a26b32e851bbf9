#!/usr/bin/env python3
"""Start-up time of the command line and of `import brainalign`, with and without the neural
plugin (libtorch), against the bare start of a process and of the Python interpreter measured
in the same run.

Commands that run no network must not open the plugin; the ones that list or run the libtorch
model families do. Prints one row per command: median wall time over --repeats runs, and its
excess over the reference start.

Usage: startup_bench.py [--build build] [--repeats 15]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def median_seconds(command, repeats, env):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build", type=Path)
    parser.add_argument("--repeats", default=15, type=int)
    args = parser.parse_args()
    cli = str((args.build / "brainalign").resolve())
    env = dict(os.environ, PYTHONPATH=str((args.build / "python").resolve()))
    python = sys.executable
    rows = [
        ("reference: /bin/true", ["/bin/true"], None),
        ("brainalign --version", [cli, "--version"], "/bin/true"),
        ("brainalign score --help", [cli, "score", "--help"], "/bin/true"),
        ("brainalign models (opens the plugin)", [cli, "models"], "/bin/true"),
        ("reference: python3 -c pass", [python, "-c", "pass"], None),
        ("python3 -c 'import brainalign'", [python, "-c", "import brainalign"],
         "python3 -c pass"),
        ("import brainalign; brainalign.models() (opens the plugin)",
         [python, "-c", "import brainalign; brainalign.models()"], "python3 -c pass"),
    ]
    measured = {}
    print(f"{'command':60s} {'median':>9s} {'over reference':>15s}")
    for name, command, reference in rows:
        seconds = median_seconds(command, args.repeats, env)
        key = "/bin/true" if command == ["/bin/true"] else (
            "python3 -c pass" if command[1:] == ["-c", "pass"] else name)
        measured[key] = seconds
        over = f"{(seconds - measured[reference]) * 1e3:12.1f} ms" if reference else ""
        print(f"{name:60s} {seconds * 1e3:6.1f} ms {over:>15s}")


if __name__ == "__main__":
    main()
