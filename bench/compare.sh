#!/usr/bin/env bash
# Side-by-side benchmark of cutover against the tools that bound it, measured in one run:
#   code: cutover inventory  vs  rg -c (reading every file once: the limit)  vs  ast-grep
#   logs: cutover logs       vs  rg -c  vs  pgBadger (-j 2)
# Prints one table of medians over warm runs, with peak RSS and the ratio to rg.
#
# usage: bench/compare.sh [--code DIR] [--log FILE] [--tables a,b,c] [--runs N] [--scale]
#   --code DIR     a source tree (Python, Go, TypeScript/JavaScript); see bench/README.md
#   --log FILE     a PostgreSQL stderr log (make one with ../shared/bench/make-pg-logs.sh)
#   --prefix P     its log_line_prefix (default: the one make-pg-logs.sh uses)
#   --tables LIST  table names, comma-separated (default with --code: order_order,pullreqs,
#                  product, the real names of the corpus's central tables, which ORM models
#                  map; `orders,products,executions` is the unmapped case)
#   --bin PATH     the cutover binary to measure (default: a release build of this checkout)
#   --runs N       timed runs per command after one warm-up (default: 5)
#   --scale        also run cutover on 4x and 16x copies of the tree (hard links) and the log
# Without --code and --log: the labeled repositories (bench/accuracy, checked out by
# bench/accuracy/fetch.sh into $ACCURACY_REPOS, default bench/accuracy/.repos), each with the
# real tables of its cutover.toml, one row per tool and repository.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
code="" log="" runs=5 scale=0 bin=""
tables="order_order,pullreqs,product"
prefix='%m [%p] %q%u@%d app=%a host=%h '
while [ $# -gt 0 ]; do
  case "$1" in
    --code) code="$2"; shift 2 ;;
    --log) log="$2"; shift 2 ;;
    --tables) tables="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --prefix) prefix="$2"; shift 2 ;;
    --scale) scale=1; shift ;;
    --bin) bin="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
accuracy=""
if [ -z "$code" ] && [ -z "$log" ]; then
  accuracy="${ACCURACY_REPOS:-$here/accuracy/.repos}"
  [ -d "$accuracy" ] || { echo "no --code/--log, and no checkouts in $accuracy (bench/accuracy/fetch.sh $accuracy)" >&2; exit 2; }
fi

tools="$here/.tools"
mkdir -p "$tools"

need_apt() {
  local missing=()
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (apt)" >&2
    apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >/dev/null
  fi
}
need_apt rg:ripgrep hyperfine:hyperfine
[ -z "$log" ] || need_apt pgbadger:pgbadger
[ -x /usr/bin/time ] || need_apt gnu-time-missing:time
# ast-grep, if it can be had: from PATH, or from npm installed locally (/usr/bin/sg, shadow's
# `sg`, blocks a global install). Without it the ast-grep rows are left out.
astgrep="$tools/node_modules/.bin/ast-grep"
if [ ! -x "$astgrep" ] && command -v ast-grep >/dev/null 2>&1; then
  astgrep="$(command -v ast-grep)"
fi
if [ -z "$log" ] && [ ! -x "$astgrep" ] && command -v npm >/dev/null 2>&1; then
  echo "installing @ast-grep/cli (npm)" >&2
  (cd "$tools" && npm install --silent --no-audit --no-fund @ast-grep/cli >/dev/null 2>&1) \
    || echo "ast-grep not installed: its rows are left out" >&2
fi

if [ -n "$bin" ]; then
  cutover="$bin"
else
  echo "building cutover (release)" >&2
  (cd "$repo" && cargo build --release --quiet)
  cutover="$repo/target/release/cutover"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# median wall seconds of a command over $runs warm runs (hyperfine), then peak RSS (MB).
measure() {
  local name="$1"; shift
  # -i: rg exits 1 when nothing matches (a table a repository never names).
  hyperfine -i --style none --warmup 1 --runs "$runs" --export-json "$work/h.json" \
    --command-name "$name" -- "$*" >/dev/null 2>&1 || { echo "$name failed: $*" >&2; return 1; }
  local median
  median="$(python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$work/h.json")"
  local rss
  rss="$( { /usr/bin/time -f '%M' bash -c "$* >/dev/null 2>&1" ; } 2>&1 | tail -1 )" || true
  echo "$name|$median|$((rss / 1024))"
}

table() {
  local limit="$1"; shift
  printf '| %-34s | %10s | %12s | %12s |\n' "command" "median s" "peak RSS MB" "× $limit"
  printf '|%s|%s|%s|%s|\n' "------------------------------------" "------------" "--------------" "--------------"
  local base=""
  while IFS='|' read -r name secs rss; do
    [ -n "$base" ] || base="$secs"
    printf '| %-34s | %10s | %12s | %12s |\n' "$name" "$secs" "$rss" \
      "$(python3 -c "print('%.2f' % ($secs / $base if $base > 0 else 0))")"
  done
}

