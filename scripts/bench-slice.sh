#!/usr/bin/env bash
# Compares `slicec-rs --validate` (release build) with `slice2py` on every Slice file Ice
# ships, and prints how many times faster slicec-rs is. Uses hyperfine when it is installed
# (apt-get install hyperfine), otherwise a timed loop.
#
#   bash scripts/bench-slice.sh            # default: 10 runs each
#   RUNS=20 bash scripts/bench-slice.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ICE_SLICE_DIR=${ICE_SLICE_DIR:-/usr/share/ice/slice}
RUNS=${RUNS:-10}
command -v slice2py >/dev/null || { echo "slice2py is not installed (zeroc-ice-compilers)" >&2; exit 1; }
[ -d "$ICE_SLICE_DIR/Ice" ] || { echo "$ICE_SLICE_DIR is missing (zeroc-ice-slice)" >&2; exit 1; }

cargo build --release -p slicec-rs --quiet
target_dir=$(cargo metadata --format-version 1 --no-deps | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
slicec="$target_dir/release/slicec-rs"

mapfile -t files < <(find "$ICE_SLICE_DIR" -name '*.ice' | sort)
out_dir=$(mktemp -d)
trap 'rm -rf "$out_dir"' EXIT
echo "${#files[@]} files from $ICE_SLICE_DIR"

ours=("$slicec" --validate -I"$ICE_SLICE_DIR" "${files[@]}")
theirs=(slice2py -I"$ICE_SLICE_DIR" --output-dir "$out_dir" "${files[@]}")
"${ours[@]}" || { echo "slicec-rs reported errors; the comparison would be meaningless" >&2; exit 1; }
"${theirs[@]}"

if command -v hyperfine >/dev/null; then
    json="$out_dir/hyperfine.json"
    hyperfine --warmup 2 --runs "$RUNS" --export-json "$json" \
        -n slicec-rs "$(printf '%q ' "${ours[@]}")" \
        -n slice2py "$(printf '%q ' "${theirs[@]}")"
    /usr/bin/python3 - "$json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"slicec-rs {r['slicec-rs']*1000:.1f} ms, slice2py {r['slice2py']*1000:.1f} ms: "
      f"slicec-rs is {r['slice2py']/r['slicec-rs']:.2f}x as fast")
PY
else
    time_runs() {
        local start end
        start=$(date +%s%N)
        for _ in $(seq "$RUNS"); do "$@" >/dev/null 2>&1; done
        end=$(date +%s%N)
        echo $(( (end - start) / RUNS / 1000 ))
    }
    a=$(time_runs "${ours[@]}")
    b=$(time_runs "${theirs[@]}")
    echo "slicec-rs ${a} us, slice2py ${b} us per run"
    awk -v a="$a" -v b="$b" 'BEGIN { printf "slicec-rs is %.2fx as fast\n", b / a }'
fi
