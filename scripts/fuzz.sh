#!/usr/bin/env bash
# Run cutover's cargo-fuzz targets (fuzz/fuzz_targets/) one after the other, each for a given
# time, and print the executions per target. Works with the stable toolchain: cargo-fuzz
# needs unstable rustc flags, which RUSTC_BOOTSTRAP=1 allows, and no sanitizer (`-s none`),
# since AddressSanitizer needs a nightly standard library. Debug assertions are on (`-a`), so
# an integer overflow panics as it would in a debug build.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 30
#   TARGET              default: every target (`cargo fuzz list`)
# Environment:
#   FUZZ_JOBS=N         libFuzzer workers per target (default 1)
#   FUZZ_SANITIZER=x    cargo-fuzz sanitizer (default none; `address` needs nightly)
#   FUZZ_MAX_LEN=N      largest input in bytes (default 4096): the cost of an execution grows
#                       with its input, and 64 KiB log seeds made each one cost 40 ms. Large
#                       shapes (long chains, deep nesting) come from the gen_* targets, whose
#                       few input bytes generate them.
#
# Seeds: fuzz/corpus/<target>/ (not committed) is filled from fixtures/ before each run, so
# corpora grow across local runs and start from the fixtures in CI. A crash leaves its input
# in fuzz/artifacts/<target>/ and makes the script exit 1 after all targets have run; replay
# it with `cargo fuzz run -s none <target> <file>`, then add it to tests/robustness.rs.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-30}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
    echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
    exit 2
fi
sanitizer="${FUZZ_SANITIZER:-none}"
jobs="${FUZZ_JOBS:-1}"
max_len="${FUZZ_MAX_LEN:-4096}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz --locked" >&2
    exit 2
fi
if [ "$sanitizer" = none ]; then
    export RUSTC_BOOTSTRAP=1
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cd fuzz && cargo fuzz list 2>/dev/null)
fi
if [ "${#targets[@]}" -eq 0 ]; then
    echo "no fuzz targets found" >&2
    exit 2
fi

# Which fixtures seed which target (find name patterns).
seeds_for() {
    case "$1" in
    sql_classify | sql_fingerprint | scan_sql) echo "*.sql" ;;
    scan_python) echo "*.py" ;;
    scan_go) echo "*.go" ;;
    scan_typescript) echo "*.ts *.tsx *.mts *.cts" ;;
    scan_javascript) echo "*.js *.jsx *.mjs *.cjs" ;;
    config) echo "cutover.toml *.toml" ;;
    logs_postgres_stderr) echo "pg-*.log pg-*.log.gz" ;;
    logs_postgres_csv) echo "pg-statement.csv pg-statement.csv.gz" ;;
    logs_postgres_json) echo "pg-*.json pg-*.json.gz" ;;
    logs_mysql_general) echo "mysql-general.log mysql-general.log.gz" ;;
    logs_mysql_slow) echo "mysql-slow.log mysql-slow.log.gz mysql-slow.log.zst" ;;
    logs_pg_stat_statements) echo "pg-stat-statements.csv" ;;
    baseline) echo "*baseline*.json" ;;
    *) echo "" ;;
    esac
}

seed() {
    local target="$1" dir="fuzz/corpus/$1" pattern
    mkdir -p "$dir"
    for pattern in $(seeds_for "$target"); do
        while IFS= read -r -d '' f; do
            # Named after their fixture path, so reruns do not duplicate them. Compressed
            # logs are seeded decompressed (the targets read plain bytes best), and cut to
            # the largest input: libFuzzer's inputs stay small and fast.
            local name="$dir/fixture-$(echo "${f#fixtures/}" | tr '/' '_')"
            [ -e "$name" ] && continue
            case "$f" in
            *.gz) zcat "$f" 2>/dev/null | head -c "$max_len" >"$name" ;;
            *.zst) if command -v zstd >/dev/null; then zstd -dc "$f" 2>/dev/null | head -c "$max_len" >"$name"; fi ;;
            *) head -c "$max_len" "$f" >"$name" ;;
            esac
        done < <(find fixtures -type f -name "$pattern" -print0 2>/dev/null)
    done
    # Extra seeds committed next to the targets (e.g. log samples per format).
    if [ -d "fuzz/seeds/$target" ]; then
        cp -n fuzz/seeds/"$target"/* "$dir"/ 2>/dev/null || true
    fi
}

echo "== cargo fuzz build (sanitizer: $sanitizer, debug assertions on)"
build_start=$(date +%s)
if ! (cd fuzz && cargo fuzz build -s "$sanitizer" -a); then
    echo "fuzz build failed" >&2
    exit 1
fi
echo "build: $(( $(date +%s) - build_start )) s"

failed=0
summary=()
for target in "${targets[@]}"; do
    seed "$target"
    log="fuzz/artifacts/$target.log"
    mkdir -p "fuzz/artifacts/$target"
    echo "== $target (${seconds} s)"
    start=$(date +%s)
    parallel=()
    if [ "$jobs" -gt 1 ]; then
        parallel=(-jobs="$jobs" -workers="$jobs")
    fi
    (cd fuzz && cargo fuzz run -s "$sanitizer" -a "$target" -- \
        -max_total_time="$seconds" -max_len="$max_len" -timeout=20 -rss_limit_mb=2048 \
        "${parallel[@]}" -print_final_stats=1) >"$log" 2>&1
    status=$?
    took=$(( $(date +%s) - start ))
    # libFuzzer's final stats: executions (summed over workers).
    execs=$(grep -h '^stat::number_of_executed_units' "$log" fuzz/fuzz-*.log 2>/dev/null \
        | awk '{ s += $2 } END { print s + 0 }')
    rm -f fuzz/fuzz-*.log
    if [ "$status" -eq 0 ]; then
        result=ok
    else
        result="FAILED (exit $status, see $log)"
        failed=1
        grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written' "$log" | head -n 8
    fi
    summary+=("$(printf '%-26s %10s execs %4s s  %s' "$target" "$execs" "$took" "$result")")
done

echo "== fuzz summary (${seconds} s per target)"
printf '%s\n' "${summary[@]}"
exit "$failed"
