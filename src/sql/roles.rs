//! Roles of the tables in a parsed statement: sqlparser AST in, `TableUse`s out.
//!
//! `visit_relations` alone gives every name in a relation position without saying whether it
//! is written. So `pre_visit_statement` first emits the targets of each (possibly nested)
//! statement and *claims* their `ObjectName` by address; `pre_visit_relation` then reports
//! every unclaimed name as a read. Names sqlparser never passes to `pre_visit_relation`
//! (COPY, DROP, GRANT, COMMENT, RENAME, CREATE TRIGGER, MySQL LOCK TABLES) are emitted
//! directly, so each name is reported exactly once whichever way sqlparser walks it.
//! CTE names in scope are not tables.

use super::{TableName, TableUse};
use crate::model::{Access, Operation};
use sqlparser::ast::{
    self, AlterTableOperation, AssignmentTarget, CommentObject, CopySource, Expr, FromTable,
    GrantObjects, Ident, ObjectName, ObjectType, OnConflictAction, OnInsert, Query,
    RenameTableNameKind, Select, SqliteOnConflict, TableFactor, TableObject, TableWithJoins, Visit,
    Visitor,
};
use std::collections::HashSet;
use std::ops::ControlFlow;

/// Walks one or more parsed statements and collects their table uses.
pub(super) struct Roles {
    claimed: HashSet<*const ObjectName>,
    /// CTE names visible in the query being walked, one frame per `Query`.
    ctes: Vec<Vec<String>>,
    /// Inside a routine body `SELECT … INTO x` assigns a variable; it writes no table.
    in_routine: bool,
    pub uses: Vec<TableUse>,
}

impl Roles {
    pub fn new(in_routine: bool) -> Roles {
        Roles {
            claimed: HashSet::new(),
            ctes: Vec::new(),
            in_routine,
            uses: Vec::new(),
        }
    }

    /// Collect the uses of `stmts`. Routine definitions are not walked: their bodies are
    /// classified statement by statement from the text, with offsets (see `routine`).
    pub fn statements(&mut self, stmts: &[ast::Statement]) {
        for s in stmts {
            match s {
                ast::Statement::CreateTrigger(t) => {
                    self.emit(&t.table_name, Access::Ddl, Operation::Create);
                }
                ast::Statement::CreateFunction(_) | ast::Statement::CreateProcedure { .. } => {}
                _ => {
                    let _ = s.visit(self);
                }
            }
        }
    }

    /// Collect the reads of an expression (a condition or assignment in a routine body).
    pub fn expr(&mut self, e: &Expr) {
        let _ = e.visit(self);
    }

    /// Report `name` (a node of the AST) and keep `pre_visit_relation` from reporting it again.
    fn emit(&mut self, name: &ObjectName, access: Access, operation: Operation) {
        self.claimed.insert(std::ptr::from_ref(name));
        self.push(name, access, operation);
    }

    /// Report a name built here rather than found in the AST.
    fn push(&mut self, name: &ObjectName, access: Access, operation: Operation) {
        if let Some(table) = table_name(name) {
            self.uses.push(TableUse {
                table,
                access,
                operation,
            });
        }
    }

    fn is_cte(&self, name: &ObjectName) -> bool {
        if name.0.len() != 1 {
            return false;
        }
        let Some(t) = table_name(name) else {
            return false;
        };
        self.ctes
            .iter()
            .flatten()
            .any(|c| c.eq_ignore_ascii_case(&t.name))
    }

    fn insert(&mut self, i: &ast::Insert) {
        let TableObject::TableName(name) = &i.table else {
            return;
        };
        let op = if i.replace_into || matches!(i.or, Some(SqliteOnConflict::Replace)) {
            Operation::Replace
        } else {
            match &i.on {
                Some(OnInsert::DuplicateKeyUpdate(_)) => Operation::Upsert,
                Some(OnInsert::OnConflict(c))
                    if matches!(c.action, OnConflictAction::DoUpdate(_)) =>
                {
                    Operation::Upsert
                }
                _ => Operation::Insert,
            }
        };
        self.emit(name, Access::Write, op);
    }

