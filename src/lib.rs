//! cutover: find every reader and writer of a legacy table before migrating it.
//!
//! The pipeline, top to bottom:
//!
//! ```text
//! cli ─► session (Config, thread pool) ─► commands/<command>
//!          │
//!          ▼
//!        scan: discover ─► orm (pass 1: models) ─► extract (pass 2: findings)
//!          │                                          uses sql (the classifier), lang, catalog
//!          ▼
//!        logs · audit · plan · dualwrite · burndown   (each takes the scan's output)
//!          │
//!          ▼
//!        report::write(&Document, Format, out)
//! ```
//!
//! Each stage is a module of plain functions, data in and owned data out; only `main.rs`
//! touches the process. `docs/architecture.md` says how to add a language, a framework, a
//! log format and an output format.

pub mod atomic;
pub mod audit;
pub mod burndown;
pub mod catalog;
pub mod cli;
mod commands;
pub mod config;
pub mod discover;
pub mod dualwrite;
pub mod extract;
mod git;
pub mod lang;
pub mod logs;
pub mod model;
pub mod orm;
pub mod plan;
pub mod report;
pub mod scan;
pub mod session;
pub mod sql;

pub use commands::run;
pub use scan::{Inventory, scan};
pub use session::Outcome;

/// Whether an error is a closed stdout (`cutover … | head`), which is not a failure.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
