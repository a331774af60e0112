#!/usr/bin/env bash
# Runs every performance scenario of SPEC §6 on this machine, each on its own
# throwaway etcd, etcdscope beside etcdctl in the same run, and keeps the
# whole output. Usage:
#   scripts/bench.sh            the full run (about 6 minutes on 2 cores)
#   scripts/bench.sh --smoke    a few seconds, as in the default tests
# The output (tables and JSON lines) goes to the terminal and to
# build/bench/<UTC time>.txt; docs/PERFORMANCE.md quotes one such run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh dev
mkdir -p build/bench
out="build/bench/$(date -u +%Y%m%dT%H%M%SZ).txt"
{
    echo "# scripts/bench.sh $* on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)," \
         "$(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr), etcd $(etcd --version | awk '/etcd Version/ {print $3}')"
    if [[ "${1:-}" == "--smoke" ]]; then
        build/dev/bench/watch_bench --smoke
        build/dev/bench/gui_ingest_bench --rate 5000 --events 10000
    else
        build/dev/bench/watch_bench
        # The monitor at the 50k events/s of SPEC §6, then as fast as etcd answers.
        build/dev/bench/gui_ingest_bench --rate 50000 --events 1000000
        build/dev/bench/gui_ingest_bench --rate 0 --events 2000000
    fi
} 2>&1 | grep --line-buffered -v -e '^etcdscope\.' -e '^qt\.' -e 'propagateSizeHints' | tee "$out"
echo "Saved to $out"
