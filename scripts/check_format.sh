#!/usr/bin/env bash
# Checks that every C++ file git tracks is formatted as .clang-format says (clang-format 14,
# Debian 12's). Lists the files that are not and exits 1; `scripts/check_format.sh --fix`
# formats them in place.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
format=$(command -v clang-format-14 || command -v clang-format || true)
if [ -z "$format" ]; then
  echo "check_format: clang-format not found (scripts/setup.sh installs it)" >&2
  exit 2
fi
cd "$root"
mapfile -t files < <(git ls-files -- '*.cpp' '*.h' '*.hpp' '*.cc' | grep -v '/third_party/' || true)
bad=()
for f in "${files[@]}"; do
  "$format" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ "${1:-}" = --fix ]; then
  # Only the files that differ, so that the others keep their times and need no rebuild.
  ((${#bad[@]} == 0)) || "$format" -i "${bad[@]}"
  echo "check_format: formatted ${#bad[@]} of ${#files[@]} files"
  exit 0
fi
if ((${#bad[@]})); then
  printf '%s\n' "${bad[@]}"
  echo "check_format: ${#bad[@]} of ${#files[@]} files differ from .clang-format" \
       "(scripts/check_format.sh --fix formats them)"
  exit 1
fi
echo "check_format: ${#files[@]} files formatted as .clang-format says"
