#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the ZeroC Ice peers, then runs every test
# of the workspace (unit, corpus, golden-vector and interoperability tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --workspace --all-targets --locked --no-fail-fast
