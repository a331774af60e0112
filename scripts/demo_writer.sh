#!/usr/bin/env bash
# A synthetic writer that looks like real use: services registering with
# leases that expire, JSON configuration edited, jobs created and deleted in
# multi-key transactions. Usage: demo_writer.sh HOST:PORT
set -uo pipefail
endpoint="$1"
export ETCDCTL_API=3
ctl() { etcdctl --endpoints "$endpoint" --dial-timeout 2s "$@"; }

services=(api billing search auth)
round=0
while true; do
    round=$((round + 1))
    svc="${services[$((RANDOM % ${#services[@]}))]}"
    instance="$svc-$((RANDOM % 3))"
    lease=$(ctl lease grant 4 2>/dev/null | awk '/granted/ {print $2}')
    if [ -n "$lease" ]; then
        ctl put --lease="$lease" "services/$svc/$instance" \
            "{\"addr\":\"10.0.$((RANDOM % 4)).$((RANDOM % 250)):8080\",\"healthy\":true}" >/dev/null
    fi
    if [ $((round % 3)) -eq 0 ]; then
        ctl put "config/$svc.json" "{\"replicas\":$((1 + RANDOM % 5)),\"timeout_ms\":$((100 * (1 + RANDOM % 9))),\"rev\":$round}" >/dev/null
    fi
    if [ $((round % 5)) -eq 0 ]; then
        job="jobs/batch-$round"
        # etcdctl txn reads: compares, blank line, success ops, blank, failure ops.
        printf '\nput %s/spec cmd=reindex,shard=%d\nput %s/state queued\n\n\n' "$job" $((RANDOM % 8)) "$job" \
            | ctl txn >/dev/null
    fi
    if [ $((round % 7)) -eq 0 ]; then
        ctl del --prefix "jobs/batch-$((round - 10))" >/dev/null
    fi
    sleep 0.4
done
