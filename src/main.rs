//! The `cutover` binary: parse arguments, run, print the error chain, choose the exit code.

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let cli = match cutover::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let e = cutover::cli::with_tips(e, &args);
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let stdout = std::io::stdout();
    let mut out = cutover::Output::new(std::io::BufWriter::new(stdout.lock()));
    let result = cutover::run(cli, &mut out);
    let flushed = out.flush();
    let closed = out.closed();
    match (result, flushed) {
        // `cutover … | head`: the reader has what it wanted, and the exit code still says
        // what the run found (an audit that fails the check fails it with its stdout closed).
        (Ok(outcome), Ok(())) => ExitCode::from(outcome.exit_code()),
        (Ok(outcome), Err(_)) if closed => ExitCode::from(outcome.exit_code()),
        (Ok(_), Err(e)) => report(&e.into()),
        (Err(e), _) if closed || cutover::is_broken_pipe(&e) => ExitCode::SUCCESS,
        (Err(e), _) => report(&e),
    }
}

fn report(e: &anyhow::Error) -> ExitCode {
    #[expect(clippy::print_stderr, reason = "main reports the error chain")]
    {
        eprintln!("error: {e:#}");
    }
    ExitCode::from(2)
}
