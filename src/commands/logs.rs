//! `cutover logs`: read query logs, attribute every access to a client (or check the
//! server's logging settings with `--doctor`).

use crate::cli::LogsArgs;
use crate::logs;
use crate::report::{Document, Format};
use crate::session::{Outcome, Output, Session};
use anyhow::Result;
use std::io::Write;

pub fn run(args: &LogsArgs, out: &mut dyn Write) -> Result<Outcome> {
    let format = Format::from(args.format);
    let output = Output::new(&args.output, format)?;
    let session = Session::for_logs(
        args.config.clone(),
        &args.tables,
        args.threads,
        args.strict,
        output,
    )?;
    logs::check_paths(&args.files)?;
    let opts = super::log_options(
        &session.config,
        args.log_line_prefix.as_deref(),
        logs::LogFormat::from_arg(args.log_format),
    );
    let logged = if args.merge {
        let parts = args
            .files
            .iter()
            .map(|p| logs::merge::load(p))
            .collect::<Result<Vec<_>>>()?;
        let (summary, report) = session.install(|| logs::merge::merge(&parts, &opts.tables))?;
        if let Some(path) = &args.summary_out {
            crate::atomic::write(path, &serde_json::to_vec(&summary)?)?;
        }
        report
    } else if let Some(path) = &args.summary_out {
        let summary = session.install(|| logs::merge::read_summary(&args.files, &opts))?;
        crate::atomic::write(path, &serde_json::to_vec(&summary)?)?;
        let (_, report) = logs::merge::merge(std::slice::from_ref(&summary), &opts.tables)?;
        report
    } else {
        session.install(|| logs::read_logs(&args.files, &opts))?
    };
    if args.doctor {
        let diagnosis = logs::doctor::diagnose(&logged);
        let doc = Document::Doctor {
            logs: &logged,
            diagnosis: &diagnosis,
        };
        session.write(&doc, format, out)?;
        return Ok(outcome(&session, &logged));
    }
    session.write(&Document::Logs(&logged), format, out)?;
    Ok(outcome(&session, &logged))
}

/// `Incomplete` under `--strict` when a log line could not be analysed.
fn outcome(session: &Session, logged: &logs::LogReport) -> Outcome {
    if session.strict && !logged.incomplete().is_empty() {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    }
}
