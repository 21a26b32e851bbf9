#!/usr/bin/env bash
# Sets up, builds and runs every test (unit, reference parity, end-to-end), then rebuilds the
# readers, the fuzz entry points and the CLI with AddressSanitizer and UBSan in build-asan/ and
# runs their tests there (BRAINALIGN_SKIP_SANITIZE=1 skips that stage).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
cd "$root/build"
ctest --output-on-failure -j "$(nproc)"

[ "${BRAINALIGN_SKIP_SANITIZE:-0}" = 1 ] && exit 0
start=$SECONDS
# -O1: quicker to compile than -O3, and the usual level for sanitizer runs.
cmake -S "$root" -B "$root/build-asan" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" -DBRAINALIGN_SANITIZE=ON -DBRAINALIGN_BUILD_BENCH=OFF -DBRAINALIGN_WITH_TORCH=OFF \
  -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build "$root/build-asan" -j "$(nproc)" --target brainalign test_io test_fuzz
cd "$root/build-asan"
# libmatio and libhdf5 size C allocations from what a file declares and handle a NULL result:
# let such a request fail as in a release build. Leak checking stays on.
export ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1
# The readers' tests, their absurd-size and fuzz regression inputs, the corpus replay and the
# command line end to end (the crash-safety runs, ten times slower under ASan, stay in the
# normal stage).
ctest --output-on-failure -j "$(nproc)" \
  -R '^((AbsurdSizes|Csv|Hdf5|Json|Mat|Npy|Npz|ZipReader|ZipWriter|Pickle|JoblibVector|PandasTable|TarIndex|RemoteArchiveMember)\.|Targets/CorpusReplay\.|fuzz\.corpus$|py\.e2e\.test_cli$)'
echo "sanitizer stage: $((SECONDS - start)) s"
