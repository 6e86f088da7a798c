//! The doctor's findings on a log's settings, as text (with the log's accounting) or JSON.

use crate::logs::LogReport;
use crate::logs::doctor::Diagnosis;
use anyhow::Result;
use std::io::Write;

pub fn write_text(r: &LogReport, d: &Diagnosis, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "doctor")?;
    for c in &d.checks {
        writeln!(out, "  {:<5} {}: {}", c.level.as_str(), c.id, c.message)?;
        if let Some(f) = &c.fix {
            writeln!(out, "        change: {f}")?;
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
