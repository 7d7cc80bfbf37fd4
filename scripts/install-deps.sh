#!/usr/bin/env bash
# Installs the Debian 12 packages giflab-perfd needs to build, test and run.
# Does nothing when they are all present.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config scdoc
  libsdbus-c++-dev libsdbus-c++-bin libasio-dev nlohmann-json3-dev libspdlog-dev libsystemd-dev
  libcli11-dev libsimdjson-dev libgtest-dev libgmock-dev googletest libbenchmark-dev
  gifsicle hyperfine jq dbus dbus-user-session systemd procps util-linux man-db bash-completion
  debhelper dpkg-dev fakeroot lintian
  prometheus-cpp-dev prometheus curl chromium xvfb dunst python3 python3-numpy python3-scipy time bc faketime
  clang libclang-rt-14-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