    fn update(&mut self, u: &ast::Update) {
        if let TableFactor::Table { name, .. } = &u.table.relation {
            self.emit(name, Access::Write, Operation::Update);
        }
        // MySQL multi-table UPDATE: a joined table is written when a SET targets it.
        for j in &u.table.joins {
            let TableFactor::Table { name, alias, .. } = &j.relation else {
                continue;
            };
            let written = u.assignments.iter().any(|a| {
                let cols: Vec<&ObjectName> = match &a.target {
                    AssignmentTarget::ColumnName(c) => vec![c],
                    AssignmentTarget::Tuple(cs) => cs.iter().collect(),
                };
                cols.iter()
                    .any(|c| qualifier_matches(c, name, alias.as_ref().map(|a| &a.name)))
            });
            if written {
                self.emit(name, Access::Write, Operation::Update);
            }
        }
    }

    fn delete(&mut self, d: &ast::Delete) {
        let from = match &d.from {
            FromTable::WithFromKeyword(v) | FromTable::WithoutKeyword(v) => v,
        };
        if d.tables.is_empty() {
            for twj in from {
                if let TableFactor::Table { name, .. } = &twj.relation {
                    self.emit(name, Access::Write, Operation::Delete);
                }
            }
            return;
        }
        // MySQL multi-table DELETE: `DELETE o FROM orders o JOIN …` names aliases.
        let using: &[TableWithJoins] = d.using.as_deref().unwrap_or(&[]);
        for target in &d.tables {
            let key = target
                .0
                .last()
                .and_then(|p| p.as_ident())
                .map(|i| i.value.to_ascii_lowercase());
            let found = from
                .iter()
                .chain(using)
                .flat_map(|t| {
                    std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation))
                })
                .find_map(|f| match f {
                    TableFactor::Table { name, alias, .. } => {
                        let by_alias = alias
                            .as_ref()
                            .is_some_and(|a| Some(a.name.value.to_ascii_lowercase()) == key);
                        let by_name = alias.is_none()
                            && table_name(name).map(|t| t.name.to_ascii_lowercase()) == key;
                        (by_alias || by_name).then_some(name)
                    }
                    _ => None,
                });
            match found {
                Some(name) => self.emit(name, Access::Write, Operation::Delete),
                None => self.emit(target, Access::Write, Operation::Delete),
            }
        }
    }

    fn select_into(&mut self, s: &Select) {
        let Some(into) = &s.into else { return };
        if self.in_routine {
            return;
        }
        // Several targets, or `@v`, are MySQL variables; one plain name is a new table.
        let [target] = into.targets.as_slice() else {
            return;
        };
        let idents = match target {
            Expr::Identifier(i) => vec![i.clone()],
            Expr::CompoundIdentifier(is) => is.clone(),
            _ => return,
        };
        if idents.first().is_some_and(|i| i.value.starts_with('@')) {
            return;
        }
        if let Some(t) = table_name(&ObjectName::from(idents)) {
            self.uses.push(TableUse {
                table: t,
                access: Access::Write,
                operation: Operation::Insert,
            });
        }
    }
}

/// Whether column reference `col` (`alias.col` or `table.col`) points at the table `name`.
fn qualifier_matches(col: &ObjectName, name: &ObjectName, alias: Option<&Ident>) -> bool {
    let parts: Vec<&Ident> = col.0.iter().filter_map(|p| p.as_ident()).collect();
    let Some(q) = parts.len().checked_sub(2).map(|i| parts[i]) else {
        return false;
    };
    match alias {
        Some(a) => a.value.eq_ignore_ascii_case(&q.value),
        None => table_name(name).is_some_and(|t| t.name.eq_ignore_ascii_case(&q.value)),
    }
}

