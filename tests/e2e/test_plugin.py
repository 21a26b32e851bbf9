"""The neural plugin: the command line opens libbrainalign_neural.so (and with it libtorch) only
for the commands that need a libtorch model family or probe, and the programs hold one copy of
the library, in libbrainalign.so."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from cli_runner import CLI, data_env, run_cli  # noqa: E402

BUILD = Path(shutil.which(CLI) or CLI).resolve().parent
LIBRARY = BUILD / "lib" / "libbrainalign.so"
PLUGIN = BUILD / "lib" / "libbrainalign_neural.so"
needs_plugin = pytest.mark.skipif(not PLUGIN.exists(), reason="built without libtorch")


def opened_libraries(args):
    """The shared libraries the dynamic loader opened while `brainalign args` ran."""
    p = run_cli(args, env=data_env(LD_DEBUG="files"))
    return {line.split("file=")[1].split()[0] for line in p.stderr.splitlines() if "file=" in line}


def test_commands_without_a_network_open_neither_the_plugin_nor_libtorch(tmp_path):
    run_cli(["synth", "--out", tmp_path / "synth", "--stimuli", 30, "--voxels", 20,
             "--subjects", 2, "--seed", 1])
    for args in (["--version"], ["score", "--help"],
                 ["score", "--features", tmp_path / "synth" / "features.npz", "--dataset",
                  tmp_path / "synth" / "dataset", "--analysis", "rsa", "--quiet", "--out",
                  tmp_path / "scores"]):
        opened = opened_libraries(args)
        assert any("libbrainalign.so" in name for name in opened), args
        assert not any("libbrainalign_neural" in name or "libtorch" in name for name in opened), \
            (args, sorted(opened))


@needs_plugin
def test_a_libtorch_family_opens_the_plugin():
    opened = opened_libraries(["models"])
    assert any("libbrainalign_neural.so" in name for name in opened)
    assert any("libtorch" in name for name in opened)


def defines(binary, symbol):
    """Whether `binary` defines `symbol` (a demangled name) itself."""
    names = subprocess.run(["nm", "-C", "--defined-only", binary], capture_output=True, text=True,
                           check=True).stdout
    dynamic = subprocess.run(["nm", "-DC", "--defined-only", binary], capture_output=True,
                             text=True).stdout
    return any(symbol in line.split(" ", 2)[-1] for line in (names + dynamic).splitlines()
               if " T " in line or " W " in line)


@pytest.mark.parametrize("symbol", ["brainalign::models::register_model_family(",
                                    "brainalign::hear::register_probe_trainer(",
                                    "brainalign::load_plugin("])
def test_the_library_lives_once_in_libbrainalign_so(symbol):
    # A second copy in the command line, the plugin or the Python extension would hold registries
    # of its own, and what the plugin registers would not reach the program.
    assert defines(LIBRARY, symbol)
    others = [CLI, *BUILD.glob("python/brainalign/_brainalign*.so")]
    if PLUGIN.exists():
        others.append(PLUGIN)
    for binary in others:
        assert not defines(binary, symbol), f"{binary} holds a copy of {symbol}"
