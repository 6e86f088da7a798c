//! Fuzz target: arbitrary bytes into `checks::scan_javascript` (see `fuzz/src/checks.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cutover_fuzz::checks::scan_javascript(data));
