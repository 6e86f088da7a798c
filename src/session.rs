//! A resolved run: the checked configuration, the thread pool (built once, every parallel
//! stage runs in it), and the choices every command makes the same way (whether `--strict`
//! turns problems into exit 3, where the output goes, whether it is coloured). Commands get
//! one from their arguments and never look at the command line again.

use crate::cli::{ColorChoice, OutputArgs, ScanArgs};
use crate::config::{Config, Overrides};
use crate::model::Problem;
use crate::report::style::Style;
use crate::report::{self, Document, Format};
use anyhow::Result;
use std::ffi::OsString;
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

/// Where a command's report goes and how it looks: standard output or `-o FILE`, with or
/// without colour. Built before any work, so a wrong `--output` name fails at once.
#[derive(Debug, Clone, Default)]
pub struct Output {
    pub path: Option<PathBuf>,
    /// ANSI colour in text output.
    pub color: bool,
}

impl Output {
    /// The output of a report in `format`: refuses an `--output` name of another format
    /// (`report -o x.pdf`), and decides colour for text going to a terminal.
    pub fn new(args: &OutputArgs, format: Format) -> Result<Output> {
        use std::io::IsTerminal;
        if let Some(path) = &args.output {
            report::check_output_name("--output", path, format)?;
        }
        let terminal = args.output.is_none() && std::io::stdout().is_terminal();
        let color =
            format == Format::Text && color_wanted(args.color, terminal, |k| std::env::var_os(k));
        Ok(Output {
            path: args.output.clone(),
            color,
        })
    }

    /// Render `doc` as `format` where this output goes.
    pub fn write(&self, doc: &Document<'_>, format: Format, out: &mut dyn Write) -> Result<()> {
        let style = Style { color: self.color };
        emit(self.path.as_deref(), out, |w| {
            report::write_styled(doc, format, style, w)
        })
    }
}

/// Whether to colour: `--color always|never` decides; `auto` colours a terminal, unless
/// `NO_COLOR` is set (no-color.org), and colours anything when `CLICOLOR_FORCE` or
/// `FORCE_COLOR` is set (to anything but `0`), as CI systems that render colour ask.
pub fn color_wanted(
    choice: ColorChoice,
    terminal: bool,
    env: impl Fn(&str) -> Option<OsString>,
) -> bool {
    let set = |k: &str| env(k).is_some_and(|v| !v.is_empty());
    let forced = |k: &str| env(k).is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set("NO_COLOR") => false,
        ColorChoice::Auto if forced("CLICOLOR_FORCE") || forced("FORCE_COLOR") => true,
        ColorChoice::Auto => terminal && env("TERM").is_none_or(|t| t != "dumb"),
    }
}

pub struct Session {
    pub config: Config,
    /// The scanned path as the user gave it, for reports.
    pub root_display: String,
    pub strict: bool,
    /// Where the report goes and whether it is coloured.
    pub output: Output,
    pool: rayon::ThreadPool,
}

impl Session {
    /// A session over a repository: the configuration found in (or given for) `args.path`,
    /// which must name at least one table, and the output of a report in `format`.
    pub fn for_scan(args: &ScanArgs, output: &OutputArgs, format: Format) -> Result<Session> {
        let output = Output::new(output, format)?;
        let config = Config::load(
            &args.path,
            &Overrides {
                config: args.config.clone(),
                tables: args.tables.clone(),
                threads: args.threads,
                include_generated: args.include_generated,
            },
        )?;
        config.require_tables()?;
        Session::new(config, args.path.display().to_string(), args.strict, output)
    }

    /// A session without a repository (`cutover logs`): the configuration of the working
    /// directory, if any.
    pub fn for_logs(
        config: Option<PathBuf>,
        tables: &[String],
        threads: Option<usize>,
        strict: bool,
        output: Output,
    ) -> Result<Session> {
        let config = Config::load(
            Path::new("."),
            &Overrides {
                config,
                tables: tables.to_vec(),
                threads,
                include_generated: false,
            },
        )?;
        Session::new(config, ".".to_string(), strict, output)
    }

