#!/usr/bin/env bash
# Installs the Debian 12 packages brainalign needs (when missing) and builds it into build/.
# Usage: scripts/setup.sh [--no-build]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  build-essential cmake ninja-build pkg-config git
  libeigen3-dev libopenblas-dev liblapacke-dev
  libmatio-dev libhdf5-dev libzip-dev zlib1g-dev
  nlohmann-json3-dev libcli11-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libsndfile1-dev libsoxr-dev libtorch-dev libcairo2-dev
  libcurl4-openssl-dev libarchive-dev libssl-dev libsqlite3-dev
  libopenmpi-dev openmpi-bin chromium nodejs npm
  python3 python3-dev python3-numpy python3-scipy python3-sklearn python3-pandas python3-h5py
  python3-pytest python3-pip python3-venv pybind11-dev sox python3-torch python3-torchaudio
  espeak-ng
  clang clang-format libclang-rt-14-dev libomp-14-dev
)

missing=()
for p in "${packages[@]}"; do
  # NodeSource's nodejs package carries npm itself and conflicts with Debian's npm package.
  [ "$p" = npm ] && command -v npm >/dev/null && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

[ "${1:-}" = "--no-build" ] && exit 0

cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build "$root/build"
# Puts the Python package `brainalign` into the system Python's site-packages.
$sudo_cmd cmake --install "$root/build" >/dev/null
