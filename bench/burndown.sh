#!/usr/bin/env bash
# Benchmark, not a test: `cutover burndown` over the last N first-parent commits of a real
# repository, three ways in the same run:
#   cached  the normal walk (results kept per blob id and per directory tree)
#   naive   --no-cache: every sampled commit rescanned from its blobs, nothing reused
#   inventory  one `cutover inventory` of HEAD, extracted with `git archive` to a temp dir
#   disk-fill / disk-rerun  the cached walk with --cache-dir, twice (the rerun is incremental)
# Goals (issue 7): cached <= 15% of naive, and cached <= 3x one inventory.
#
# usage: bench/burndown.sh REPO [N] [--table NAME]...
#   REPO  a git work tree or bare repository (e.g. a `git clone --mirror`)
#   N     commits to walk (default 500)
# Builds nothing: run `cargo build --release` first (or set CUTOVER_BIN to another binary,
# e.g. a copy of an older build to compare).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=${1:?usage: bench/burndown.sh REPO [N] [--table NAME]...}
n=${2:-500}
shift $(( $# >= 2 ? 2 : 1 ))
tables=("$@")
[ ${#tables[@]} -gt 0 ] || tables=(--table authors --table books --table users)
bin=${CUTOVER_BIN:-$PWD/target/release/cutover}
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git -C "$repo" archive HEAD | tar -x -C "$work"
# The inventory reads the work tree's own cutover.toml if there is one; keep both runs on
# the same configuration by passing the tables explicitly and no config file.
cfg=$work/.bench.toml
: > "$cfg"

echo "repository: $repo"
echo "HEAD: $(git -C "$repo" rev-parse HEAD)  first-parent commits: $(git -C "$repo" rev-list --first-parent --count HEAD)"
echo "files at HEAD: $(git -C "$repo" ls-tree -r HEAD --name-only | wc -l)"
echo "commits walked: $n; tables: ${tables[*]}; cores: $(nproc)"
echo

run() {
    local label=$1; shift
    /usr/bin/time -o "$work/$label.time" -f "%e %U %S %M" "$@" > "$work/$label.out"
    read -r wall user sys rss < "$work/$label.time"
    echo "$label: $wall s wall, $user s user, $sys s sys, $rss KB max RSS"
}
run inventory "$bin" inventory "$work" --config "$cfg" "${tables[@]}" --format json
run cached    "$bin" burndown "$repo" --config "$cfg" "${tables[@]}" --commits "$n" --format json
run naive     "$bin" burndown "$repo" --config "$cfg" "${tables[@]}" --commits "$n" --format json --no-cache
# The on-disk cache: a first run fills it, a rerun only reads it.
run disk-fill "$bin" burndown "$repo" --config "$cfg" "${tables[@]}" --commits "$n" --format json --cache-dir "$work/cache"
run disk-rerun "$bin" burndown "$repo" --config "$cfg" "${tables[@]}" --commits "$n" --format json --cache-dir "$work/cache"
echo

python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
cached = json.load(open(f"{w}/cached.out"))
naive = json.load(open(f"{w}/naive.out"))
inv = json.load(open(f"{w}/inventory.out"))
same = [s["counts"] for s in cached["samples"]] == [s["counts"] for s in naive["samples"]]
print("cached stats:", json.dumps(cached["stats"]))
print("naive stats: ", json.dumps(naive["stats"]))
rerun = json.load(open(f"{w}/disk-rerun.out"))
print("disk rerun stats:", json.dumps(rerun["stats"]))
print("same counts in cached and naive:", same)
last = cached["samples"][-1]["total"] if cached["samples"] else 0
print("references at HEAD: burndown", last, "/ inventory", len(inv["findings"]))
def cost(label):
    wall, user, sys_, _ = open(f"{w}/{label}.time").read().split()
    return float(wall), float(user) + float(sys_)
(cw, cc), (nw, nc), (iw, ic) = cost("cached"), cost("naive"), cost("inventory")
print(f"cached / naive: {100 * cc / nc:.1f} % CPU, {100 * cw / nw:.1f} % wall (goal <= 15 %)")
print(f"cached / inventory: {cc / ic:.1f}x CPU, {cw / iw:.1f}x wall (goal <= 3x)")
PY
