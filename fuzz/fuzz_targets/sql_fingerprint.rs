//! Fuzz target: arbitrary bytes into `checks::sql_fingerprint` (see `fuzz/src/checks.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cutover_fuzz::checks::sql_fingerprint(data));
