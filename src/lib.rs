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
//!        db (the live catalog; `cutover db` and `--db`)
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
pub mod db;
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
pub use scan::{Inventory, discover, scan};
pub use session::Outcome;

/// Whether an error is a closed stdout (`cutover … | head`), which is not a failure.
/// serde_json wraps the I/O error and its `source()` skips it (it returns the I/O error's
/// own source), so the chain alone misses a pipe closed during `--format json`: its
/// error kind is asked for explicitly. `Output` catches every other wrapping.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        let kind = c
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| {
                c.downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
            });
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// Standard output as `main` hands it to a command: it remembers whether the reader went
/// away, so that a closed pipe ends the run quietly (exit 0, no message) however the
/// renderer in between wrapped the error on its way up.
pub struct Output<W: std::io::Write> {
    inner: W,
    closed: bool,
}

impl<W: std::io::Write> Output<W> {
    pub fn new(inner: W) -> Output<W> {
        Output {
            inner,
            closed: false,
        }
    }

    /// Whether a write failed because the reading end of the pipe was closed.
    pub fn closed(&self) -> bool {
        self.closed
    }

    fn seen<T>(&mut self, r: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &r
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            self.closed = true;
        }
        r
    }
}

impl<W: std::io::Write> std::io::Write for Output<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.inner.write(buf);
        self.seen(r)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.inner.flush();
        self.seen(r)
    }
}
