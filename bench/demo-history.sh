#!/usr/bin/env bash
# Give the demo a history, then plot it: builds a throwaway git repository from
# fixtures/demo in which the legacy tables are migrated away a few files a week (each
# reference rewritten to the table's `replacement` from cutover.toml), stopping with a third
# of the files still to do, and renders the burndown of that history to docs/burndown.svg.
# Dates are fixed, so the chart is the same on every run.
#
# usage: bench/demo-history.sh [DEMO_DIR] [OUT.svg]
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
demo=${1:-fixtures/demo}
out=${2:-docs/burndown.svg}
case $out in /*) ;; *) out=$top/$out ;; esac
bin=${CUTOVER:-$top/target/release/cutover}
[ -x "$bin" ] || cargo build --release
[ -f "$demo/cutover.toml" ] || { echo "no $demo/cutover.toml" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -R "$demo"/. "$tmp"/
cd "$tmp"
git init -q
git config user.name "Demo Dev"
git config user.email "dev@example.com"
git config commit.gpgsign false

day() { date -u -d "2026-01-05 + $1 days" +%Y-%m-%d; }
commit() { # commit DAY MESSAGE
    git add -A
    GIT_AUTHOR_DATE="$1T10:00:00Z" GIT_COMMITTER_DATE="$1T10:00:00Z" git commit -qm "$2"
}
commit "$(day 0)" "Import the demo monorepo"

# Code files that reference a legacy table, in path order (migrations stay: they are history).
mapfile -t files < <("$bin" inventory . --format jsonl | python3 -c '
import json, sys
files = sorted({json.loads(l)["file"] for l in sys.stdin if l.strip()})
print("\n".join(f for f in files if not f.endswith(".sql")))')
# sed expressions rewriting each legacy table to its replacement (or NAME_v2 without one).
mapfile -t rewrites < <(python3 -c '
import tomllib
cfg = tomllib.load(open("cutover.toml", "rb"))
for t in cfg.get("tables", []):
    name = t["name"].split(".")[-1]
    rep = t.get("replacement") or name + "_v2"
    rep = (rep if isinstance(rep, str) else rep[0]).split(".")[-1]
    print(f"s/\\b{name}\\b/{rep}/g")')
sed_args=()
for r in "${rewrites[@]}"; do sed_args+=(-e "$r"); done

todo=$(( ${#files[@]} * 2 / 3 ))
week=1
for ((i = 0; i < todo; i += 2)); do
    for f in "${files[@]:i:2}"; do sed -i -E "${sed_args[@]}" "$f"; done
    commit "$(day $((7 * week)))" "Move ${files[i]} off the legacy tables"
    week=$((week + 1))
done

mkdir -p "$(dirname "$out")"
"$bin" burndown . --every week --svg "$out" --title "Demo monorepo: references to legacy tables"
echo "wrote $out"
