#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# except the long soak/benchmark ones (CTest label "long").
#   scripts/test.sh            the CI preset
#   scripts/test.sh asan|tsan  the same suite under a sanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-ci}"
bash scripts/setup.sh
bash scripts/build.sh "$preset"
ctest --preset "$preset" -j2
