#!/usr/bin/env bash
# Installs what etcdscope needs to build, test and run, on Debian 12 or
# Ubuntu (apt). Installs only what is missing; safe to run again.
set -euo pipefail

packages=(
    build-essential cmake ninja-build ccache pkg-config git
    qt6-base-dev qt6-charts-dev libqt6opengl6-dev libxkbcommon-dev libvulkan-dev
    libqt6sql6-sqlite libqt6sql6-psql libsqlite3-dev libpq-dev postgresql qtkeychain-qt6-dev libyaml-dev libdtl-dev nlohmann-json3-dev libsodium-dev libssl-dev
    libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
    etcd-server etcd-client
    fonts-dejavu-core procps iproute2 openssl
)

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
    echo "etcdscope's set-up script knows Debian 12 and Ubuntu (apt) only." >&2
    echo "On this system, install the equivalents of: ${packages[*]}" >&2
    exit 1
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo_cmd=(sudo)
    else
        echo "These packages are missing and installing them needs root: ${missing[*]}" >&2
        exit 1
    fi
else
    sudo_cmd=()
fi

echo "Installing: ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
