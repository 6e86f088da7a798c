//! Fuzz target: arbitrary bytes into `checks::sql_classify` (see `fuzz/src/checks.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cutover_fuzz::checks::sql_classify(data));
