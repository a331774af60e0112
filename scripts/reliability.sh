#!/usr/bin/env bash
# Runs the reliability suite and writes docs/RELIABILITY.md from what the
# tests report. Usage:
#   scripts/reliability.sh          the short scenarios (as in the default tests)
#   scripts/reliability.sh --long   the long ones: outages of minutes, a million
#                                   events behind, long fuzzing (about an hour)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-short}"
bash scripts/setup.sh
bash scripts/build.sh ci
rows="$(mktemp --suffix=.jsonl)"
trap 'rm -f "$rows"' EXIT
export ETCDSCOPE_RELIABILITY_REPORT="$rows"
if [[ "$mode" == "--long" ]]; then
    ctest --test-dir build/ci -R "^(tst_faults_long|tst_engine_fuzz_long)$" --output-on-failure
    ctest --test-dir build/ci -R "^(tst_bad_input|tst_event_store)$" --output-on-failure
    command="bash scripts/reliability.sh --long"
else
    ctest --test-dir build/ci -R "^(tst_faults|tst_bad_input|tst_engine_fuzz|tst_event_store)$" --output-on-failure
    command="bash scripts/reliability.sh"
fi
build/ci/tests/reliability_report "$rows" docs/RELIABILITY.md "$command"
