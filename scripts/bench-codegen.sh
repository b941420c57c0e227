#!/usr/bin/env bash
# Whole-process timing of slicec-rs (release) generating code for Ice's whole Slice
# distribution, against slice2cpp and slice2py on the same files in the same run.
#
# Usage: scripts/bench-codegen.sh [--runs N]
# Needs: slice2cpp, slice2py (zeroc-ice-compilers), Ice's Slice files (zeroc-ice-slice);
# hyperfine when installed (`apt-get install -y hyperfine`), else a plain timing loop.
# Environment: ICE_SLICE_DIR (default /usr/share/ice/slice), CARGO_TARGET_DIR.
set -euo pipefail

runs=10
if [ "${1:-}" = "--runs" ]; then runs="$2"; fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
slice="${ICE_SLICE_DIR:-/usr/share/ice/slice}"
target="${CARGO_TARGET_DIR:-$root/target}"

cargo build --release -p slicec-rs --manifest-path "$root/Cargo.toml" >&2
slicec="$target/release/slicec-rs"

files=()
for d in Ice Glacier2 IceGrid IceStorm IceBox IcePatch2 IceSSL; do
    for f in "$slice/$d"/*.ice; do files+=("$f"); done
done
echo "${#files[@]} Slice files from $slice" >&2

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/rs" "$out/cpp" "$out/py"

rs="$slicec --ice -I$slice --output-dir $out/rs ${files[*]}"
cpp="slice2cpp --ice -I$slice --output-dir $out/cpp ${files[*]}"
py="slice2py --ice -I$slice --output-dir $out/py ${files[*]}"

# Each must succeed before it is timed.
for cmd in "$rs" "$cpp" "$py"; do
    $cmd >/dev/null
done

if command -v hyperfine >/dev/null 2>&1; then
    hyperfine --warmup 2 --runs "$runs" --export-json "$out/bench.json" \
        -n slicec-rs "$rs" -n slice2cpp "$cpp" -n slice2py "$py" >&2
    python3 - "$out/bench.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
rs = r["slicec-rs"]
print("mean seconds: slicec-rs %.4f  slice2cpp %.4f  slice2py %.4f" % (rs, r["slice2cpp"], r["slice2py"]))
print("ratio slicec-rs / slice2cpp = %.2f" % (rs / r["slice2cpp"]))
print("ratio slicec-rs / slice2py  = %.2f" % (rs / r["slice2py"]))
PY
else
    for name in rs cpp py; do
        cmd="${!name}"
        start=$(date +%s.%N)
        for _ in $(seq "$runs"); do $cmd >/dev/null; done
        end=$(date +%s.%N)
        echo "$name: $(echo "($end - $start) / $runs" | bc -l) s per run"
    done
fi
