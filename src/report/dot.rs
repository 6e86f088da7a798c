//! Graphviz output of `cutover plan`: a `Plan` in, a `digraph` out — one cluster per wave
//! holding its components, tables as cylinders, component → table edges labelled with
//! their counts (red when they write), and dashed import edges. Renders with `dot -Tsvg`.

use crate::plan::{Plan, PlannedComponent};
use anyhow::Result;
use std::io::Write;

/// Quote a DOT identifier or label: backslashes and quotes escaped, newlines as `\n`.
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

fn component_id(name: &str) -> String {
    quote(&format!("component:{name}"))
}

fn table_id(name: &str) -> String {
    quote(&format!("table:{name}"))
}

fn component_label(c: &PlannedComponent) -> String {
    let kind = c.kind.map_or("unknown kind", |k| k.as_str());
    format!("{}\n{kind}", c.name)
}

/// Write the plan as a Graphviz digraph.
pub fn write(plan: &Plan, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "digraph plan {{")?;
    writeln!(out, "  rankdir=LR;")?;
    writeln!(out, "  node [fontname=\"Helvetica\", fontsize=11];")?;
    writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=9];")?;
    for (i, wave) in plan.waves.iter().enumerate() {
        writeln!(out, "  subgraph cluster_wave_{} {{", i + 1)?;
        writeln!(out, "    label={};", quote(&format!("Wave {}", i + 1)))?;
        writeln!(out, "    style=rounded;")?;
        for name in wave {
            if let Some(c) = plan.component(name) {
                writeln!(
                    out,
                    "    {} [label={}, shape=box, tooltip={}];",
                    component_id(&c.name),
                    quote(&component_label(c)),
                    quote(&c.reason)
                )?;
            }
        }
        writeln!(out, "  }}")?;
    }
    for t in &plan.tables {
        let label = match t.replacements.first() {
            Some(r) => format!("{}\n-> {r}", t.name),
            None => t.name.clone(),
        };
        writeln!(
            out,
            "  {} [label={}, shape=cylinder];",
            table_id(&t.name),
            quote(&label)
        )?;
    }
    for c in &plan.components {
        for (t, u) in &c.usage {
            let mut parts = Vec::new();
            if u.writes > 0 {
                parts.push(format!("writes {}", u.writes));
            }
            if u.reads > 0 {
                parts.push(format!("reads {}", u.reads));
            }
            if u.ddl > 0 {
                parts.push(format!("ddl {}", u.ddl));
            }
            let color = if u.writes > 0 { "firebrick" } else { "gray40" };
            writeln!(
                out,
                "  {} -> {} [label={}, color={color}];",
                component_id(&c.name),
                table_id(t),
                quote(&parts.join(", "))
            )?;
        }
    }
    // Components in no wave are not drawn, nor their edges.
    let drawn = |n: &str| !plan.unaffected.iter().any(|u| u == n);
    for l in plan
        .imports
        .iter()
        .filter(|l| drawn(&l.from) && drawn(&l.to))
    {
        writeln!(
            out,
            "  {} -> {} [label={}, style=dashed];",
            component_id(&l.from),
            component_id(&l.to),
            quote(&format!("{} ({})", l.how, l.count))
        )?;
    }
    writeln!(out, "}}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote(r#"a "b" \ c"#), r#""a \"b\" \\ c""#);
        assert_eq!(quote("x\ny"), r#""x\ny""#);
    }
}
