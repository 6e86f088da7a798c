//! Fuzz target: arbitrary bytes into `checks::logs_mysql_general` (see `fuzz/src/checks.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cutover_fuzz::checks::logs_mysql_general(data));
