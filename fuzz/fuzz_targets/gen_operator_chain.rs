//! Fuzz target: generated inputs into `checks::gen_operator_chain` (see `fuzz/src/generate.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cutover_fuzz::checks::gen_operator_chain(data));