# ast-grep rules: one SQL-sink call per language whose text names one of the tables.
astgrep_rules() {
  local alt="$1"
  cat >"$work/rules.yml" <<EOF
id: sql-sink-python
language: python
rule: { kind: call, regex: '(?is)\.(execute|executemany|fetch|fetchrow|fetchval|raw|text|exec_driver_sql)\(.*($alt)' }
---
id: sql-sink-go
language: go
rule: { kind: call_expression, regex: '(?is)\.(Exec|Query|QueryRow|Prepare|Get|Select|Raw)(Context)?\(.*($alt)' }
---
id: sql-sink-ts
language: typescript
rule: { kind: call_expression, regex: '(?is)\.(query|execute|prepare|raw)\(.*($alt)' }
---
id: sql-sink-tsx
language: tsx
rule: { kind: call_expression, regex: '(?is)\.(query|execute|prepare|raw)\(.*($alt)' }
---
id: sql-sink-js
language: javascript
rule: { kind: call_expression, regex: '(?is)\.(query|execute|prepare|raw)\(.*($alt)' }
EOF
}

# The rows of one tree: rg (the limit), cutover, ast-grep if installed. $2: tables
# (comma-separated); $3: extra cutover arguments (a --config).
code_rows() {
  local dir="$1" list="$2" extra="${3:-}" alt targs=()
  IFS=, read -r -a names <<<"$list"
  alt="$(IFS='|'; echo "${names[*]}")"
  for t in "${names[@]}"; do targs+=(--table "$t"); done
  measure "rg -c (limit)" rg -c -i -t py -t go -t ts -t js -t sql "'$alt'" "'$dir'"
  measure "cutover inventory" "'$cutover'" inventory "'$dir'" "${targs[@]}" $extra --format jsonl
  if [ -x "$astgrep" ]; then
    astgrep_rules "$alt"
    measure "ast-grep scan (1 rule/language)" "'$astgrep'" scan --rule "'$work/rules.yml'" "'$dir'" --json=stream
  fi
}

if [ -n "$accuracy" ]; then
  echo
  echo "## code: the labeled repositories in $accuracy, their real tables, $(nproc) cores, median of $runs"
  for cfg in "$here"/accuracy/*/cutover.toml; do
    name="$(basename "$(dirname "$cfg")")"
    [ -d "$accuracy/$name" ] || continue
    list="$(sed -n 's/^name = "\(.*\)"$/\1/p' "$cfg" | paste -sd, -)"
    lines="$(rg --files -t py -t go -t ts -t js "$accuracy/$name" | xargs -d '\n' cat 2>/dev/null | wc -l)"
    echo
    echo "### $name ($lines lines), tables: $list"
    code_rows "$accuracy/$name" "$list" "--config $cfg" | table rg
  done
fi

if [ -n "$code" ]; then
  lines="$(rg --files -t py -t go -t ts -t js "$code" | xargs -d '\n' cat 2>/dev/null | wc -l)"
  echo
  echo "## code: $code ($lines lines of Python/Go/TS/JS), tables: $tables, $(nproc) cores, median of $runs"
  code_rows "$code" "$tables" | table rg
  IFS=, read -r -a names <<<"$tables"
  table_args=()
  for t in "${names[@]}"; do table_args+=(--table "$t"); done
if [ "$scale" = 1 ]; then
    echo
    echo "## scaling: cutover inventory on 1x, 4x, 16x the tree (hard-linked copies)"
    mkdir -p "$work/x4" "$work/x16"
    for i in 1 2 3 4; do cp -al "$code" "$work/x4/c$i"; done
    for i in 1 2 3 4; do cp -al "$work/x4" "$work/x16/c$i"; done
    {
      measure "1x" "'$cutover'" inventory "'$code'" "${table_args[@]}" --format jsonl
      measure "4x" "'$cutover'" inventory "'$work/x4'" "${table_args[@]}" --format jsonl
      measure "16x" "'$cutover'" inventory "'$work/x16'" "${table_args[@]}" --format jsonl
    } | table 1x
  fi
fi

if [ -n "$log" ]; then
  size="$(du -m "$log" | cut -f1)"
  echo
  echo "## logs: $log (${size} MB), median of $runs"
  {
    measure "rg -c statement: (limit)" rg -c "'statement:|execute '" "'$log'"
    measure "cutover logs" "'$cutover'" logs "'$log'" --log-format postgres-stderr --log-line-prefix "'$prefix'" --format json
    measure "pgbadger -j 2" pgbadger -j 2 -f stderr --prefix "'$prefix'" -q -o "'$work/out.txt'" "'$log'"
  } | table rg
fi
