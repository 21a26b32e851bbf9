#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) into build-fuzz/ and runs each in turn.
# Usage: scripts/fuzz.sh [seconds-per-target]     (default 60)
#   FUZZ_TARGETS="npy csv" scripts/fuzz.sh 30       builds and runs only those targets
#   FUZZ_JOBS=4 scripts/fuzz.sh 1800                runs 4 targets at a time (default 1)
#   FUZZ_FLAGS="-fork=1 -ignore_timeouts=1" ...     extra libFuzzer flags for every target
#   FUZZ_CLOCK=cpu scripts/fuzz.sh 1800             counts CPU seconds of each target (fork-mode
#     jobs included) instead of wall-clock seconds, so that a run on a busy machine still
#     fuzzes for the time asked; the target is interrupted once it has used them
#     (fork mode goes on past slow inputs, such as libmatio's large allocations under ASan,
#     and still stops at a crash)
# The targets of the libtorch readers (safetensors, torch_checkpoint, model_config) are part of
# the default list where libtorch is found.
# Inputs found along the way accumulate in build-fuzz/fuzz-work/<target> and are reused by the
# next run; a crash, leak, hang or sanitizer report is saved in build-fuzz/fuzz-artifacts/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
build="$root/build-fuzz"
shared="${BRAINALIGN_SHARED:-$root/../shared}"

"$root/scripts/setup.sh" --no-build
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DBRAINALIGN_FUZZ=ON \
  -DBRAINALIGN_BUILD_TESTS=OFF -DBRAINALIGN_BUILD_BENCH=OFF -DBRAINALIGN_BUILD_PYTHON=OFF \
  -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
default_targets="npy npz csv mat hdf5 json feature_set dataset audio study hear_task pickle"
if grep -q '^BRAINALIGN_WITH_TORCH:BOOL=ON' "$build/CMakeCache.txt"; then
  default_targets+=" safetensors torch_checkpoint model_config"
fi
read -r -a targets <<<"${FUZZ_TARGETS:-$default_targets}"
cmake --build "$build" -j2 --target "${targets[@]/#/fuzz_}"
/usr/bin/python3 "$root/fuzz/make_corpus.py" --shared "$shared" --out "$build/fuzz-corpus"

# One target: its log in build-fuzz/fuzz-<target>.log, its status in build-fuzz/fuzz-<target>.rc.
fuzz_target() {
  local target=$1 max_len
  local work="$build/fuzz-work/$target" artifacts="$build/fuzz-artifacts/$target"
  mkdir -p "$work" "$artifacts"
  # -max_len: the real components.mat (0.5 MB) would otherwise slow every mutation down; the
  # checkpoints' seeds are the golden models (0.5 to 0.9 MB), the real sounds 176 kB.
  case $target in
    safetensors | torch_checkpoint) max_len=1048576 ;;
    audio) max_len=262144 ;;
    *) max_len=65536 ;;
  esac
  # -timeout=60: under ASan, libmatio's and libhdf5's large allocations for corrupt headers
  # take seconds (0.2 s without ASan); a real hang still shows.
  # -malloc_limit_mb: libmatio reserves up to 8 GB for a corrupt header without touching it;
  # memory actually used is still held to -rss_limit_mb.
  local status=0 wall=$seconds
  # With FUZZ_CLOCK=cpu the wall-clock limit only guards against a stalled run.
  [[ ${FUZZ_CLOCK:-wall} == cpu ]] && wall=$((seconds * 20))
  # shellcheck disable=SC2086  # FUZZ_FLAGS is a list of flags
  "$build/fuzz/fuzz_$target" -max_total_time="$wall" -timeout=60 -rss_limit_mb=2048 \
      -malloc_limit_mb=16384 -max_len=$max_len -print_final_stats=1 ${FUZZ_FLAGS:-} \
      -artifact_prefix="$artifacts/" "$work" "$build/fuzz-corpus/$target" \
      2>"$build/fuzz-$target.log" &
  local pid=$!
  if [[ ${FUZZ_CLOCK:-wall} == cpu ]] && stop_after_cpu_seconds "$pid" "$seconds"; then
    wait "$pid" || status=$?
    # libFuzzer exits with 72 when interrupted; 130 and 143 are the signals themselves.
    case $status in 72 | 130 | 143) status=0 ;; esac
  else
    wait "$pid" || status=$?
  fi
  echo "$status" >"$build/fuzz-$target.rc"
}

# Sends SIGTERM to the processes below process $1 (a fork-mode parent's running job), deepest
# first, so that none outlives the run.
stop_descendants() {
  local children child
  children=$(cat /proc/[0-9]*/stat 2>/dev/null |
    awk -v parent="$1" '{pid = $1; sub(/^.*\) /, ""); if ($2 == parent) print pid}')
  for child in $children; do
    stop_descendants "$child"
    kill -TERM "$child" 2>/dev/null || true
  done
}

# Waits until process $1 has used $2 CPU seconds (itself and its finished children, which in
# fork mode are the fuzzing jobs), then interrupts it: SIGINT, which makes libFuzzer print its
# final statistics, then SIGTERM, which a fork-mode parent needs. Returns 1 when the process
# ended first (a finding, or the wall-clock guard).
stop_after_cpu_seconds() {
  local pid=$1 budget=$2 ticks used=0 interrupted=0
  ticks=$(getconf CLK_TCK)
  while kill -0 "$pid" 2>/dev/null; do
    # Fields 14-17 of /proc/PID/stat: utime, stime, cutime, cstime (after the command name,
    # which may hold spaces, hence the split at its closing parenthesis).
    used=$(awk -v t="$ticks" '{sub(/^.*\) /, ""); print int(($12 + $13 + $14 + $15) / t)}' \
      "/proc/$pid/stat" 2>/dev/null || echo "$used")
    if ((used >= budget)); then
      if ((interrupted)); then
        stop_descendants "$pid"
        kill -TERM "$pid" 2>/dev/null || true
      fi
      kill -INT "$pid" 2>/dev/null || true
      interrupted=1
    fi
    sleep 5
  done
  ((interrupted))
}

jobs_at_once=${FUZZ_JOBS:-1}
running=0
for target in "${targets[@]}"; do
  if ((running >= jobs_at_once)); then
    wait -n || true
    running=$((running - 1))
  fi
  echo "== fuzz_$target for ${seconds}s (${FUZZ_CLOCK:-wall} clock)"
  fuzz_target "$target" &
  running=$((running + 1))
done
wait

failed=()
for target in "${targets[@]}"; do
  if [[ $(cat "$build/fuzz-$target.rc") != 0 ]]; then
    failed+=("$target")
    echo "== fuzz_$target:"
    tail -n 40 "$build/fuzz-$target.log"
  fi
  # In fork mode the parent's final statistics count no executions; its last progress line
  # ("#executions: cov: ...") does.
  if grep -q "^#[0-9]*: cov:" "$build/fuzz-$target.log"; then
    grep "^#[0-9]*: cov:" "$build/fuzz-$target.log" | tail -n 1
  else
    grep -E "^stat::number_of_executed_units|^Done" "$build/fuzz-$target.log" || true
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: findings in: ${failed[*]}"
  for target in "${failed[@]}"; do
    for artifact in "$build/fuzz-artifacts/$target"/*; do
      echo "  reproduce: $build/fuzz/fuzz_$target $artifact"
    done
  done
  echo "Fix the library, then keep the input as a regression: copy it (small) to"
  echo "tests/io/regressions/<target>/<what-it-was>; the corpus replay test replays it."
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each (${FUZZ_CLOCK:-wall} clock), no findings"
