//! The fuzz crate's shared code: the checks every target runs. `checks.rs` is also compiled
//! into `tests/robustness.rs`, so `cargo test` runs the same entry points and invariants with
//! proptest inputs.

pub mod checks;
pub mod generate;