fn ident_norm(i: &Ident) -> (String, bool) {
    match i.quote_style {
        Some(_) => (i.value.clone(), true),
        None => (i.value.to_ascii_lowercase(), false),
    }
}

/// Normalise an `ObjectName` from its parts: quotes stripped, unquoted parts lower-cased.
/// A catalog prefix (`db.schema.table`) is dropped; the schema is the part before the name.
pub(super) fn table_name(name: &ObjectName) -> Option<TableName> {
    let parts: Vec<&Ident> = name.0.iter().filter_map(|p| p.as_ident()).collect();
    let (last, rest) = parts.split_last()?;
    let (n, nq) = ident_norm(last);
    if n.is_empty() {
        return None;
    }
    let schema = rest.last().map(|s| ident_norm(s));
    Some(TableName {
        quoted: nq || schema.as_ref().is_some_and(|s| s.1),
        schema: schema.map(|s| s.0),
        name: n,
    })
}

impl Visitor for Roles {
    type Break = ();

    fn pre_visit_statement(&mut self, s: &ast::Statement) -> ControlFlow<()> {
        use ast::Statement as S;
        match s {
            S::Insert(i) => self.insert(i),
            S::Update(u) => self.update(u),
            S::Delete(d) => self.delete(d),
            S::Merge(m) => {
                if let TableFactor::Table { name, .. } = &m.table {
                    self.emit(name, Access::Write, Operation::Merge);
                }
            }
            S::Truncate(t) => {
                for tt in &t.table_names {
                    self.emit(&tt.name, Access::Write, Operation::Truncate);
                }
            }
            S::Copy {
                source: CopySource::Table { table_name, .. },
                to,
                ..
            } => {
                let access = if *to { Access::Read } else { Access::Write };
                self.emit(table_name, access, Operation::Copy);
            }
            S::CreateTable(c) => {
                self.emit(&c.name, Access::Ddl, Operation::Create);
                // A partition changes its parent; `LIKE t` copies t's definition.
                if let Some(parent) = &c.partition_of {
                    self.emit(parent, Access::Ddl, Operation::Alter);
                }
                if let Some(
                    ast::CreateTableLikeKind::Parenthesized(l) | ast::CreateTableLikeKind::Plain(l),
                ) = &c.like
                {
                    self.emit(&l.name, Access::Read, Operation::Select);
                }
                // A foreign key to a legacy table blocks dropping it: a schema dependency.
                let column_fks = c
                    .columns
                    .iter()
                    .flat_map(|col| &col.options)
                    .filter_map(|o| match &o.option {
                        ast::ColumnOption::ForeignKey(fk) => Some(fk),
                        _ => None,
                    });
                let table_fks = c.constraints.iter().filter_map(|t| match t {
                    ast::TableConstraint::ForeignKey(fk) => Some(fk),
                    _ => None,
                });
                for fk in column_fks.chain(table_fks) {
                    self.emit(&fk.foreign_table, Access::Ddl, Operation::References);
                }
            }
            S::AlterView { name, .. } => self.emit(name, Access::Ddl, Operation::Alter),
            S::CreatePolicy(p) => self.emit(&p.table_name, Access::Ddl, Operation::Create),
            S::AlterPolicy(p) => self.emit(&p.table_name, Access::Ddl, Operation::Alter),
            S::DropPolicy(p) => self.emit(&p.table_name, Access::Ddl, Operation::Drop),
            S::CreateView(v) => self.emit(&v.name, Access::Ddl, Operation::Create),
            S::CreateIndex(ci) => self.emit(&ci.table_name, Access::Ddl, Operation::Create),
            S::AlterTable(a) => {
                let mut renamed = false;
                for op in &a.operations {
                    if let AlterTableOperation::AddConstraint {
                        constraint: ast::TableConstraint::ForeignKey(fk),
                        ..
                    } = op
                    {
                        self.emit(&fk.foreign_table, Access::Ddl, Operation::References);
                    }
                    if let AlterTableOperation::RenameTable { table_name } = op {
                        let (RenameTableNameKind::As(n) | RenameTableNameKind::To(n)) = table_name;
                        self.emit(n, Access::Ddl, Operation::Rename);
                        renamed = true;
                    }
                }
                let op = if renamed {
                    Operation::Rename
                } else {
                    Operation::Alter
                };
                self.emit(&a.name, Access::Ddl, op);
            }
            S::Drop {
                object_type, names, ..
            } => {
                if matches!(
                    object_type,
                    ObjectType::Table | ObjectType::View | ObjectType::MaterializedView
                ) {
                    for n in names {
                        self.emit(n, Access::Ddl, Operation::Drop);
                    }
                }
            }
            S::DropTrigger(t) => {
                if let Some(n) = &t.table_name {
                    self.emit(n, Access::Ddl, Operation::Drop);
                }
            }
            S::RenameTable(rs) => {
                for r in rs {
                    self.emit(&r.old_name, Access::Ddl, Operation::Rename);
                    self.emit(&r.new_name, Access::Ddl, Operation::Rename);
                }
            }
            S::Comment {
                object_type,
                object_name,
                ..
            } => match object_type {
                CommentObject::Table | CommentObject::View | CommentObject::MaterializedView => {
                    self.emit(object_name, Access::Ddl, Operation::Comment);
                }
                CommentObject::Column => {
                    let mut parts = object_name.0.clone();
                    parts.pop();
                    if !parts.is_empty() {
                        let table = ObjectName(parts);
                        self.push(&table, Access::Ddl, Operation::Comment);
                    }
                }
                _ => {}
            },
            S::Grant(g) => self.grant(g.objects.as_ref()),
            S::Revoke(r) => self.grant(r.objects.as_ref()),
            S::Lock(l) => {
                for t in &l.tables {
                    self.emit(&t.name, Access::Ddl, Operation::Lock);
                }
            }
            S::LockTables { tables } => {
                for t in tables {
                    let name = ObjectName::from(vec![t.table.clone()]);
                    self.push(&name, Access::Ddl, Operation::Lock);
                }
            }
            S::Analyze(a) => {
                if let Some(n) = &a.table_name {
                    self.emit(n, Access::Ddl, Operation::Maintenance);
                }
            }
            S::Vacuum(v) => {
                if let Some(n) = &v.table_name {
                    self.emit(n, Access::Ddl, Operation::Maintenance);
                }
            }
            S::OptimizeTable { name, .. } => self.emit(name, Access::Ddl, Operation::Maintenance),
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
        let names = q
            .with
            .as_ref()
            .map(|w| {
                w.cte_tables
                    .iter()
                    .map(|c| c.alias.name.value.clone())
                    .collect()
            })
            .unwrap_or_default();
        self.ctes.push(names);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
        self.ctes.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, s: &Select) -> ControlFlow<()> {
        self.select_into(s);
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, f: &TableFactor) -> ControlFlow<()> {
        // `FROM generate_series(1, 3)`: a table function, not a table.
        if let TableFactor::Table {
            name,
            args: Some(_),
            ..
        } = f
        {
            self.claimed.insert(std::ptr::from_ref(name));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, name: &ObjectName) -> ControlFlow<()> {
        if self.claimed.contains(&std::ptr::from_ref(name)) || self.is_cte(name) {
            return ControlFlow::Continue(());
        }
        self.emit(name, Access::Read, Operation::Select);
        ControlFlow::Continue(())
    }
}

impl Roles {
    fn grant(&mut self, objects: Option<&GrantObjects>) {
        if let Some(GrantObjects::Tables(names)) = objects {
            for n in names {
                self.emit(n, Access::Ddl, Operation::Grant);
            }
        }
    }
}
