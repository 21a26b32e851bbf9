"""The libtorch part as a plugin from Python: `import brainalign` loads neither it nor libtorch;
the first libtorch model family opens it; a package without it works for everything else and
says what is missing."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import brainalign

PACKAGE = Path(brainalign.__file__).resolve().parent
PLUGIN = PACKAGE / "libbrainalign_neural.so"


def run_python(code, path):
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=path,
                       env=dict(os.environ, PYTHONPATH=str(path)))
    assert p.returncode == 0, p.stderr
    return p.stdout


MAPPED = "open(f'/proc/{__import__(\"os\").getpid()}/maps').read()"


@pytest.mark.skipif(not PLUGIN.exists(), reason="built without libtorch")
def test_import_loads_no_libtorch_until_a_family_needs_it():
    out = run_python(f"""
import sys
import brainalign
before = {MAPPED}
print('torch before:', 'libtorch' in before or 'libbrainalign_neural' in before)
print('heavy modules:', sorted(m for m in ('torch', 'sklearn', 'inspect') if m in sys.modules))
names = [m['name'] for m in brainalign.models()]
after = {MAPPED}
print('torch after:', 'libtorch' in after and 'libbrainalign_neural' in after)
print('hf listed:', 'hf:PATH' in names)
""", PACKAGE.parent)
    assert "torch before: False" in out
    assert "heavy modules: []" in out
    assert "torch after: True" in out
    assert "hf listed: True" in out


def test_a_package_without_the_plugin_says_what_is_missing(tmp_path):
    copy = tmp_path / "brainalign"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("libbrainalign_neural.so",
                                                                 "__pycache__"))
    out = run_python("""
import brainalign
print('has_torch:', brainalign.has_torch)
names = [m['name'] for m in brainalign.models()]
print('hf listed:', 'hf:PATH' in names, 'spectemp listed:', 'spectemp' in names)
try:
    brainalign.Model('hf:' + brainalign.__file__)
except brainalign.InputError as e:
    print('model error:', e)
""", tmp_path)
    assert "has_torch: False" in out
    assert "hf listed: False spectemp listed: True" in out
    assert "model error:" in out and "without libtorch" in out
