#!/usr/bin/env bash
# Run cutover's fuzz targets (fuzz/fuzz_targets/), each for a given time, and print the
# executions per target. The targets are libFuzzer binaries (libfuzzer-sys) built with the
# same instrumentation `cargo fuzz build` would add (SanitizerCoverage, `--cfg fuzzing`),
# but by cargo directly: no cargo-fuzz to install, and the crates compile with the
# profile's codegen units instead of cargo-fuzz's forced single unit (cold builds on two
# cores took minutes longer). Works with the stable toolchain and no sanitizer; debug
# assertions are on, so an integer overflow panics as it would in a debug build.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 30
#   TARGET              default: every target (fuzz/fuzz_targets/*.rs)
# Environment:
#   FUZZ_PARALLEL=N     targets run at once (default: the number of cores)
#   FUZZ_JOBS=N         libFuzzer workers per target (default 1)
#   FUZZ_MAX_LEN=N      largest input in bytes (default 4096): the cost of an execution grows
#                       with its input, and 64 KiB log seeds made each one cost 40 ms. Large
#                       shapes (long chains, deep nesting) come from the gen_* targets, whose
#                       few input bytes generate them.
#   FUZZ_SANITIZER=x    build with `cargo fuzz -s x` instead (e.g. `address`, needs nightly
#                       and cargo-fuzz)
#
# Seeds: fuzz/corpus/<target>/ (not committed) is filled from fixtures/ before each run, so
# corpora grow across local runs and start from the fixtures in CI. A crash leaves its input
# in fuzz/artifacts/<target>/ and makes the script exit 1 after all targets have run; replay
# it with `fuzz/target/*/release/<target> <file>`, then add it to tests/robustness.rs.
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
parallel_targets="${FUZZ_PARALLEL:-$(nproc 2>/dev/null || echo 1)}"
triple="$(rustc -vV | sed -n 's/^host: //p')"
bin_dir="fuzz/target/$triple/release"
# Some of these flags are unstable on older toolchains; RUSTC_BOOTSTRAP=1 allows them on stable.
export RUSTC_BOOTSTRAP=1

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(ls fuzz/fuzz_targets/*.rs | xargs -n1 basename | sed 's/\.rs$//' | sort)
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

# The instrumentation `cargo fuzz build -s none -a` adds (cargo-fuzz 0.13), minus its
# `-Ccodegen-units=1`.
build() {
    if [ "$sanitizer" != none ]; then
        (cd fuzz && cargo fuzz build -s "$sanitizer" -a)
        return
    fi
    local flags="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4"
    flags+=" -Cllvm-args=-sanitizer-coverage-inline-8bit-counters"
    flags+=" -Cllvm-args=-sanitizer-coverage-pc-table"
    flags+=" -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"
    flags+=" -Cllvm-args=-simplifycfg-branch-fold-threshold=0 -Cdebug-assertions"
    case "$triple" in *-linux-*) flags+=" -Cllvm-args=-sanitizer-coverage-stack-depth" ;; esac
    RUSTFLAGS="$flags ${RUSTFLAGS:-}" cargo build --manifest-path fuzz/Cargo.toml \
        --target "$triple" --release --bins
}

echo "== fuzz build (sanitizer: $sanitizer, debug assertions on)"
build_start=$(date +%s)
if ! build; then
    echo "fuzz build failed" >&2
    exit 1
fi
echo "build: $(( $(date +%s) - build_start )) s"

# One target: seed, run, and write its summary line to fuzz/artifacts/<target>.result.
run_target() {
    local target="$1" log="fuzz/artifacts/$1.log" start status took execs result
    seed "$target"
    mkdir -p "fuzz/artifacts/$target"
    start=$(date +%s)
    local workers=()
    if [ "$jobs" -gt 1 ]; then
        workers=(-jobs="$jobs" -workers="$jobs")
    fi
    (cd fuzz && "../$bin_dir/$target" -artifact_prefix="artifacts/$target/" \
        -max_total_time="$seconds" -max_len="$max_len" -timeout=20 -rss_limit_mb=2048 \
        "${workers[@]}" -print_final_stats=1 "corpus/$target") >"$log" 2>&1
    status=$?
    took=$(( $(date +%s) - start ))
    # libFuzzer's final stats: executions (summed over workers).
    execs=$(grep -h '^stat::number_of_executed_units' "$log" fuzz/fuzz-*.log 2>/dev/null \
        | awk '{ s += $2 } END { print s + 0 }')
    if [ "$status" -eq 0 ]; then
        result=ok
    else
        result="FAILED (exit $status, see $log)"
        grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written' "$log" | head -n 8
    fi
    printf '%-26s %10s execs %4s s  %s\n' "$target" "$execs" "$took" "$result" \
        >"fuzz/artifacts/$target.result"
}

echo "== fuzz run (${seconds} s per target, ${parallel_targets} at once)"
running=0
for target in "${targets[@]}"; do
    rm -f "fuzz/artifacts/$target.result"
    run_target "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$parallel_targets" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait
rm -f fuzz/fuzz-*.log

echo "== fuzz summary (${seconds} s per target)"
failed=0
for target in "${targets[@]}"; do
    if [ -f "fuzz/artifacts/$target.result" ]; then
        cat "fuzz/artifacts/$target.result"
        grep -q ' ok$' "fuzz/artifacts/$target.result" || failed=1
    else
        printf '%-26s did not finish\n' "$target"
        failed=1
    fi
done
exit "$failed"
