#!/usr/bin/env bash
# Configures and builds one CMake preset (default: dev).
# Usage: build.sh [preset [cmake --build options, e.g. --target NAME]]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-dev}"
shift || true
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/etcdscope-ccache}"
cmake --preset "$preset" >/dev/null  # cheap when nothing changed; picks up preset edits
cmake --build --preset "$preset" "$@"
