#!/usr/bin/env bash
# Installs the system packages the tests need: ZeroC Ice 3.7 from Debian (the real peers the
# interoperability tests run against). Run as root (CI does); safe to run again.
set -euo pipefail
PACKAGES=(zeroc-ice-slice zeroc-ice-compilers python3-zeroc-ice libzeroc-ice-dev)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: ZeroC Ice packages already installed"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
