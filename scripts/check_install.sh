#!/usr/bin/env bash
# Installs the C++ API of the build folder BUILD (its "development" component) into a scratch
# prefix, builds examples/cpp against it with find_package(brainalign) and runs the example.
# Usage: scripts/check_install.sh BUILD
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build" --component development --prefix "$scratch/prefix" >/dev/null
# Only the API: libraries, headers and the package files.
if find "$scratch/prefix" -type f ! -name '*.a' ! -name '*.h' ! -name '*.cmake' | grep .; then
  echo "check_install: the development component installs more than the C++ API" >&2
  exit 1
fi
cmake -S "$root/examples/cpp" -B "$scratch/example" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/example" >/dev/null
"$scratch/example/score_synthetic"
