//! The doctor's findings on a log's settings, as text (with the log's accounting) or JSON.

use crate::logs::LogReport;
use crate::logs::doctor::{Diagnosis, Level};
use crate::report::escape::control;
use crate::report::style::{Role, Style};
use anyhow::Result;
use std::io::Write;

pub fn write_text(r: &LogReport, d: &Diagnosis, style: Style, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "{}", style.paint(Role::Heading, "doctor"))?;
    for c in &d.checks {
        let level = format!("{:<5}", c.level.as_str());
        let role = match c.level {
            Level::Ok => Role::Good,
            Level::Info => Role::Dim,
            Level::Warn => Role::Read,
            Level::Error => Role::Write,
        };
        writeln!(
            out,
            "  {} {}: {}",
            style.paint(role, &level),
            c.id,
            control(&c.message)
        )?;
        if let Some(f) = &c.fix {
            writeln!(out, "        change: {}", control(f))?;
        }
    }
    writeln!(out)?;
    crate::report::logs::write_accounting(r, out)
}

pub fn write_json(d: &Diagnosis, out: &mut dyn Write) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, d)?;
    writeln!(out)?;
    Ok(())
}
