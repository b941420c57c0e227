#!/usr/bin/env bash
# bench.sh - the one benchmark command: builds ZeroC's anchor harness (in a scratch copy) and our
# bench-server/bench-client (release), then runs the harness's run.sh with our server plugged in
# next to ZeroC's C++ server, first with ZeroC's C++ client, then with our Rust client.
#
# Usage: scripts/bench.sh [--quick] [--reps N] [--seconds T] [--threads N] [--cases LIST]
#                         [--skip-rust-client] [--with-python] [--port P]
#   --quick            1 repetition, 1 s windows, cases latency,tp1,tp16,tp64,bytes,amd10,amd1000,amd10000
#   default            3 repetitions, 2 s windows, every case of run.sh plus amd10000
#   --with-python      also ZeroC's Python servers (py-sync, py-amd, py-coro)
# Environment: ANCHORS_SRC (default ../shared/anchors beside the repository), ANCHORS_DIR (scratch build copy,
# default target/anchors), CARGO_TARGET_DIR (default target), RESULTS (default target/bench-results).
#
# Servers: cpp-sync, cpp-amd (ZeroC presets), rust-sync, rust-amd; ratios against cpp-amd. Every
# run gets a fresh server; server order rotates every repetition (run.sh's rules).
# The Rust-client pass runs a copy of run.sh whose CLIENT is our bench-client (same loop, same
# measurements: the client is the only difference).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ANCHORS_SRC=${ANCHORS_SRC:-$ROOT/../shared/anchors}
ANCHORS_DIR=${ANCHORS_DIR:-$ROOT/target/anchors}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
RESULTS=${RESULTS:-$ROOT/target/bench-results}

reps=3 seconds=2 threads=1 port=10000 rust_client=1 python=0
cases=latency,tp1,tp16,tp64,bytes,amd10,amd100,amd1000,amd10000
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) reps=1 seconds=1 cases=latency,tp1,tp16,tp64,bytes,amd10,amd1000,amd10000; shift ;;
    --reps) reps=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --cases) cases=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --skip-rust-client) rust_client=0; shift ;;
    --with-python) python=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: unknown option '$1'" >&2; exit 1 ;;
  esac
done

echo "== building the anchors in $ANCHORS_DIR" >&2
mkdir -p "$ANCHORS_DIR"
# Copy sources only (not a previous build), so an update of the harness is picked up.
(cd "$ANCHORS_SRC" && tar --exclude=./build --exclude=./results -cf - .) | (cd "$ANCHORS_DIR" && tar -xf -)
(cd "$ANCHORS_DIR" && ./build.sh >/dev/null)

echo "== building bench-server and bench-client (release)" >&2
(cd "$ROOT" && CARGO_TARGET_DIR=$TARGET cargo build --release -p bench)
server=$TARGET/release/bench-server
client=$TARGET/release/bench-client

# run.sh with an overridable client: the same file, CLIENT taken from the environment.
sed 's|^CLIENT=build/bench-client$|CLIENT=${BENCH_CLIENT:-build/bench-client}|' \
  "$ANCHORS_DIR/run.sh" >"$ANCHORS_DIR/run-any-client.sh"
grep -q 'BENCH_CLIENT' "$ANCHORS_DIR/run-any-client.sh" || { echo "bench.sh: run.sh changed: CLIENT line not found" >&2; exit 1; }
chmod +x "$ANCHORS_DIR/run-any-client.sh"

mkdir -p "$RESULTS"
stamp=$(date +%Y%m%d-%H%M%S)
common=(--reps "$reps" --seconds "$seconds" --threads "$threads" --port "$port" --cases "$cases"
  --server cpp-sync --server cpp-amd
  --server "rust-sync=$server --mode sync --port {port} --threads {threads}"
  --server "rust-amd=$server --mode amd --port {port} --threads {threads}"
  --baseline cpp-amd)
if [[ $python == 1 ]]; then
  common+=(--server py-sync --server py-amd --server py-coro)
fi

{
  echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), kernel $(uname -r)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$RESULTS/machine-$stamp.txt" >&2

echo "== ZeroC C++ client" >&2
(cd "$ANCHORS_DIR" && ./run-any-client.sh "${common[@]}" --out "$RESULTS/cpp-client-$stamp.jsonl") \
  | tee "$RESULTS/cpp-client-$stamp.md"
if [[ $rust_client == 1 ]]; then
  echo "== Rust client ($client)" >&2
  (cd "$ANCHORS_DIR" && BENCH_CLIENT=$client ./run-any-client.sh "${common[@]}" \
     --out "$RESULTS/rust-client-$stamp.jsonl") | tee "$RESULTS/rust-client-$stamp.md"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULTS/machine-$stamp.txt" >&2
echo "raw results and tables: $RESULTS/*-$stamp.*" >&2
