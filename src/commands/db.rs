//! `cutover db`: read the live database's catalog of the legacy tables (and with `--watch`,
//! sample the counters twice), or print and apply the write lock. The whole catalog is read
//! before anything is rendered, so a connection lost mid-run leaves no partial output.

use crate::cli::{DbAction, DbArgs, DbConnArgs, DbFormat, LockArgs};
use crate::config::Config;
use crate::db::{self, Catalog, LockRequest, Options, Target};
use crate::logs;
use crate::report::{Document, Format};
use crate::session::{Outcome, Output, Session};
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::time::Duration;

pub fn run(args: &DbArgs, out: &mut dyn Write) -> Result<Outcome> {
    let format = match args.format {
        DbFormat::Text => Format::Text,
        DbFormat::Json => Format::Json,
    };
    let output = Output::new(&args.output, format)?;
    let session = Session::for_logs(
        args.conn.config.clone(),
        &args.conn.tables,
        None,
        false,
        output,
    )?;
    session.config.require_tables()?;
    let target = target(&session.config, args.conn.url.as_deref())?;
    let opts = options(&session.config, &args.conn, args.watch);
    if let Some(action) = &args.action {
        if args.watch.is_some()
            || !args.logs.is_empty()
            || args.output.output.is_some()
            || args.format != DbFormat::Text
        {
            bail!(
                "--watch, --logs, --output and --format apply to `cutover db`, not to its lock commands"
            );
        }
        let (lock, lock_args) = match action {
            DbAction::LockWrites(a) => (true, a),
            DbAction::UnlockWrites(a) => (false, a),
        };
        return write_lock(&session, &args.conn, &target, &opts, lock, lock_args, out);
    }
    let mut catalog = db::inspect(&target, &opts)?;
    if !args.logs.is_empty() {
        logs::check_paths(&args.logs)?;
        let read = super::log_options(&session.config, None, None);
        let logged = session.install(|| logs::read_logs(&args.logs, &read))?;
        catalog.check_grants(&logged);
    }
    session.write(&Document::Db(&catalog), format, out)?;
    Ok(Outcome::Clean)
}

/// The connection: `--url`, else `CUTOVER_DATABASE_URL`, else `[database] url`.
pub(super) fn target(config: &Config, url: Option<&str>) -> Result<Target> {
    let from_env = std::env::var(db::URL_ENV)
        .ok()
        .filter(|u| !u.trim().is_empty());
    let url = url
        .map(str::to_string)
        .or(from_env)
        .or_else(|| config.database.url.clone())
        .with_context(|| {
            format!(
                "no database URL: pass --url URL, set {}, or add [database] url to cutover.toml",
                db::URL_ENV
            )
        })?;
    Target::parse(&url)
}

fn options(config: &Config, conn: &DbConnArgs, watch: Option<Duration>) -> Options {
    Options {
        tables: config.tables.clone(),
        watch,
        connect_timeout: Duration::from_secs(conn.connect_timeout.max(1)),
    }
}

/// Read the database for `--db URL` of another command.
pub(super) fn read_for(config: &Config, url: &str) -> Result<Catalog> {
    let target = target(config, Some(url))?;
    let opts = Options {
        tables: config.tables.clone(),
        watch: None,
        connect_timeout: Duration::from_secs(10),
    };
    db::inspect(&target, &opts)
}

fn write_lock(
    session: &Session,
    conn: &DbConnArgs,
    target: &Target,
    opts: &Options,
    lock: bool,
    args: &LockArgs,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let verb = if lock { "lock-writes" } else { "unlock-writes" };
    let [name] = conn.tables.as_slice() else {
        bail!("{verb} needs exactly one --table NAME");
    };
    let table = session
        .config
        .tables
        .tables()
        .iter()
        .find(|t| t.display == name.trim())
        .cloned()
        .with_context(|| format!("{verb}: table {name} is not configured"))?;
    let migration = args.migration.clone().unwrap_or_else(|| {
        if table.replacements.is_empty() {
            format!("the migration of {}", table.display)
        } else {
            format!("the migration to {}", table.replacements.join(", "))
        }
    });
    let req = LockRequest {
        table,
        migration,
        revoke: args.revoke,
    };
    let script = db::write_lock(target, &req, lock, args.apply, opts)?;
    session.write(&Document::DbLock(&script), Format::Text, out)?;
    Ok(Outcome::Clean)
}
