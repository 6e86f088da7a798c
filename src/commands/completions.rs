//! `cutover completions SHELL`: the shell completion script, generated from the same clap
//! definitions as the parser, so it never lists a flag the binary does not have.

use crate::cli::{Cli, CompletionsArgs};
use crate::session::Outcome;
use anyhow::Result;
use clap::CommandFactory;
use std::io::Write;

pub fn run(args: &CompletionsArgs, out: &mut dyn Write) -> Result<Outcome> {
    // Generated into memory first: clap_complete panics when its writer fails, and a
    // closed pipe (`cutover completions bash | head`) is not a bug.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "cutover", &mut script);
    out.write_all(&script)?;
    Ok(Outcome::Clean)
}
