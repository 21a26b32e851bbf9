#!/usr/bin/env bash
# Sets up (installs what is missing, builds), then runs the demo: the spectemp model's features
# of the 165 real sounds scored against the six NH2015 components with the 2025 protocol. The
# data is read from $BRAINALIGN_DATA (a folder holding natsound165/ with wav/, components.mat
# and folds_5x33.csv) when set, else from the per-user cache, downloading what is missing; a
# checkout next to a shared/data folder uses ../shared/data.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
if [ -z "${BRAINALIGN_DATA:-}" ] && [ -d "$root/../shared/data/natsound165" ]; then
  export BRAINALIGN_DATA="$root/../shared/data"
fi
exec "$root/build/brainalign" demo --out "${1:-$root/build/demo}"
