#!/usr/bin/env bash
# Give the demo a history, then plot it: builds a throwaway git repository from
# fixtures/demo in which the legacy tables are migrated away two lines a week (each
# reference rewritten to the table's `replacement` from cutover.toml), stopping with a third
# of the code lines still to do, and renders the burndown of that history to
# docs/burndown.svg.
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
"$bin" inventory . --format jsonl | python3 -c '
import json, sys
files = sorted({json.loads(l)["file"] for l in sys.stdin if l.strip()})
print("\n".join(f for f in files if not f.endswith(".sql")))' > "$tmp/.files"

# Each week, rewrite the next two lines that name a legacy table to its replacement (or
# NAME_v2 without one), in path order; stop when a third of those lines are left.
python3 - "$tmp/.files" <<'PY' > "$tmp/.weeks"
import re, sys, tomllib
cfg = tomllib.load(open("cutover.toml", "rb"))
subs = []
for t in cfg.get("tables", []):
    name = t["name"].split(".")[-1]
    rep = t.get("replacement") or name + "_v2"
    rep = (rep if isinstance(rep, str) else rep[0]).split(".")[-1]
    subs.append((re.compile(r"\b%s\b" % re.escape(name)), rep))
files = [f for f in open(sys.argv[1]).read().split("\n") if f]
sites = [(f, i) for f in files
         for i, line in enumerate(open(f).read().split("\n"))
         if any(p.search(line) for p, _ in subs)]
todo = len(sites) - len(sites) // 3
for week, start in enumerate(range(0, todo, 2), 1):
    print(week, " ".join(f"{f}:{i}" for f, i in sites[start:min(start + 2, todo)]))
PY
while read -r week sites; do
    python3 - $sites <<'PY'
import re, sys, tomllib
cfg = tomllib.load(open("cutover.toml", "rb"))
subs = []
for t in cfg.get("tables", []):
    name = t["name"].split(".")[-1]
    rep = t.get("replacement") or name + "_v2"
    rep = (rep if isinstance(rep, str) else rep[0]).split(".")[-1]
    subs.append((re.compile(r"\b%s\b" % re.escape(name)), rep))
for site in sys.argv[1:]:
    path, line = site.rsplit(":", 1)
    lines = open(path).read().split("\n")
    for pattern, rep in subs:
        lines[int(line)] = pattern.sub(rep, lines[int(line)])
    open(path, "w").write("\n".join(lines))
PY
    commit "$(day $((7 * week)))" "Week $week: move ${sites%%:*} and others off the legacy tables"
done < "$tmp/.weeks"
rm -f "$tmp/.files" "$tmp/.weeks"

mkdir -p "$(dirname "$out")"
"$bin" burndown . --every week --svg "$out" --title "Demo monorepo: references to legacy tables"
echo "wrote $out"
