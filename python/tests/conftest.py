"""Shared fixtures of the binding tests: where the CLI, the public data and the reference
transcriptions are."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "align"))
sys.path.insert(0, str(ROOT / "tests" / "reference"))

CLI = os.environ.get("BRAINALIGN_CLI", "brainalign")
DATA = Path(os.environ.get("BRAINALIGN_DATA", ROOT.parent / "shared" / "data"))
os.environ.setdefault("BRAINALIGN_DATA", str(DATA))


@pytest.fixture
def run_cli():
    def run(*args, expect=0):
        p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True,
                           env=dict(os.environ, BRAINALIGN_DATA=str(DATA)))
        assert p.returncode == expect, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
        return p
    return run


def needs_data():
    return pytest.mark.skipif(not (DATA / "natsound165" / "components.mat").exists(),
                              reason=f"no NH2015 data under {DATA}")
