#!/usr/bin/env bash
# `pip install .` into a fresh virtual environment (with the system's site packages, for NumPy),
# offline, packing the extension of the build folder BUILD; then the package imports from the
# environment, scores a synthetic dataset, opens its neural plugin where the build has one, and
# uninstalls without leaving files behind.
# Usage: scripts/check_pip_install.sh BUILD
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
python=/usr/bin/python3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$python" -m venv --system-site-packages "$scratch/env"
cd "$scratch"  # not the source tree: the installed package must be the one imported
PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 "$scratch/env/bin/pip" install --quiet \
  --config-settings build-dir="$build" "$root"
"$scratch/env/bin/python" - "$scratch/env" <<'PY'
import sys
from pathlib import Path

import brainalign

env = Path(sys.argv[1]).resolve()
where = Path(brainalign.__file__).resolve()
assert env in where.parents, f"brainalign imported from {where}, not from {env}"
dataset, layers, truth = brainalign.synthesize(stimuli=24, voxels=10, subjects=2, layers=2,
                                               features=6)
result = brainalign.score(layers, dataset, "voxelwise", folds=truth["folds"])
assert result["value"] == result["value"], "a score"
# The libraries travel with the extension: libbrainalign.so, and the libtorch plugin, opened
# from the installed package when a libtorch family is first needed.
assert (where.parent / "libbrainalign.so").exists()
if brainalign.has_torch:
    assert "hf:PATH" in [m["name"] for m in brainalign.models()], "the plugin's families"
    maps = Path(f"/proc/self/maps").read_text()
    plugin = str(where.parent / "libbrainalign_neural.so")
    assert plugin in maps, f"{plugin} is not the plugin that was opened"
print(f"imported {brainalign.__version__} from {where.parent}")
PY
"$scratch/env/bin/pip" uninstall --quiet --yes brainalign
if find "$scratch/env/lib" -path '*site-packages/brainalign*' | grep .; then
  echo "check_pip_install: uninstall left files behind" >&2
  exit 1
fi
