//! A resolved run: the checked configuration, the thread pool (built once, every parallel
//! stage runs in it), and the choices every command makes the same way (whether `--strict`
//! turns problems into exit 3, where the output goes). Commands get one from their
//! arguments and never look at the command line again.

use crate::cli::ScanArgs;
use crate::config::{Config, Overrides};
use crate::model::Problem;
use anyhow::Result;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How a run ended; `main` turns it into the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing fails the check.
    Clean,
    /// Findings that fail the check (audit, dual-write).
    Failed,
    /// Some inputs could not be analysed and `--strict` was given.
    Incomplete,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Failed => 1,
            Outcome::Incomplete => 3,
        }
    }
}

pub struct Session {
    pub config: Config,
    /// The scanned path as the user gave it, for reports.
    pub root_display: String,
    pub strict: bool,
    pool: rayon::ThreadPool,
}

impl Session {
    /// A session over a repository: the configuration found in (or given for) `args.path`,
    /// which must name at least one table.
    pub fn for_scan(args: &ScanArgs) -> Result<Session> {
        let config = Config::load(
            &args.path,
            &Overrides {
                config: args.config.clone(),
                tables: args.tables.clone(),
                threads: args.threads,
            },
        )?;
        config.require_tables()?;
        Session::new(config, args.path.display().to_string(), args.strict)
    }

    /// A session without a repository (`cutover logs`): the configuration of the working
    /// directory, if any.
    pub fn for_logs(
        config: Option<PathBuf>,
        tables: &[String],
        threads: Option<usize>,
        strict: bool,
    ) -> Result<Session> {
        let config = Config::load(
            Path::new("."),
            &Overrides {
                config,
                tables: tables.to_vec(),
                threads,
            },
        )?;
        Session::new(config, ".".to_string(), strict)
    }

    fn new(config: Config, root_display: String, strict: bool) -> Result<Session> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(config.threads)
            .build()?;
        Ok(Session {
            config,
            root_display,
            strict,
            pool,
        })
    }

    /// Scan the session's repository once, collecting what `wants` asks for.
    pub fn scan(&self, wants: crate::scan::Wants) -> Result<crate::scan::Inventory> {
        self.install(|| {
            crate::scan::scan_with(self.config.clone(), self.root_display.clone(), wants)
        })
    }

    /// Run `work` in the session's thread pool.
    pub fn install<R: Send>(&self, work: impl FnOnce() -> R + Send) -> R {
        self.pool.install(work)
    }

    /// The outcome of a run that found nothing failing: `Incomplete` under `--strict` when a
    /// file was left out.
    pub fn outcome(&self, problems: &[Problem]) -> Outcome {
        if self.strict && problems.iter().any(|p| p.reason.is_skip()) {
            Outcome::Incomplete
        } else {
            Outcome::Clean
        }
    }
}

/// A progress bar on stderr when it is a terminal; hidden otherwise (tests, CI, pipes).
pub fn progress_bar() -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg:>14} [{bar:30}] {pos}/{len} (ETA {eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Where a command's report goes: standard output, or a file replaced atomically.
pub fn emit(
    output: Option<&Path>,
    out: &mut dyn Write,
    render: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    match output {
        None => render(out),
        Some(path) => {
            let mut buf = Vec::new();
            render(&mut buf)?;
            crate::atomic::write(path, &buf)
        }
    }
}
