//! Fuzz target: generated inputs into `checks::gen_deep_nesting` (see `fuzz/src/generate.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cutover_fuzz::checks::gen_deep_nesting(data));
