#!/usr/bin/env bash
# The run command: installs what is missing, builds, and opens the monitor.
#   scripts/demo.sh                  a throwaway local etcd with a synthetic
#                                    writer, watched live in the desktop
#                                    monitor (or, without a display, in the CLI)
#   scripts/demo.sh --endpoints H:P  the monitor on your own cluster
#   scripts/demo.sh --cli ARGS…      etcdscope-cli watch with your arguments
# DEMO_SECONDS=N stops the demo after N seconds (default: until closed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The test command's build (preset ci), but only the two programs: the run
# does not wait for the test suite to compile, and a later test run reuses it.
bash scripts/build.sh ci --target etcdscope etcdscope-cli >/dev/null
cli="$PWD/build/ci/app/etcdscope-cli"
gui="$PWD/build/ci/app/etcdscope"
has_display() { [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ "${QT_QPA_PLATFORM:-}" = offscreen ]; }

if [ "${1:-}" = "--cli" ]; then
    shift
    exec "$cli" watch -w text "$@"
fi
if [ $# -gt 0 ]; then
    exec "$gui" "$@"
fi

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
        || echo $((20000 + RANDOM % 20000))
}
workdir="$(mktemp -d -t etcdscope-demo.XXXXXX)"
client_port="$(free_port)"
peer_port="$(free_port)"
endpoint="127.0.0.1:$client_port"
etcd_pid=""
writer_pid=""
cleanup() {
    [ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null || true
    [ -n "$etcd_pid" ] && kill "$etcd_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

etcd --name demo --data-dir "$workdir/data" --logger zap --log-outputs stderr \
    --listen-client-urls "http://$endpoint" --advertise-client-urls "http://$endpoint" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "demo=http://127.0.0.1:$peer_port" >"$workdir/etcd.log" 2>&1 &
etcd_pid=$!

export ETCDCTL_API=3
ctl() { etcdctl --endpoints "$endpoint" --dial-timeout 2s "$@"; }
for _ in $(seq 100); do
    ctl endpoint health >/dev/null 2>&1 && break
    kill -0 "$etcd_pid" 2>/dev/null || { echo "etcd did not start; its log:" >&2; tail -20 "$workdir/etcd.log" >&2; exit 1; }
    sleep 0.1
done
echo "Demo etcd at $endpoint (data in $workdir); a synthetic writer changes services/, config/ and jobs/." >&2
bash scripts/demo_writer.sh "$endpoint" >"$workdir/writer.log" 2>&1 &
writer_pid=$!

run() { if [ -n "${DEMO_SECONDS:-}" ]; then timeout "$DEMO_SECONDS" "$@" || true; else "$@"; fi; }
if has_display; then
    echo "Opening the monitor (etcdscope --demo); its event log is kept in $workdir." >&2
    # DEMO_GUI_ARGS: extra monitor options, e.g. "--palette dark".
    # shellcheck disable=SC2086
    run "$gui" --endpoints "$endpoint" --data-dir "$workdir/monitor" --demo ${DEMO_GUI_ARGS:-} \
        ${DEMO_SCREENSHOT:+--screenshot "$DEMO_SCREENSHOT"}
else
    echo "No display found (DISPLAY / WAYLAND_DISPLAY unset): watching in the terminal instead." >&2
    echo "Watching with: $cli watch --endpoints $endpoint --prefix --prev-kv -w text services/ config/ jobs/" >&2
    run "$cli" watch --endpoints "$endpoint" --prefix --prev-kv -w text services/ config/ jobs/
fi
