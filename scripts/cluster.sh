#!/usr/bin/env bash
# A local three-member etcd cluster on loopback, for trying fail-over by hand
# (the tests use the same layout through tests/support/etcd_process.h).
#
#   scripts/cluster.sh start            start members 0..2, print the endpoints
#   scripts/cluster.sh status           which members run, and who leads
#   scripts/cluster.sh kill N           SIGKILL member N
#   scripts/cluster.sh pause N          SIGSTOP member N (it hangs, sockets stay open)
#   scripts/cluster.sh resume N         SIGCONT member N
#   scripts/cluster.sh restart N        start member N again on its data directory
#   scripts/cluster.sh leader N         move leadership to member N
#   scripts/cluster.sh stop             stop every member and delete the data
#
# Then watch it:  build/ci/app/etcdscope --endpoints "$(scripts/cluster.sh endpoints)"
# State lives in ${ETCDSCOPE_CLUSTER_DIR:-/tmp/etcdscope-cluster}; ports are
# 23790 + 2N (client) and 23791 + 2N (peer) unless ETCDSCOPE_CLUSTER_PORT says
# otherwise.
set -euo pipefail
dir="${ETCDSCOPE_CLUSTER_DIR:-/tmp/etcdscope-cluster}"
base="${ETCDSCOPE_CLUSTER_PORT:-23790}"
size=3

client_port() { echo $((base + 2 * $1)); }
peer_port() { echo $((base + 2 * $1 + 1)); }
endpoints() {
    local list=""
    for i in $(seq 0 $((size - 1))); do list+="${list:+,}127.0.0.1:$(client_port "$i")"; done
    echo "$list"
}
pid_of() { cat "$dir/m$1.pid" 2>/dev/null || true; }
alive() { local pid; pid="$(pid_of "$1")"; [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; }
need_member() {
    [[ "${1:-}" =~ ^[0-2]$ ]] || { echo "Give a member number from 0 to $((size - 1))." >&2; exit 2; }
}

start_member() {
    local i="$1" initial=""
    for j in $(seq 0 $((size - 1))); do initial+="${initial:+,}m$j=http://127.0.0.1:$(peer_port "$j")"; done
    mkdir -p "$dir"
    etcd --name "m$i" --data-dir "$dir/m$i.data" \
        --listen-client-urls "http://127.0.0.1:$(client_port "$i")" \
        --advertise-client-urls "http://127.0.0.1:$(client_port "$i")" \
        --listen-peer-urls "http://127.0.0.1:$(peer_port "$i")" \
        --initial-advertise-peer-urls "http://127.0.0.1:$(peer_port "$i")" \
        --initial-cluster "$initial" --initial-cluster-token etcdscope-local \
        --logger zap --log-outputs stderr >>"$dir/m$i.log" 2>&1 &
    echo $! >"$dir/m$i.pid"
}

wait_healthy() {
    for _ in $(seq 1 100); do
        if ETCDCTL_API=3 etcdctl --endpoints "$(endpoints)" --dial-timeout 1s endpoint health >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2  # polling the cluster's health, bounded above
    done
    echo "The cluster did not become healthy in 20 s; see $dir/m*.log." >&2
    return 1
}

command -v etcd >/dev/null || { echo "etcd is not installed (apt-get install etcd-server)." >&2; exit 1; }
case "${1:-}" in
start)
    for i in $(seq 0 $((size - 1))); do alive "$i" || start_member "$i"; done
    wait_healthy
    echo "Three members are up. Endpoints: $(endpoints)"
    ;;
endpoints) endpoints ;;
status)
    for i in $(seq 0 $((size - 1))); do
        if alive "$i"; then state="running (pid $(pid_of "$i"))"; else state="down"; fi
        echo "member $i  127.0.0.1:$(client_port "$i")  $state"
    done
    ETCDCTL_API=3 etcdctl --endpoints "$(endpoints)" --dial-timeout 1s endpoint status -w table 2>/dev/null || true
    ;;
kill)
    need_member "${2:-}"
    alive "$2" || { echo "member $2 is not running" >&2; exit 1; }
    kill -9 "$(pid_of "$2")"
    for _ in $(seq 1 50); do alive "$2" || break; sleep 0.1; done  # until the kernel has ended it
    echo "member $2 killed"
    ;;
pause) need_member "${2:-}"; alive "$2" && kill -STOP "$(pid_of "$2")" && echo "member $2 paused" ;;
resume) need_member "${2:-}"; alive "$2" && kill -CONT "$(pid_of "$2")" && echo "member $2 resumed" ;;
restart)
    need_member "${2:-}"
    alive "$2" && { echo "member $2 is running" >&2; exit 1; }
    start_member "$2"
    echo "member $2 started again on its data directory"
    ;;
leader)
    need_member "${2:-}"
    id="$(ETCDCTL_API=3 etcdctl --endpoints "127.0.0.1:$(client_port "$2")" endpoint status -w json |
        grep -o '"member_id":[0-9]*' | head -1 | cut -d: -f2)"
    ETCDCTL_API=3 etcdctl --endpoints "$(endpoints)" move-leader "$(printf '%x' "$id")"
    ;;
stop)
    for i in $(seq 0 $((size - 1))); do
        pid="$(pid_of "$i")"
        [[ -n "$pid" ]] && { kill -CONT "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; }
    done
    for i in $(seq 0 $((size - 1))); do
        pid="$(pid_of "$i")"
        [[ -n "$pid" ]] && while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    done
    rm -rf "$dir"
    echo "stopped; data deleted"
    ;;
*) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
