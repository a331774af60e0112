#!/usr/bin/env bash
# Configures and builds one CMake preset (default: dev). Usage: build.sh [preset]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-dev}"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/etcdscope-ccache}"
cmake --preset "$preset" >/dev/null  # cheap when nothing changed; picks up preset edits
cmake --build --preset "$preset"
