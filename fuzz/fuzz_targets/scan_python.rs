//! Fuzz target: arbitrary bytes into `checks::scan_python` (see `fuzz/src/checks.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cutover_fuzz::checks::scan_python(data));
