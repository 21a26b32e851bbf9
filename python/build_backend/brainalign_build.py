"""The PEP 517 build backend of `pip install .`: builds the Python extension with CMake (the
project's own build, nothing downloaded) and packs the package into a wheel for the
interpreter that runs pip. It needs only the standard library, so `pip install .` works
offline, also into a virtual environment (one made with --system-site-packages finds NumPy).

Settings (`pip install . --config-settings NAME=VALUE`, or the environment variable in
brackets):
  build-dir   the CMake build folder to use or create (BRAINALIGN_BUILD_DIR; default: the
              source tree's build/ when it holds the extension for this Python, as
              scripts/setup.sh leaves it, else build/pip-<python tag>); an existing build is
              reused, so installing after scripts/setup.sh only packs what it built
  cmake-args  extra arguments for the first configure, separated by spaces (BRAINALIGN_CMAKE_ARGS)
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2]
NAME = "brainalign"


def _version() -> str:
    text = (SOURCE / "CMakeLists.txt").read_text()
    match = re.search(r"project\(brainalign VERSION ([0-9.]+)", text)
    if not match:
        raise RuntimeError(f"{SOURCE / 'CMakeLists.txt'}: no 'project(brainalign VERSION x.y.z'")
    return match.group(1)


def _project() -> dict:
    return tomllib.loads((SOURCE / "pyproject.toml").read_text())["project"]


def _tag() -> str:
    """The wheel tag of the running interpreter: the extension is built for it alone."""
    python = f"cp{sys.version_info.major}{sys.version_info.minor}"
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{python}-{python}-{platform}"


def _setting(config_settings, name: str, variable: str, default: str = "") -> str:
    value = (config_settings or {}).get(name)
    if value is None:
        value = os.environ.get(variable, default)
    return value


def _default_build_dir() -> Path:
    """The source tree's own build (scripts/build.sh's) when it holds the extension for this
    Python, else a build folder for this Python beside it."""
    main = SOURCE / "build"
    if (main / "python" / NAME / f"_brainalign{sysconfig.get_config_var('EXT_SUFFIX')}").exists():
        return main
    return main / f"pip-{_tag().split('-')[0]}"


def _build(config_settings) -> Path:
    """Configures (once) and builds the extension; returns the built package folder."""
    build = Path(_setting(config_settings, "build-dir", "BRAINALIGN_BUILD_DIR",
                          str(_default_build_dir()))).resolve()
    if not (build / "CMakeCache.txt").exists():
        args = _setting(config_settings, "cmake-args", "BRAINALIGN_CMAKE_ARGS").split()
        # The report's chart libraries come from npm; a build beside this one has them already.
        vendored = SOURCE / "build" / "report-vendor" / "node_modules"
        if vendored.is_dir() and not any(a.startswith("-DBRAINALIGN_VEGA_DIR") for a in args):
            args.append(f"-DBRAINALIGN_VEGA_DIR={vendored}")
        subprocess.run(["cmake", "-S", str(SOURCE), "-B", str(build), "-G", "Ninja",
                        "-DCMAKE_BUILD_TYPE=Release", "-DBRAINALIGN_BUILD_TESTS=OFF",
                        "-DBRAINALIGN_BUILD_BENCH=OFF", "-DBRAINALIGN_BUILD_PYTHON=ON",
                        f"-DPython3_EXECUTABLE={sys.executable}", *args],
                       check=True, stdout=sys.stderr)
    subprocess.run(["cmake", "--build", str(build), "--target", "brainalign_python"], check=True,
                   stdout=sys.stderr)
    package = build / "python" / NAME
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    if not (package / f"_brainalign{suffix}").exists():
        built = sorted(p.name for p in package.glob("_brainalign*"))
        raise RuntimeError(f"{package}: no _brainalign{suffix} for this Python ({sys.executable}); "
                           f"the build folder holds {built or 'none'} (give another build-dir)")
    return package


def _metadata(version: str) -> str:
    project = _project()
    lines = ["Metadata-Version: 2.1", f"Name: {NAME}", f"Version: {version}",
             f"Summary: {project['description']}", f"Requires-Python: {project['requires-python']}",
             f"License: {project['license']['text']}"]
    lines += [f"Requires-Dist: {dependency}" for dependency in project.get("dependencies", [])]
    return "\n".join(lines) + "\n\n" + (SOURCE / "README.md").read_text()


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    version = _version()
    info = Path(metadata_directory) / f"{NAME}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(_metadata(version))
    return info.name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    version = _version()
    package = _build(config_settings)
    tag = _tag()
    wheel = Path(wheel_directory) / f"{NAME}-{version}-{tag}.whl"
    info = f"{NAME}-{version}.dist-info"
    files = {}
    for path in sorted(package.iterdir()):
        if path.is_file() and path.name != "__pycache__":
            files[f"{NAME}/{path.name}"] = path.read_bytes()
    files[f"{info}/METADATA"] = _metadata(version).encode()
    files[f"{info}/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: {NAME} build backend\n"
                              f"Root-Is-Purelib: false\nTag: {tag}\n").encode()
    record = [_record_line(name, data) for name, data in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = (0o755 if name.endswith(".so") else 0o644) << 16
            archive.writestr(entry, data, zipfile.ZIP_DEFLATED)
    return wheel.name
