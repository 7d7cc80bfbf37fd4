#!/usr/bin/env bash
# Installs the Debian 12 packages giflab-perfd needs. Does nothing when they
# are all present.
#   scripts/install-deps.sh          to build and run it (the main job: scripts/run-default.sh)
#   scripts/install-deps.sh --all    also to test, package, fuzz, evaluate and benchmark it
#                                    (a browser, Prometheus, an X server, lintian, clang, ...)
#   scripts/install-deps.sh --print [--all]   list the packages and install nothing
set -euo pipefail
build=(
  build-essential cmake ninja-build pkg-config scdoc
  libsdbus-c++-dev libsdbus-c++-bin libasio-dev nlohmann-json3-dev libsystemd-dev
  libcli11-dev libsimdjson-dev libgtest-dev libgmock-dev googletest libbenchmark-dev prometheus-cpp-dev
)
run=(gifsicle jq dbus procps git)
everything_else=(
  hyperfine dbus-user-session systemd util-linux man-db bash-completion
  debhelper dpkg-dev fakeroot lintian
  prometheus curl chromium xvfb dunst python3 python3-numpy python3-scipy time bc faketime
  clang libclang-rt-14-dev
)
all=false print=false
for arg in "$@"; do
  case "$arg" in
    --all) all=true ;;
    --print) print=true ;;
    *) echo "usage: $0 [--all] [--print]" >&2; exit 2 ;;
  esac
done
packages=("${build[@]}" "${run[@]}")
$all && packages+=("${everything_else[@]}")
if $print; then printf '%s\n' "${packages[@]}"; exit 0; fi
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