    fn new(config: Config, root_display: String, strict: bool, output: Output) -> Result<Session> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(config.threads)
            .build()?;
        Ok(Session {
            config,
            root_display,
            strict,
            output,
            pool,
        })
    }

    /// Scan the session's repository once, collecting what `wants` asks for.
    pub fn scan(&self, wants: crate::scan::Wants) -> Result<crate::scan::Inventory> {
        self.install(|| {
            let progress = progress_bar("files");
            let inventory = crate::scan::scan_observed(
                self.config.clone(),
                self.root_display.clone(),
                wants,
                &progress,
            );
            progress.finish_and_clear();
            inventory
        })
    }

    /// Render `doc` as `format` to the session's output.
    /// A closed stdout (`cutover … | head`) is not an error: the rest of the run goes on
    /// (an audit still records, still fails the check) and its outcome is the exit code.
    pub fn write(&self, doc: &Document<'_>, format: Format, out: &mut dyn Write) -> Result<()> {
        match self.output.write(doc, format, out) {
            Err(e) if crate::is_broken_pipe(&e) => Ok(()),
            r => r,
        }
    }

    /// Run `work` in the session's thread pool.
    pub fn install<R: Send>(&self, work: impl FnOnce() -> R + Send) -> R {
        self.pool.install(work)
    }

    /// The outcome of a run that found nothing failing: `Incomplete` under `--strict` when a
    /// file was left out.
    pub fn outcome(&self, problems: &[Problem]) -> Outcome {
        if self.strict && problems.iter().any(|p| p.reason.is_incomplete()) {
            Outcome::Incomplete
        } else {
            Outcome::Clean
        }
    }
}

/// A progress bar on stderr, drawn only when stderr is a terminal and only once the work has
/// run for a second (a quick run leaves the screen as it was); hidden in tests, CI, pipes and
/// under `CUTOVER_NO_PROGRESS`. It clears itself when finished or when its last handle is
/// dropped. `unit` names what is counted ("files", "items"), or is "bytes".
pub fn progress_bar(unit: &str) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() || std::env::var_os("CUTOVER_NO_PROGRESS").is_some() {
        return ProgressBar::hidden();
    }
    let template = if unit == "bytes" {
        "{msg:>10} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, ETA {eta})"
    } else {
        "{msg:>10} [{bar:30}] {pos}/{len} {prefix} (ETA {eta})"
    };
    let mut bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden())
        .with_finish(ProgressFinish::AndClear)
        .with_prefix(unit.to_string());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar = bar.with_style(style.progress_chars("=> "));
    }
    // The thread holds a weak handle: a bar dropped before the delay is never drawn.
    let weak = bar.downgrade();
    std::thread::spawn(move || {
        std::thread::sleep(PROGRESS_DELAY);
        if let Some(bar) = weak.upgrade()
            && !bar.is_finished()
        {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
        }
    });
    bar
}

/// How long a run goes before its progress bar is drawn.
const PROGRESS_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

/// Start a stage of `len` steps on `bar`, named `stage`.
pub fn progress_stage(bar: &indicatif::ProgressBar, stage: &'static str, len: u64) {
    bar.set_message(stage);
    bar.set_length(len);
    bar.set_position(0);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn colour_follows_the_flag_then_the_environment_then_the_terminal() {
        use ColorChoice::{Always, Auto, Never};
        assert!(color_wanted(Auto, true, env(&[])));
        assert!(!color_wanted(Auto, false, env(&[])));
        assert!(!color_wanted(Auto, true, env(&[("NO_COLOR", "1")])));
        assert!(
            color_wanted(Auto, true, env(&[("NO_COLOR", "")])),
            "empty is unset"
        );
        assert!(color_wanted(Auto, false, env(&[("CLICOLOR_FORCE", "1")])));
        assert!(color_wanted(Auto, false, env(&[("FORCE_COLOR", "3")])));
        assert!(!color_wanted(Auto, false, env(&[("FORCE_COLOR", "0")])));
        assert!(!color_wanted(Auto, true, env(&[("TERM", "dumb")])));
        assert!(
            !color_wanted(Auto, false, env(&[("NO_COLOR", "1"), ("FORCE_COLOR", "1")])),
            "NO_COLOR wins over a force"
        );
        assert!(color_wanted(Always, false, env(&[("NO_COLOR", "1")])));
        assert!(!color_wanted(Never, true, env(&[("FORCE_COLOR", "1")])));
    }
}
