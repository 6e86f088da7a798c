//! Pass 1: every source file's first read. Files that can declare a model are parsed for
//! their declarations (resolved across the repository into one `ModelIndex`); while each
//! file is in memory, pass 2's question is asked too (does it name a legacy table where SQL
//! can use it?), so a file that does not is never read again; and what the command wants
//! from every file (suppressions, plan's texts) is taken here.

use super::discover::SourceFile;
use super::{Sources, Wants};
use crate::audit::suppress::{self, Suppression};
use crate::catalog::OrmCatalog;
use crate::config::Config;
use crate::extract::{ScanContext, decode, read_file};
use crate::model::Language;
use crate::orm::{self, FileDecls, ModelIndex};
use indicatif::{ParallelProgressIterator, ProgressBar};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// What pass 1 hands on.
pub struct Pass1 {
    pub models: ModelIndex,
    /// Per file (in discovery order): `Some(bytes)` when the file was read and decoded
    /// cleanly and names no table where used (with `tables_only`'s names): pass 2 need not
    /// read it again. `None`: pass 2 reads it (a `.sql` file, a read or decode failure to
    /// report, a use).
    pub settled: Vec<Option<u64>>,
    /// Suppressions of the settled files and those files' texts (`Wants::sources`).
    pub sources: Sources,
    /// Texts of source files (`Wants::plan_texts`).
    pub plan_texts: BTreeMap<String, String>,
}

/// One file's part of pass 1.
#[derive(Default)]
struct FilePass1 {
    decls: FileDecls,
    settled: Option<u64>,
    suppressions: Vec<Suppression>,
    /// The text of a settled file with suppressions, for audit's code frames.
    source_text: Option<String>,
    plan_text: Option<String>,
    foreign_keys: Vec<crate::extract::foreign_keys::ForeignKey>,
}

pub fn collect(
    files: &[SourceFile],
    config: &Config,
    tables_only: &ScanContext,
    wants: Wants,
    progress: &ProgressBar,
) -> Pass1 {
    let catalog = OrmCatalog::for_language(Language::Python, &config.orm);
    let per_file: Vec<FilePass1> = files
        .par_iter()
        .progress_with(progress.clone())
        .map_init(Vec::new, |buf, file| {
            read_once(file, config, &catalog, tables_only, wants, buf)
        })
        .collect();
    let mut decls = Vec::with_capacity(per_file.len());
    let mut foreign_keys = Vec::new();
    let mut out = Pass1 {
        models: ModelIndex::default(),
        settled: Vec::with_capacity(per_file.len()),
        sources: Sources::default(),
        plan_texts: BTreeMap::new(),
    };
    for (file, result) in files.iter().zip(per_file) {
        decls.push(result.decls);
        foreign_keys.extend(result.foreign_keys);
        out.settled.push(result.settled);
        if !result.suppressions.is_empty() {
            out.sources.suppressions.extend(result.suppressions);
            if let Some(text) = result.source_text {
                out.sources.texts.insert(file.rel.clone(), text);
            }
        }
        if let Some(text) = result.plan_text {
            out.plan_texts.insert(file.rel.clone(), text);
        }
    }
    out.models = ModelIndex::build(decls, config);
    out.models.set_foreign_keys(foreign_keys);
    out
}

/// Read one file and do everything pass 1 does with it. A file that cannot be read or
/// decoded here is left to pass 2, which reports it.
fn read_once(
    file: &SourceFile,
    config: &Config,
    catalog: &OrmCatalog,
    tables_only: &ScanContext,
    wants: Wants,
    buf: &mut Vec<u8>,
) -> FilePass1 {
    let mut out = FilePass1::default();
    if file.language == Language::Sql {
        // Plan reads schema scripts for what the replacement must copy; the foreign keys
        // of the schema are read here too.
        if read_file(file, config.scan.max_file_size, buf).is_ok()
            && let Ok(decoded) = decode(buf)
        {
            out.foreign_keys = foreign_keys_of(buf, &decoded.text);
            if wants.plan_texts && crate::plan::wanted(&file.rel) {
                out.plan_text = Some(decoded.text.into_owned());
            }
        }
        return out;
    }
    if read_file(file, config.scan.max_file_size, buf).is_err() {
        return out;
    }
    let declares = orm::may_declare(file.language, &file.rel, buf);
    let Ok(decoded) = decode(buf) else {
        return out;
    };
    let text = &decoded.text;
    out.foreign_keys = foreign_keys_of(buf, text);
    if declares {
        out.decls = orm::declarations(file.language, &file.rel, text, catalog);
    }
    if !tables_only.names_table_where_used(text.as_bytes(), file.language) {
        out.settled = Some(buf.len() as u64);
        if wants.sources {
            out.suppressions = suppress::parse(&file.rel, text);
            if !out.suppressions.is_empty() {
                out.source_text = Some(text.to_string());
            }
        }
    }
    if wants.plan_texts && crate::plan::wanted(&file.rel) {
        out.plan_text = Some(text.to_string());
    }
    out
}

/// The foreign keys a file's text declares (DDL in `.sql` files, strings, migrations).
fn foreign_keys_of(bytes: &[u8], text: &str) -> Vec<crate::extract::foreign_keys::ForeignKey> {
    use crate::extract::foreign_keys;
    if foreign_keys::may_hold(bytes) {
        foreign_keys::extract(text)
    } else {
        Vec::new()
    }
}
