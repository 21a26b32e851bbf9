"""The brainalign command line as the end-to-end tests run it, and where they find the shared
data (BRAINALIGN_SHARED, or ../shared beside the repository)."""
import csv
import os
import subprocess
from pathlib import Path

CLI = os.environ.get("BRAINALIGN_CLI", "brainalign")
SHARED = Path(os.environ.get("BRAINALIGN_SHARED", Path(__file__).resolve().parents[3] / "shared"))
DATA = SHARED / "data"
NATSOUND = DATA / "natsound165"


def data_env(**extra):
    """The current environment with BRAINALIGN_DATA set to the shared data, plus `extra`."""
    return dict(os.environ, BRAINALIGN_DATA=str(DATA), **extra)


def run_cli(args, env=None, expect=0, prefix=()):
    """Runs `brainalign args` (behind `prefix`, such as an mpirun line) in `env` (by default
    data_env()) and checks its exit status; returns the finished process."""
    p = subprocess.run([*map(str, prefix), CLI, *map(str, args)], capture_output=True, text=True,
                       env=data_env() if env is None else env)
    assert p.returncode == expect, f"exit {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
    return p


def read_rows(path):
    """The rows of a CSV file with a header, as dicts."""
    with open(path) as f:
        return list(csv.DictReader(f))
