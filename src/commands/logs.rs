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
    let session = Session::for_logs(args.config.clone(), &args.tables, args.threads, output)?;
    logs::check_paths(&args.files)?;
    let opts = super::log_options(
        &session.config,
        args.log_line_prefix.as_deref(),
        logs::LogFormat::from_arg(args.log_format),
    );
    let logged = session.install(|| logs::read_logs(&args.files, &opts))?;
    if args.doctor {
        let diagnosis = logs::doctor::diagnose(&logged);
        let doc = Document::Doctor {
            logs: &logged,
            diagnosis: &diagnosis,
        };
        session.write(&doc, format, out)?;
        return Ok(Outcome::Clean);
    }
    session.write(&Document::Logs(&logged), format, out)?;
    Ok(Outcome::Clean)
}
