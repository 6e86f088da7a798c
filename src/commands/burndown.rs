//! `cutover burndown`: references over git history (or a history recorded by
//! `audit --record`), as text, CSV, JSON and an SVG chart.

use crate::burndown::{self, By, DiskCacheMode, Every};
use crate::cli::{BurndownArgs, ByArg, EveryArg};
use crate::report::{self, Document, Format};
use crate::session::{Outcome, Output, Session, progress_bar};
use anyhow::Result;
use std::io::Write;

pub fn run(args: &BurndownArgs, out: &mut dyn Write) -> Result<Outcome> {
    if args.commits == Some(0) {
        anyhow::bail!("--commits needs at least 1");
    }
    let format = Format::from(args.format);
    let output = Output::new(&args.output, format)?;
    if let Some(svg) = &args.svg {
        report::check_output_name("--svg", svg, Format::Svg)?;
    }
    let range = burndown::history::Range {
        since: args.since,
        last: args.commits,
    };
    let (every, by) = (every(args.every), by(args.by));
    let (chart, session) = match &args.from {
        Some(path) => (burndown::from_record(path, &range, every, by)?, None),
        None => {
            let session = Session::for_scan(&args.scan, &args.output, format)?;
            let opts = burndown::GitOptions {
                root_display: session.root_display.clone(),
                rev: args.rev.clone(),
                range,
                every,
                by,
                cache: match (&args.cache_dir, args.cache) {
                    (Some(dir), _) => DiskCacheMode::Dir(dir.clone()),
                    (None, true) => DiskCacheMode::Default,
                    (None, false) => DiskCacheMode::Off,
                },
                naive: args.no_cache,
            };
            let chart = session
                .install(|| burndown::from_git(&session.config, &opts, progress_bar("items")))?;
            (chart, Some(session))
        }
    };
    if let Some(path) = &args.svg {
        let doc = Document::BurndownChart {
            burndown: &chart,
            title: args.title.as_deref(),
        };
        crate::session::emit(Some(path), out, |w| report::write(&doc, Format::Svg, w))?;
    }
    output.write(&Document::Burndown(&chart), format, out)?;
    Ok(match session {
        Some(s) => s.outcome(&chart.problems),
        None if args.scan.strict && chart.problems.iter().any(|p| p.reason.is_incomplete()) => {
            Outcome::Incomplete
        }
        None => Outcome::Clean,
    })
}

fn every(arg: EveryArg) -> Every {
    match arg {
        EveryArg::Commit => Every::Commit,
        EveryArg::Day => Every::Day,
        EveryArg::Week => Every::Week,
        EveryArg::Month => Every::Month,
    }
}

fn by(arg: ByArg) -> By {
    match arg {
        ByArg::Table => By::Table,
        ByArg::Access => By::Access,
        ByArg::Component => By::Component,
    }
}
